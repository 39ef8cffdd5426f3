"""Teams: people assessed against an occupation, who manages them, and their exports.

The figures of each member come from their latest submitted assessment (assessments);
this app reads them, never the other way round.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Lower
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assessments.models import Assessment, Rating, ReviewState
from config.tasks import task_statuses
from taxonomy.models import Occupation


class TeamQuerySet(models.QuerySet):
    def managed_by(self, user) -> TeamQuerySet:
        """The teams `user` manages: the manager role (the teams.manage_team permission)
        says whether they may, Team.managers which teams. Every page and the API read it."""
        if not user.has_perm("teams.manage_team"):
            return self.none()
        return self.filter(managers=user)

    def reviewable(self, manager) -> models.QuerySet[Assessment]:
        """What `manager` may see and review of these teams' members: each member's latest
        submitted assessment of the occupation the team assesses them against, and the
        submitted assessments of the teams' review cycles; never their own. The review
        page and the API read it."""
        latest = Membership.objects.filter(team__in=self).exclude(user=manager).with_latest()
        cycles = Assignment.objects.filter(cycle__team__in=self).exclude(user=manager)
        return Assessment.objects.submitted().filter(
            Q(pk__in=latest.values("latest_id")) | Q(pk__in=cycles.values("assessment_id"))
        )


class Team(models.Model):
    """People assessed against one occupation by default, and who manages them.

    The team report counts each member's latest submitted assessment of the occupation they
    are assessed against, with the validated level where a manager gave one, else the self
    rating. Its reads run a fixed number of queries whatever the team's size: per-member
    figures are stored on the assessment (see Assessment.readiness), the rest is SQL.
    """

    name = models.CharField(max_length=100, unique=True)
    occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        related_name="teams",
        help_text="What members are assessed against, unless their membership says otherwise.",
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="managed_teams", blank=True
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", blank=True
    )

    objects = TeamQuerySet.as_manager()

    history = HistoricalRecords(m2m_fields=[managers])

    class Meta:
        ordering = ["name"]
        # What the manager role means; Team.managers then says which teams.
        permissions = [("manage_team", "Can manage the teams they are named manager of")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:team-report", args=[self.pk])

    def occupations(self) -> models.QuerySet[Occupation]:
        """The occupations the members are assessed against."""
        chosen = self.memberships.filter(occupation__isnull=False).values("occupation")
        return Occupation.objects.filter(Q(pk=self.occupation_id) | Q(pk__in=chosen)).order_by(
            "title"
        )

    def assessed_members(self, occupation: Occupation) -> list[dict]:
        """The members assessed against `occupation` who have submitted, by name: each as
        {"latest_id": their latest submitted assessment, "member_name": ..., "release_name":
        the release it was made against, None when not recorded}."""
        return list(
            self.memberships.current()
            .with_latest()
            .filter(assessed_id=occupation.pk, latest_id__isnull=False)
            .order_by(Lower("member_name"), "pk")
            .values("latest_id", "member_name", "release_name")
        )


def member_name() -> Case:
    """A member's display name, as a database expression: "first last", else the username."""
    return Case(
        When(Q(user__first_name="") & Q(user__last_name=""), then="user__username"),
        default=Concat("user__first_name", Value(" "), "user__last_name"),
        output_field=CharField(),
    )


class MembershipQuerySet(models.QuerySet):
    def current(self) -> MembershipQuerySet:
        """The memberships of people still active: a deactivated person (their identity
        provider said so) leaves the live figures; their assessments and history stay."""
        return self.filter(user__is_active=True)

    def with_assessed(self) -> MembershipQuerySet:
        """Annotate `assessed_id`: the occupation the member is assessed against."""
        return self.annotate(assessed_id=Coalesce("occupation", "team__occupation"))

    def with_latest(self) -> MembershipQuerySet:
        """Annotate each membership with the occupation it is assessed against, the
        member's display name, the figures of their latest submitted assessment of that
        occupation (None when there is none) and its review `state`: a ReviewState value,
        or "not-assessed" (NOT_ASSESSED) when there is no such assessment.
        """
        latest = (
            Assessment.objects.submitted()
            .with_review_state()
            .with_stale_essentials()
            .filter(user=OuterRef("user"), occupation=OuterRef("assessed_id"))
            .annotate(essential_gaps=F("essentials_total") - F("essentials_met"))
            .order_by("-submitted_at", "-pk")
        )
        return (
            self.select_related("user")
            .with_assessed()
            .annotate(
                occupation_title=Coalesce("occupation__title", "team__occupation__title"),
                occupation_code=Coalesce("occupation__code", "team__occupation__code"),
                member_name=member_name(),
            )
            .annotate(**{name: Subquery(latest.values(f)[:1]) for name, f in LATEST_FIELDS.items()})
            .annotate(
                state=Coalesce("latest_review_state", Value(NOT_ASSESSED), output_field=CharField())
            )
        )


LATEST_FIELDS = {  # annotation: field of the latest submitted assessment
    "latest_id": "pk",
    "readiness": "readiness",
    "essentials_met": "essentials_met",
    "essentials_total": "essentials_total",
    "essential_gaps": "essential_gaps",
    "last_assessed": "submitted_at",
    "reviewed_at": "reviewed_at",
    "validated_count": "validated_count",
    "self_bias": "self_bias",
    "latest_review_state": "review_state",
    "stale_essentials": "stale_essentials",
    "release_name": "release__name",  # of the profile it was made against
}
NOT_ASSESSED = "not-assessed"
# The members table's review column and filter: an assessment's ReviewState, or none yet.
MEMBER_STATES = {NOT_ASSESSED: "Not assessed", **dict(ReviewState.choices)}


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Leave empty to assess this member against the team's occupation.",
    )

    objects = MembershipQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


EXPORT_KEEP = timedelta(days=7)
# An export not ready after this long has failed: its task never started (no worker is
# running) or hangs. One whose task failed, or whose worker died, shows as failed at once.
EXPORT_PENDING = timedelta(hours=1)


class TeamExportQuerySet(models.QuerySet):
    def current(self) -> TeamExportQuerySet:
        """Exports still kept: they hold personal data, so they go after EXPORT_KEEP."""
        return self.filter(requested_at__gte=timezone.now() - EXPORT_KEEP)

    def expired(self) -> TeamExportQuerySet:
        """Exports past EXPORT_KEEP whose file is still there."""
        return self.filter(requested_at__lt=timezone.now() - EXPORT_KEEP, content__isnull=False)

    def with_task_status(self) -> list[TeamExport]:
        """The exports, as a list, each with its task's status read for all at once (which
        TeamExport.state needs), so a list of exports costs the same queries at any length."""
        exports = list(self)
        statuses = task_statuses(e.task_id for e in exports if not (e.finished_at or e.failed_at))
        for export in exports:
            export.task_status = statuses.get(export.task_id)
        return exports


class TeamExport(models.Model):
    """A manager's full export of a team, built by a task (assessments.tasks) so the
    request that asks for it returns at once. The file is kept in the database, where
    every app server and worker can reach it. After EXPORT_KEEP the file goes (see the
    prune_exports command) and the row stays, as the record of who exported what.
    """

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel workbook: members, competences and every rating"
        CSV = "csv", "CSV: every rating, one row per member and competence"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_exports"
    )
    format = models.CharField(max_length=4, choices=Format.choices)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    task_id = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    content = models.BinaryField(null=True, blank=True)

    objects = TeamExportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.team} export {self.pk} ({self.format})"

    def get_absolute_url(self) -> str:
        return reverse("teams:team-export-detail", args=[self.team_id, self.pk])

    @cached_property
    def task_status(self) -> str | None:
        """Its task's status, a task whose worker stopped responding counted as failed;
        None once the task result is pruned. TeamExportQuerySet.with_task_status() reads
        it for many exports at once."""
        return task_statuses([self.task_id]).get(self.task_id)

    @property
    def state(self) -> str:
        """ "ready", "failed", "queued" or "running": what the list, the export's page and
        the refusal to ask twice all go by."""
        if self.finished_at:
            return "ready"
        if self.failed_at or self.requested_at < timezone.now() - EXPORT_PENDING:
            return "failed"
        if self.task_status == TaskResultStatus.READY:
            return "queued"
        # SUCCESSFUL too: the task finished after this row was read, so the next look
        # finds the file (the task saves it before it returns).
        if self.task_status in (TaskResultStatus.RUNNING, TaskResultStatus.SUCCESSFUL):
            return "running"
        return "failed"  # the task failed, its worker died, or its result is gone

    @property
    def expires_at(self):
        return self.requested_at + EXPORT_KEEP

    @property
    def filename(self) -> str:
        return f"{self.team.name} full export {self.requested_at:%Y-%m-%d}.{self.format}"


class ReviewCycle(models.Model):
    """A round of skills reviews for one team: members update their assessment by
    `self_due`, the manager reviews by `review_due`. At most one open cycle per team."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(_("Name"), max_length=100)
    opens_on = models.DateField(_("Opens on"))
    self_due = models.DateField(_("Self-assessment due"))
    review_due = models.DateField(_("Review due"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # When every member's assignment and draft were made (the worker does it after opening).
    built_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    repeat_every_months = models.PositiveSmallIntegerField(
        _("Repeat every (months)"),
        null=True,
        blank=True,
        help_text=_("Closing the cycle then prepares the next one, its dates moved on."),
    )
    # Members skipped at opening because nothing says what to assess them against.
    skipped = models.TextField(blank=True)

    class Meta:
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=Q(status="open"), name="one_open_cycle_per_team"
            ),
            models.CheckConstraint(
                condition=Q(review_due__gte=F("self_due")) & Q(self_due__gte=F("opens_on")),
                name="cycle_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("teams:cycle-board", args=[self.team_id, self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class AssignmentState(models.TextChoices):
    """Where a member stands in a cycle: see Assignment.objects.with_state()."""

    NOT_STARTED = "not-started", _("Not started")
    IN_PROGRESS = "in-progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    REVIEWED = "reviewed", _("Reviewed")
    OVERDUE = "overdue", _("Overdue")
    MISSED = "missed", _("Missed")
    LEFT = "left", _("Left the team")
    EXCUSED = "excused", _("Excused")


def _still_a_member() -> Exists:
    """Whether the assignment's member is still an active member of the cycle's team."""
    return Exists(
        Membership.objects.current().filter(team=OuterRef("cycle__team"), user=OuterRef("user"))
    )


class AssignmentQuerySet(models.QuerySet):
    def with_state(self, today) -> AssignmentQuerySet:
        """Annotate `done` (ratings rated or confirmed since the cycle opened), `total`
        (competences of the profile), `last_activity`, `member_name` and `state`, an
        AssignmentState value: the one definition the board, its filter, its CSV, the
        reminders and My assessments read."""
        since = Rating.objects.filter(
            assessment=OuterRef("assessment"),
            answered=True,
            rated_at__gte=OuterRef("cycle__opened_at"),
        ).order_by()
        done = since.values("assessment").annotate(n=Count("pk")).values("n")
        last = since.values("assessment").annotate(at=Max("rated_at")).values("at")
        submitted = Q(assessment__status=Assessment.Status.SUBMITTED)
        return self.annotate(
            done=Coalesce(Subquery(done), Value(0)),
            total=F("occupation__requirement_count"),
            last_activity=Case(
                When(submitted, then=F("assessment__submitted_at")),
                default=Subquery(last),
            ),
            member_name=member_name(),
        ).annotate(
            state=Case(
                When(status=Assignment.Status.EXCUSED, then=Value(AssignmentState.EXCUSED)),
                When(
                    submitted & Q(assessment__reviewed_at__isnull=False),
                    then=Value(AssignmentState.REVIEWED),
                ),
                When(submitted, then=Value(AssignmentState.SUBMITTED)),
                When(status=Assignment.Status.MISSED, then=Value(AssignmentState.MISSED)),
                # One who left keeps what they did, and is no longer asked for the rest.
                When(~_still_a_member(), then=Value(AssignmentState.LEFT)),
                When(cycle__self_due__lt=today, then=Value(AssignmentState.OVERDUE)),
                When(done__gt=0, then=Value(AssignmentState.IN_PROGRESS)),
                default=Value(AssignmentState.NOT_STARTED),
                output_field=CharField(),
            )
        )

    def waiting(self) -> AssignmentQuerySet:
        """Assignments whose member still has to submit: neither excused nor missed, and
        still an active member of the team (one who left keeps what they did, unasked)."""
        return (
            self.filter(status=Assignment.Status.ACTIVE)
            .exclude(assessment__status=Assessment.Status.SUBMITTED)
            .filter(_still_a_member())
        )


class Assignment(models.Model):
    """One member's part in a cycle: the assessment they update for it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXCUSED = "excused", _("Excused")
        MISSED = "missed", _("Missed")

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    excused_reason = models.CharField(_("Reason"), max_length=500, blank=True)
    excused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    excused_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Set when the cycle closed with this member's review not done.
    review_missed = models.BooleanField(default=False)
    # When the manager's digest of submissions named this one.
    digested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["cycle", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "user"], name="one_assignment_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.cycle}"


class Notification(models.Model):
    """One e-mail, recorded before it is sent. The unique constraint is what makes each
    (recipient, cycle, kind, stage) go out at most once, whichever worker or schedule run
    asks for it; a sender claims a row with a conditional UPDATE before sending it."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Cycle opened")
        REMINDER = "reminder", _("Reminder")
        OVERDUE = "overdue", _("Overdue reminder")
        OVERDUE_DIGEST = "overdue-digest", _("Members past due, to the manager")
        SUBMITTED_DIGEST = "submitted-digest", _("Submissions, to the manager")
        REVIEW_DONE = "review-done", _("Review done")
        REVIEWS_DUE = "reviews-due", _("Reviews due, to the manager")
        WEEKLY = "weekly", _("Weekly digest")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # None for a weekly digest, which gathers the e-mails of every cycle held for it.
    cycle = models.ForeignKey(
        ReviewCycle, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    stage = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)  # the sender's token
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "cycle", "kind", "stage"], name="one_notification_per_stage"
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "stage"],
                condition=Q(cycle__isnull=True),
                name="one_digest_per_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.stage})"


class MailPreference(models.Model):
    """How a person wants the cycles' e-mails: one by one (the default) or gathered in one
    weekly digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="mail_preference",
    )
    weekly_digest = models.BooleanField(
        _("Send me one weekly digest instead of single e-mails"), default=False
    )

    def __str__(self) -> str:
        return f"{self.user}: {'weekly' if self.weekly_digest else 'single'}"
