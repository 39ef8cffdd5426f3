"""The e-mails of review cycles: what each Notification says, and sending them.

Nothing here runs inside a request: the task worker (teams.tasks.notifications_send) and
`manage.py send_reminders` deliver what the services recorded.
"""

from __future__ import annotations

import email.policy
import functools
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.headerregistry import HeaderRegistry

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from assessments.models import Assessment
from teams.models import Assignment, AssignmentState, Notification

# A claim older than this is a sender that died mid-way: the row may be claimed again.
CLAIM_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 1, 2, 4 … minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=6))


@dataclass
class Mail:
    subject: str
    greeting: str
    lines: list[str]
    action: str
    url: str
    items: list[str] = field(default_factory=list)


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def compose(
    n: Notification, assignment: Assignment | None = None, memo: dict | None = None
) -> Mail:
    """The e-mail a notification stands for, read as things are when it is sent. A member's
    e-mail links their assignment's assessment: `assignment` (with it), or read here. `memo`:
    a dict kept over a run, where what a cycle's member e-mails of one kind share is built
    once."""
    cycle, user = n.cycle, n.recipient
    greeting = _("Hello %(name)s,") % {"name": _name(user)}
    kind = Notification.Kind
    if n.kind in MEMBER_MAILS:
        memo = {} if memo is None else memo
        if (cycle.pk, n.kind) not in memo:
            memo[cycle.pk, n.kind] = _member_mail(cycle, n.kind)
        if assignment is None:
            assignment = (
                Assignment.objects.filter(cycle=cycle, user=user)
                .select_related("assessment")
                .first()
            )
        assessment = assignment.assessment if assignment else None
        url = _link(
            assessment.get_absolute_url() if assessment else reverse("assessments:assessment-list")
        )
        return replace(memo[cycle.pk, n.kind], greeting=greeting, url=url)
    due = date_format(cycle.self_due, "j F Y")
    board = _link(cycle.get_absolute_url())
    today = timezone.localdate()
    assignments = Assignment.objects.filter(cycle=cycle).with_state(today).order_by("member_name")
    names = {"cycle": cycle.name, "team": cycle.team.name, "date": due}
    if n.kind == kind.OVERDUE_DIGEST:
        late = [a.member_name for a in assignments if a.state == AssignmentState.OVERDUE]
        return Mail(
            _("Still to submit after the due date: %(cycle)s") % names,
            greeting,
            [_("These members of %(team)s had not submitted by %(date)s:") % names],
            _("Open the cycle board"),
            board,
            late,
        )
    review_due = date_format(cycle.review_due, "j F Y")
    if n.kind == kind.REVIEWS_DUE:
        waiting = [a.member_name for a in assignments if a.state == AssignmentState.SUBMITTED]
        return Mail(
            _("Reviews due on %(date)s: %(cycle)s") % {**names, "date": review_due},
            greeting,
            [_("These assessments wait for your review, due on %(date)s:") % {"date": review_due}],
            _("Open the cycle board"),
            board,
            waiting,
        )
    # The submitted digest: what came in since the previous one, and what waits for review.
    previous = (
        Notification.objects.filter(cycle=cycle, kind=n.kind, created_at__lt=n.created_at)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    ) or cycle.opened_at
    fresh = assignments.filter(
        assessment__status=Assessment.Status.SUBMITTED, assessment__submitted_at__gt=previous
    )
    waiting = assignments.filter(state=AssignmentState.SUBMITTED).count()
    return Mail(
        _("Submitted for your review: %(cycle)s") % names,
        greeting,
        [
            _("Submitted since the last summary:"),
        ],
        _("Open the cycle board"),
        board,
        [a.member_name for a in fresh]
        + [
            _("%(n)s review(s) waiting, due %(date)s.") % {"n": waiting, "date": review_due},
        ],
    )


# A member's e-mails: subject, lines and action, each filled in with the cycle's names.
MEMBER_MAILS = {
    Notification.Kind.OPENED: (
        gettext_lazy("Skills review opened: %(cycle)s, due %(date)s"),
        [
            gettext_lazy("%(team)s's skills review %(cycle)s has opened."),
            gettext_lazy(
                "Your last ratings are carried over: change what changed, confirm the "
                "rest and submit by %(date)s."
            ),
        ],
        gettext_lazy("Update your assessment"),
    ),
    Notification.Kind.REMINDER: (
        gettext_lazy("Reminder: your self-assessment for %(cycle)s is due on %(date)s"),
        [gettext_lazy("Your self-assessment for %(cycle)s is due on %(date)s.")],
        gettext_lazy("Continue your assessment"),
    ),
    Notification.Kind.OVERDUE: (
        gettext_lazy("Overdue: your self-assessment for %(cycle)s"),
        [
            gettext_lazy("Your self-assessment for %(cycle)s was due on %(date)s."),
            gettext_lazy("Please submit it as soon as you can."),
        ],
        gettext_lazy("Continue your assessment"),
    ),
    Notification.Kind.REVIEW_DONE: (
        gettext_lazy("Your manager reviewed your assessment: %(cycle)s"),
        [gettext_lazy("Your manager has reviewed your self-assessment for %(cycle)s.")],
        gettext_lazy("See your report"),
    ),
}


def _member_mail(cycle, kind: str) -> Mail:
    """A member's e-mail of this kind for the cycle, without its greeting and link."""
    subject, lines, action = MEMBER_MAILS[kind]
    names = {
        "cycle": cycle.name,
        "team": cycle.team.name,
        "date": date_format(cycle.self_due, "j F Y"),
    }
    return Mail(str(subject) % names, "", [str(line) % names for line in lines], str(action), "")


class _Headers(HeaderRegistry):
    """The standard headers, each name's class and each (name, text) header made once.

    The standard library builds a new class for every header it sets and parses every value
    again; over thousands of e-mails that was most of the time a run took. A header is an
    immutable string, so the same name and text can share one."""

    def __getitem__(self, name: str):
        return _header_class(name)

    def __call__(self, name: str, value):
        return _header(name, value) if type(value) is str else self[name](name, value)


_STANDARD_HEADERS = HeaderRegistry()


@functools.cache
def _header_class(name: str):
    return _STANDARD_HEADERS[name]


@functools.lru_cache(maxsize=1024)
def _header(name: str, value: str):
    return _header_class(name)(name, value)


@functools.cache
def _quick(policy: email.policy.EmailPolicy) -> email.policy.EmailPolicy:
    return policy.clone(header_factory=_Headers())


class CycleEmail(EmailMultiAlternatives):
    """An e-mail whose MIME message is built with _Headers, under the policy asked for."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=_quick(policy))


# Stand-ins for what differs between recipients of one e-mail: the templates render each
# e-mail's shared text once, and these are replaced in it (see _bodies).
_PER_RECIPIENT = re.compile("\x00(greeting|url)\x00")


@functools.lru_cache(maxsize=256)
def _shared_bodies(
    subject: str, lines: tuple, action: str, items: tuple, preferences: str, language: str | None
) -> tuple[str, str]:
    mail = Mail(subject, "\x00greeting\x00", list(lines), action, "\x00url\x00", list(items))
    context = {"mail": mail, "preferences": preferences}
    text = render_to_string("teams/email/message.txt", context)
    return text, render_to_string("teams/email/message.html", context)


def _bodies(mail: Mail) -> tuple[str, str]:
    """The plain text and HTML of an e-mail, as the templates render them."""
    preferences = _link(reverse("teams:mail-preferences"))
    text, html = _shared_bodies(
        mail.subject, tuple(mail.lines), mail.action, tuple(mail.items), preferences, get_language()
    )
    plain = {"greeting": mail.greeting, "url": mail.url}
    escaped = {k: escape(v) for k, v in plain.items()}
    return (
        _PER_RECIPIENT.sub(lambda m: plain[m[1]], text),
        _PER_RECIPIENT.sub(lambda m: escaped[m[1]], html),
    )


def message(
    n: Notification,
    assignment: Assignment | None = None,
    mail: Mail | None = None,
    memo: dict | None = None,
) -> EmailMultiAlternatives:
    mail = mail or compose(n, assignment, memo)
    text, html = _bodies(mail)
    email_ = CycleEmail(mail.subject, text, to=[n.recipient.email])
    email_.attach_alternative(html, "text/html")
    return email_


def held(n: Notification) -> list[Notification]:
    """The e-mails a weekly digest gathers: its recipient's not yet sent, recorded before it."""
    return list(
        Notification.objects.filter(
            recipient=n.recipient_id,
            cycle__isnull=False,
            sent_at=None,
            created_at__lte=n.created_at,
        )
        .select_related("recipient", "cycle__team")
        .order_by("created_at", "pk")
    )


def weekly(n: Notification, items: list[Notification]) -> Mail:
    lines = []
    for item in items:
        mail = compose(item)
        lines.append(f"{mail.subject} — {mail.url}")
    return Mail(
        _("Your weekly summary of skills reviews"),
        _("Hello %(name)s,") % {"name": _name(n.recipient)},
        [_("What happened in your skills reviews this week:")],
        _("Open My assessments"),
        _link(reverse("assessments:assessment-list")),
        lines or [_("Nothing new.")],
    )


def pending() -> Q:
    """Due to be sent now: not sent, not given up, not claimed by a live sender, and not held
    for the recipient's weekly digest."""
    now = timezone.now()
    return (
        Q(sent_at=None, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now)
        & (Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_LEASE))
        & (~Q(recipient__mail_preference__weekly_digest=True) | Q(cycle__isnull=True))
    )


CHUNK = 200


def deliver() -> tuple[int, int]:
    """Send every notification due to go, a chunk at a time, each chunk claimed first by a
    conditional UPDATE with this sender's token, so two senders at once never send one
    twice. One SMTP connection for the run. A failure is recorded on its row and tried again
    later (backoff). Returns (sent, failed)."""
    sent = failed = 0
    token = uuid.uuid4().hex
    ids = list(Notification.objects.filter(pending()).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0, 0
    connection = mailers.default
    memo: dict = {}
    try:
        connection.open()
    except Exception as error:  # the server is down: every one waits for the next attempt
        for start in range(0, len(ids), CHUNK):
            claimed = _claim(ids[start : start + CHUNK], token)
            _failed(claimed, error)
            failed += len(claimed)
        return 0, failed
    try:
        for start in range(0, len(ids), CHUNK):
            chunk = _claim(ids[start : start + CHUNK], token)
            assignments = {
                (a.cycle_id, a.user_id): a
                for a in Assignment.objects.filter(
                    cycle__in={n.cycle_id for n in chunk},
                    user__in={n.recipient_id for n in chunk},
                ).select_related("assessment")
            }
            done = []
            for n in chunk:
                if not n.recipient.email:
                    Notification.objects.filter(pk=n.pk).update(
                        attempts=MAX_ATTEMPTS, error=_("The recipient has no e-mail address.")
                    )
                    failed += 1
                    continue
                gathered = held(n) if n.kind == Notification.Kind.WEEKLY else []
                try:
                    if n.kind == Notification.Kind.WEEKLY:
                        email = message(n, mail=weekly(n, gathered))
                    else:
                        assignment = assignments.get((n.cycle_id, n.recipient_id))
                        email = message(n, assignment, memo=memo)
                    connection.send_messages([email])
                except Exception as error:  # refused, timed out: try again later
                    _failed([n], error)
                    failed += 1
                    continue
                done.append(n.pk)
                if gathered:
                    Notification.objects.filter(pk__in=[g.pk for g in gathered]).update(
                        sent_at=timezone.now(), error=_("Sent in the weekly digest.")
                    )
            Notification.objects.filter(pk__in=done).update(sent_at=timezone.now(), error="")
            sent += len(done)
    finally:
        connection.close()
    return sent, failed


def _claim(ids: list[int], token: str) -> list[Notification]:
    """Those of `ids` still pending, now this sender's: one UPDATE, then one read."""
    Notification.objects.filter(pending(), pk__in=ids).update(
        claimed_at=timezone.now(), claimed_by=token
    )
    return list(
        Notification.objects.filter(pk__in=ids, claimed_by=token, sent_at=None)
        .select_related("recipient", "cycle__team")
        .order_by("pk")
    )


def _failed(notifications: list[Notification], error: Exception) -> None:
    for n in notifications:
        attempts = n.attempts + 1
        Notification.objects.filter(pk=n.pk).update(
            attempts=attempts,
            error=f"{type(error).__name__}: {error}"[:2000],
            claimed_at=None,
            claimed_by="",
            next_attempt_at=timezone.now() + backoff(attempts),
        )
