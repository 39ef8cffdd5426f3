"""Helpers for tests of teams; the fixtures are in tests/conftest.py."""

from __future__ import annotations

import email
from email import policy

from django.contrib.auth.models import User
from django.utils import timezone

from assessments.models import Assessment, Rating
from teams.models import Membership, Team


def crowd(team: Team, n: int) -> None:
    """n more members, each with a submitted assessment of the team's occupation."""
    requirements = list(team.occupation.requirements.all())
    users = User.objects.bulk_create(User(username=f"{team.name}-{i}") for i in range(n))
    Membership.objects.bulk_create(Membership(team=team, user=u) for u in users)
    now = timezone.now()
    assessments = Assessment.objects.bulk_create(
        Assessment(
            user=u,
            occupation=team.occupation,
            status="submitted",
            submitted_at=now,
            readiness=i % 101,
            essentials_met=i % 3,
            essentials_total=2,
        )
        for i, u in enumerate(users)
    )
    Rating.objects.bulk_create(
        Rating(
            assessment=a,
            competence_id=r.competence_id,
            answered=True,
            level=(i + j) % 5,
            relation=r.relation,
            target_level=r.target_level,
            weight=r.weight,
        )
        for i, a in enumerate(assessments)
        for j, r in enumerate(requirements)
    )


class Inbox:
    """What a loopback SMTP server (aiosmtpd's Controller) received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def subjects(self, to: str) -> list[str]:
        return [m["Subject"] for m in self.to(to)]
