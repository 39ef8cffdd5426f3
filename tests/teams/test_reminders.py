"""The schedule of e-mails: which goes out on which day, once, whoever runs it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail as outbox
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments.services import assessment_submit
from teams import mail
from teams.models import Notification, ReviewCycle
from teams.services import assignment_excuse, cycle_create
from tests.assessments.conftest import rate

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DUE = TODAY + timedelta(days=10)


@pytest.fixture
def cycle(team, mia):
    return cycle_create(
        team=team,
        name="2027 Q1 skills review",
        opens_on=TODAY,
        self_due=DUE,
        review_due=DUE + timedelta(days=7),
        by=mia,
    )


def run(day) -> str:
    out = StringIO()
    call_command("send_reminders", f"--today={day.isoformat()}", stdout=out)
    return out.getvalue()


def subjects(to: str) -> list[str]:
    return [m.subject for m in outbox.outbox if m.to == [to]]


def test_opening_mails_each_member_with_a_link_to_their_draft(cycle, alice, settings):
    settings.SITE_URL = "https://gapwise.example.com"
    run(TODAY)
    assert subjects("alice@example.com") == [
        f"Skills review opened: 2027 Q1 skills review, due {DUE:%-d %B %Y}"
    ]
    message = next(m for m in outbox.outbox if m.to == ["alice@example.com"])
    draft = cycle.assignments.get(user=alice).assessment
    link = f"https://gapwise.example.com{draft.get_absolute_url()}"
    assert link in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and f'href="{link}"' in html


def test_each_member_reads_their_own_name_and_link_as_the_templates_render_them(cycle, alice, bob):
    alice.first_name, alice.last_name = "Ada <b>&", "O'Neil"
    alice.save()
    run(TODAY)
    for user in (alice, bob):
        (message,) = (m for m in outbox.outbox if m.to == [user.email])
        context = {
            "mail": mail.compose(Notification.objects.get(recipient=user, kind="opened")),
            "preferences": mail._link(reverse("teams:mail-preferences")),
        }
        assert message.body == render_to_string("teams/email/message.txt", context)
        html, _ = message.alternatives[0]
        assert html == render_to_string("teams/email/message.html", context)
        assert message.message()["To"] == user.email
    (to_alice,) = (m for m in outbox.outbox if m.to == ["alice@example.com"])
    assert "Hello Ada <b>& O'Neil," in to_alice.body
    assert "Hello Ada &lt;b&gt;&amp; O&#x27;Neil," in to_alice.alternatives[0][0]
    assert cycle.assignments.get(user=bob).assessment.get_absolute_url() not in to_alice.body


def test_each_stage_on_its_day_once_and_only_overdue_says_overdue(cycle, alice, bob, team, mia):
    for day in range(0, 30):
        run(TODAY + timedelta(days=day))
        run(TODAY + timedelta(days=day))  # twice a day changes nothing
    mine = subjects("alice@example.com")
    assert len(mine) == 1 + 2 + 3  # opened, 7 and 1 day before, overdue 3 times
    overdue = [s for s in mine if "overdue" in s.lower()]
    assert len(overdue) == 3 and all(s.startswith("Overdue:") for s in overdue)
    said = [m.subject for m in outbox.outbox if "overdue" in m.subject.lower()]
    assert said and all(s.startswith("Overdue:") for s in said)
    to_mia = subjects("mia@example.com")
    assert len(to_mia) == 3  # one digest of who is past due per overdue stage
    assert not any("overdue" in s.lower() for s in to_mia)
    assert all(s.startswith("Still to submit after the due date") for s in to_mia)
    assert len({(n.recipient_id, n.kind, n.stage) for n in Notification.objects.all()}) == (
        Notification.objects.count()
    )


def test_a_stage_whose_day_passed_is_skipped_not_sent_late(cycle):
    run(DUE + timedelta(days=3))  # the schedule did not run on DUE - 7, DUE - 1 or DUE + 1
    assert not [s for s in subjects("alice@example.com") if "Reminder" in s or "Overdue" in s]
    run(DUE + timedelta(days=8))
    assert len([s for s in subjects("alice@example.com") if s.startswith("Overdue")]) == 1


def test_who_submitted_or_is_excused_is_not_reminded(cycle, alice, bob, mia):
    draft = cycle.assignments.get(user=alice).assessment
    rate(draft, {r.competence_id: 2 for r in cycle.team.occupation.requirements.all()})
    assessment_submit(assessment=draft, user=alice)
    assignment_excuse(assignment=cycle.assignments.get(user=bob), by=mia, reason="Leave")
    run(DUE - timedelta(days=1))
    run(DUE + timedelta(days=1))
    assert len(subjects("alice@example.com")) == 1  # opened only
    assert len(subjects("bob@example.com")) == 1


def test_the_manager_gets_one_digest_of_submissions_a_day(cycle, alice, bob, mia):
    for member in (alice, bob):
        draft = cycle.assignments.get(user=member).assessment
        rate(draft, {r.competence_id: 2 for r in cycle.team.occupation.requirements.all()})
        assessment_submit(assessment=draft, user=member)
        run(TODAY + timedelta(days=1))
    digests = [m for m in outbox.outbox if m.to == ["mia@example.com"]]
    assert [m.subject for m in digests] == ["Submitted for your review: 2027 Q1 skills review"]
    assert "alice" in digests[0].body and "review(s) waiting" in digests[0].body
    run(TODAY + timedelta(days=2))  # bob's submission, the next day
    digests = [m for m in outbox.outbox if m.to == ["mia@example.com"]]
    assert len(digests) == 2 and "bob" in digests[1].body and "alice" not in digests[1].body
    run(TODAY + timedelta(days=3))  # nothing new: no digest
    assert len([m for m in outbox.outbox if m.to == ["mia@example.com"]]) == 2


def test_review_done_reaches_the_member(cycle, alice, mia):
    from teams.services import review_save

    draft = cycle.assignments.get(user=alice).assessment
    rate(draft, {r.competence_id: 2 for r in cycle.team.occupation.requirements.all()})
    assessment_submit(assessment=draft, user=alice)
    review_save(assessment=draft, reviewer=mia, validations=[], done=True)
    mail.deliver()
    done = [m for m in outbox.outbox if m.subject.startswith("Your manager reviewed")]
    assert len(done) == 1 and done[0].to == ["alice@example.com"]
    draft.refresh_from_db()
    assert draft.get_absolute_url() in done[0].body  # the report


def test_a_draft_cycle_opens_on_its_day(team, mia):
    cycle = cycle_create(
        team=team,
        name="Later",
        opens_on=TODAY + timedelta(days=2),
        self_due=DUE,
        review_due=DUE,
        by=mia,
    )
    run(TODAY + timedelta(days=1))
    assert ReviewCycle.objects.get(pk=cycle.pk).status == "draft"
    assert "Cycles opened: 1" in run(TODAY + timedelta(days=2))
    assert ReviewCycle.objects.get(pk=cycle.pk).assignments.count() == 2


def test_a_bad_day_is_refused():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--today=05/12/2026")


def test_sending_failures_are_recorded_and_retried_with_backoff(cycle, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens
        }
    }
    sent, failed = mail.deliver()
    assert (sent, failed) == (0, 2)
    rows = Notification.objects.filter(kind="opened")
    assert all(n.attempts == 1 and n.error and n.sent_at is None for n in rows)
    assert all(n.next_attempt_at > timezone.now() for n in rows)
    assert mail.deliver() == (0, 0)  # not yet due again
    rows.update(next_attempt_at=timezone.now())
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert mail.deliver() == (2, 0)
    assert all(n.sent_at and not n.error for n in rows.all())


def test_nothing_is_sent_inside_the_request_the_worker_sends(mia_client, team, run_worker):
    from django.urls import reverse

    response = mia_client.post(
        reverse("teams:cycle-create", args=[team.pk]),
        {
            "name": "Q1",
            "opens_on": TODAY.isoformat(),
            "self_due": DUE.isoformat(),
            "review_due": DUE.isoformat(),
        },
    )
    assert response.status_code == 302
    assert outbox.outbox == [] and not Notification.objects.exists()
    run_worker()
    assert sorted(m.to[0] for m in outbox.outbox) == ["alice@example.com", "bob@example.com"]


def test_the_daily_schedule_keeps_itself_queued(cycle, run_worker):
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from teams.tasks import reminders_daily

    queued = DBTaskResult.objects.filter(
        task_path=reminders_daily.module_path, status=TaskResultStatus.READY
    )
    assert queued.count() == 1  # opening the cycle saw to it
    first = queued.get()
    assert first.run_after.date() == TODAY + timedelta(days=1)
    DBTaskResult.objects.filter(pk=first.pk).update(run_after=timezone.now())
    run_worker()
    first.refresh_from_db()
    assert first.status == TaskResultStatus.SUCCESSFUL
    following = queued.get()
    assert following.pk != first.pk and following.run_after > timezone.now()


def test_the_manager_is_reminded_of_reviews_waiting_before_they_are_due(cycle, alice, mia):
    draft = cycle.assignments.get(user=alice).assessment
    rate(draft, {r.competence_id: 2 for r in cycle.team.occupation.requirements.all()})
    assessment_submit(assessment=draft, user=alice)
    run(cycle.review_due - timedelta(days=3))
    run(cycle.review_due - timedelta(days=3))
    due = [m for m in outbox.outbox if m.subject.startswith("Reviews due on")]
    assert len(due) == 1 and due[0].to == ["mia@example.com"] and "alice" in due[0].body


def test_who_prefers_it_gets_one_weekly_digest_instead(team, mia, alice, alice_client):
    from django.urls import reverse

    url = reverse("teams:mail-preferences")
    assert alice_client.get(url).status_code == 200
    assert alice_client.post(url, {"weekly_digest": "on"}).status_code == 302
    monday = TODAY + timedelta(days=(7 - TODAY.weekday()) % 7 or 7)
    cycle = cycle_create(
        team=team,
        name="Weekly",
        opens_on=TODAY,
        self_due=monday + timedelta(days=1),
        review_due=monday + timedelta(days=8),
        by=mia,
    )
    run(TODAY)
    assert subjects("alice@example.com") == [] and len(subjects("bob@example.com")) == 1
    run(monday)  # the day before it is due: bob's reminder, alice's digest with hers in it
    run(monday)
    assert subjects("alice@example.com") == ["Your weekly summary of skills reviews"]
    body = next(m for m in outbox.outbox if m.to == ["alice@example.com"]).body
    assert "Skills review opened: Weekly" in body and "Reminder: your self-assessment" in body
    assert cycle.assignments.get(user=alice).assessment.get_absolute_url() in body
    assert not Notification.objects.filter(recipient=alice, sent_at=None).exists()
    assert len(subjects("bob@example.com")) == 2


def test_the_preference_page_takes_get_and_post_only(alice_client):
    from django.urls import reverse

    url = reverse("teams:mail-preferences")
    assert alice_client.put(url).status_code == 405
    assert alice_client.post(url, {"weekly_digest": "maybe"}).status_code == 302  # a checkbox


def test_failures_are_visible_in_admin_and_can_be_tried_again(cycle, client, settings):
    from django.contrib.auth.models import User
    from django.urls import reverse

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    mail.deliver()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    url = reverse("admin:teams_notification_changelist")
    page = client.get(url, {"sent_at__isempty": "1"}).content.decode()
    assert "ConnectionRefusedError" in page
    failing = list(Notification.objects.filter(sent_at=None).values_list("pk", flat=True))
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    response = client.post(url, {"action": "retry_now", "_selected_action": failing})
    assert response.status_code == 302
    assert Notification.objects.get(pk=failing[0]).attempts == 0
    assert mail.deliver() == (2, 0)
