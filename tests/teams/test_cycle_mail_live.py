"""E-mail of a review cycle through a real SMTP server (aiosmtpd on loopback), sent by two
task workers at once and by `send_reminders` run as two processes at once, against a database
of the test's own: each member gets exactly one mail per stage, and a server that refuses
connections loses nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

from aiosmtpd.controller import Controller

from tests.live import ROOT, free_port, manage, own_database, production_env, query
from tests.teams.conftest import Inbox

SETUP = """
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from taxonomy.models import Occupation
from teams.models import Membership, Team
from teams.services import cycle_create
from teams.tasks import notifications_send
from tests.assessments.conftest import submitted_at_level
call_command("load_default_data", verbosity=0)
occupation = Occupation.objects.get(code="3512.4")
mia = User.objects.create_user("mia", "mia@example.com")
mia.groups.add(Group.objects.get(name="manager"))
team = Team.objects.create(name="Service desk", occupation=occupation)
team.managers.add(mia)
for name in ("ana", "ben", "cy"):
    user = User.objects.create_user(name, f"{name}@example.com")
    Membership.objects.create(team=team, user=user)
submitted_at_level(User.objects.get(username="ana"), occupation, 3)
today = timezone.localdate()
cycle_create(team=team, name="2027 Q1", opens_on=today, self_due=today + timedelta(days=5),
             review_due=today + timedelta(days=10), by=mia)
for _ in range(3):  # so that two workers both have sending to do, at once
    notifications_send.enqueue()
print(today.isoformat())
"""


def send_reminders_twice_at_once(env: dict, day: date) -> None:
    run_at_once(env, ["send_reminders", f"--today={day.isoformat()}"])


def run_at_once(env: dict, args: list[str]) -> None:
    """Two processes of `manage.py <args>` at the same time."""
    command = [sys.executable, "manage.py", *args]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()


def test_one_mail_per_member_and_stage_through_smtp_with_two_senders(tmp_path):
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with own_database(tmp_path, "cyclemail") as database:
            env = production_env(database) | {
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(port),
                "EMAIL_TIMEOUT": "5",
                "SITE_URL": "https://gapwise.example.com",
            }
            manage(env, "migrate", "--no-input", "-v0")
            today = date.fromisoformat(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
            # The cycle opened: two workers at once send what the opening queued.
            run_at_once(env, ["db_worker", "--batch", "--no-startup-delay", "--no-reload"])
            for member in ("ana", "ben", "cy"):
                assert inbox.subjects(f"{member}@example.com") == [
                    f"Skills review opened: 2027 Q1, due {today + timedelta(days=5):%-d %B %Y}"
                ]
            opened = next(m for m in inbox.messages if m["To"] == "ana@example.com")
            assert (
                "https://gapwise.example.com/assessments/"
                in opened.get_body(("plain",)).get_content()
            )
            assert opened.get_body(("html",)) is not None

            # Past the due date, the schedule run twice, twice at once: one overdue each.
            for _ in range(2):
                send_reminders_twice_at_once(env, today + timedelta(days=6))
            for member in ("ana", "ben", "cy"):
                overdue = [s for s in inbox.subjects(f"{member}@example.com") if "verdue" in s]
                assert overdue == ["Overdue: your self-assessment for 2027 Q1"], member
            assert len(inbox.subjects("mia@example.com")) == 1  # the digest of who is late

            # The SMTP server goes away: the next stage is recorded as failing, not lost.
            smtp.stop()
            manage(env, "send_reminders", f"--today={(today + timedelta(days=13)).isoformat()}")
            failing = query(
                database,
                "SELECT attempts, error FROM teams_notification WHERE sent_at IS NULL",
            )
            assert len(failing) == 4 and all(a == 1 and e for a, e in failing)
            smtp = Controller(inbox, hostname="127.0.0.1", port=port)
            smtp.start()
            retry_now = (
                "from django.utils import timezone; from teams.models import Notification; "
                "Notification.objects.update(next_attempt_at=timezone.now())"
            )
            manage(env, "shell", "-c", retry_now)  # rather than wait out the backoff
            manage(env, "send_reminders", f"--today={(today + timedelta(days=13)).isoformat()}")
            assert not query(database, "SELECT id FROM teams_notification WHERE sent_at IS NULL")
            for member in ("ana", "ben", "cy"):
                overdue = [s for s in inbox.subjects(f"{member}@example.com") if "verdue" in s]
                assert len(overdue) == 2, member
    finally:
        smtp.stop()
