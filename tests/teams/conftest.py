"""Helpers for tests of teams; the fixtures are in tests/conftest.py."""

from __future__ import annotations

import email
from email import policy

from django.contrib.auth.models import User
from django.utils import timezone

from assessments.models import Assessment, Rating
from taxonomy.models import Occupation
from taxonomy.profiles import Line
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


DESK = {
    "code": "9999.1",
    "isco_code": "9999",
    "uri": "http://example.com/occupation/desk",
    "title": "Desk technician",
    "description": "Keeps the desk running.",
}


def line(letter: str, relation: str) -> Line:
    return Line(
        competence_uri=f"http://example.com/skill/{letter}",
        competence=f"Desk {letter}",
        kind="skill",
        reuse_level="cross-sector",
        relation=relation,
        target_level=None,
        weight=None,
        description=f"What {letter} covers.",
    )


# The older release: A and B essential, C, D and E optional. The newer one drops B and
# brings in F, essential.
BEFORE = [line("A", "essential"), line("B", "essential")] + [line(x, "optional") for x in "CDE"]
AFTER = [line("A", "essential"), line("F", "essential")] + [line(x, "optional") for x in "CDE"]


def levels(occupation: Occupation, **by_letter: int) -> dict[int, int]:
    """Every competence of the profile at 3, but those named (Desk F=1 as F=1)."""
    titles = dict(occupation.requirements.values_list("competence__title", "competence_id"))
    return {cid: by_letter.get(title.removeprefix("Desk "), 3) for title, cid in titles.items()}


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
