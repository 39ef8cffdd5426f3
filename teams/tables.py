"""The team report's tables and their filters (django-tables2, django-filter)."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from assessments.models import ReviewState
from assessments.templatetags.gapwise import signed
from config.tables import LabelledTable
from taxonomy.models import Competence, Occupation
from teams.models import MEMBER_STATES, AssignmentState


def _nulls_last(queryset: QuerySet, field: str, descending: bool) -> tuple[QuerySet, bool]:
    """Order with the empty values last both ways, then by name, so pages are stable."""
    order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return queryset.order_by(order, Lower("member_name"), "pk"), True


class MemberTable(LabelledTable):
    member_name = tables.Column(verbose_name="Member")
    occupation_title = tables.Column(verbose_name="Occupation")
    # Shown while members were assessed against different releases (teams.reports).
    release_name = tables.Column(verbose_name="Release", orderable=False)
    readiness = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    essentials_met = tables.Column(verbose_name="Essentials met", attrs={"td": {"class": "num"}})
    essential_gaps = tables.Column(verbose_name="Essential gaps", attrs={"td": {"class": "num"}})
    last_assessed = tables.DateColumn(format="j M Y", verbose_name="Last assessed")
    state = tables.Column(verbose_name="Review")
    self_bias = tables.Column(verbose_name="Self vs validated", attrs={"td": {"class": "num"}})
    stale_essentials = tables.Column(
        verbose_name="Stale essentials", attrs={"td": {"class": "num"}}
    )
    review = tables.Column(verbose_name="Assessment", empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "table"}
        prefix = "m-"
        per_page = 25
        order_by = ("member_name",)
        empty_text = "No member matches these filters."

    def __init__(self, *args, team_pk: int, releases_differ: bool = False, **kwargs):
        self.team_pk = team_pk
        super().__init__(*args, exclude=() if releases_differ else ("release_name",), **kwargs)

    def order_member_name(self, queryset, is_descending):
        name = Lower("member_name")
        return queryset.order_by(name.desc() if is_descending else name, "pk"), True

    def order_readiness(self, queryset, is_descending):
        return _nulls_last(queryset, "readiness", is_descending)

    def order_essentials_met(self, queryset, is_descending):
        return _nulls_last(queryset, "essentials_met", is_descending)

    def order_essential_gaps(self, queryset, is_descending):
        return _nulls_last(queryset, "essential_gaps", is_descending)

    def order_last_assessed(self, queryset, is_descending):
        return _nulls_last(queryset, "last_assessed", is_descending)

    def order_self_bias(self, queryset, is_descending):
        return _nulls_last(queryset, "self_bias", is_descending)

    def order_stale_essentials(self, queryset, is_descending):
        return _nulls_last(queryset, "stale_essentials", is_descending)

    def render_occupation_title(self, record) -> str:
        return format_html(
            '{} <span class="code">{}</span>', record.occupation_title, record.occupation_code
        )

    def render_readiness(self, value) -> str:
        return f"{value}%"

    def render_essentials_met(self, value, record) -> str:
        return f"{value} of {record.essentials_total}"

    def render_state(self, value) -> str:
        return MEMBER_STATES[value]

    def render_self_bias(self, value, record) -> str:
        leaning = "over-rates" if value > 0 else "under-rates" if value < 0 else "agrees"
        return format_html(
            '{} <span class="hint">({}, {} validated)</span>',
            signed(value),
            leaning,
            record.validated_count,
        )

    def render_review(self, record) -> str:
        if record.latest_id is None:
            return "—"
        url = reverse("teams:team-review", args=[self.team_pk, record.latest_id])
        action = "Review" if record.state != ReviewState.REVIEWED else "Open"
        return format_html(
            '<a href="{}" hx-boost="false">{}<span class="visually-hidden"> the assessment of {}'
            "</span></a>",
            url,
            action,
            record.member_name,
        )


class MemberFilter(django_filters.FilterSet):
    occupation = django_filters.ModelChoiceFilter(
        method="filter_occupation",
        queryset=Occupation.objects.none(),
        label="Occupation",
        empty_label="Any",
    )
    state = django_filters.ChoiceFilter(
        choices=list(MEMBER_STATES.items()), label="Review status", empty_label="Any"
    )
    gaps = django_filters.ChoiceFilter(
        method="filter_gaps",
        label="Essential gaps",
        choices=[("yes", "Has essential gaps"), ("no", "No essential gaps")],
        empty_label="Any",
    )

    def __init__(self, *args, occupations: QuerySet[Occupation], **kwargs):
        super().__init__(*args, prefix="m", **kwargs)
        self.filters["occupation"].queryset = occupations

    def filter_occupation(self, queryset, name, value):
        return queryset.filter(assessed_id=value.pk)

    def filter_gaps(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(essential_gaps__gt=0)
        return queryset.filter(essential_gaps=0)


class CompetenceTable(LabelledTable):
    competence = tables.Column(accessor="competence__title", verbose_name="Competence")
    relation = tables.Column()
    meeting = tables.Column(verbose_name="Members meeting target", attrs={"td": {"class": "num"}})
    mean_level = tables.Column(verbose_name="Mean level", attrs={"td": {"class": "num"}})
    mean_gap = tables.Column(verbose_name="Mean gap", attrs={"td": {"class": "num"}})
    experts = tables.Column(verbose_name="Members at expert level", attrs={"td": {"class": "num"}})
    coverage_risk = tables.Column(verbose_name="Coverage")
    stale = tables.Column(verbose_name="Stale ratings", attrs={"td": {"class": "num"}})

    class Meta:
        attrs = {"class": "table"}
        prefix = "c-"
        order_by = ("-coverage_risk", "competence")
        empty_text = "No competence matches these filters."

    def render_relation(self, record) -> str:
        return record.get_relation_display()

    def render_meeting(self, value, record) -> str:
        return f"{value} of {record.assessed}"

    def render_mean_level(self, value) -> str:
        return f"{value:.1f}"

    def render_mean_gap(self, value) -> str:
        return f"{value:.1f}"

    def render_coverage_risk(self, value, record) -> str:
        if value:
            return format_html('<span class="risk">Coverage risk</span>: met by {}', record.meeting)
        return "Covered"


class CompetenceFilter(django_filters.FilterSet):
    relation = django_filters.ChoiceFilter(
        choices=[("essential", "Essential only"), ("optional", "Optional only")], empty_label="All"
    )
    kind = django_filters.ChoiceFilter(
        field_name="competence__kind",
        choices=Competence.Kind.choices,
        label="Competence kind",
        empty_label="Any",
    )
    reuse = django_filters.ChoiceFilter(
        field_name="competence__reuse_level",
        choices=Competence.ReuseLevel.choices,
        label="Reuse level",
        empty_label="Any",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="c", **kwargs)


class AssignmentTable(LabelledTable):
    """The cycle board's rows: one per member, from Assignment.objects.with_state()."""

    member_name = tables.Column(verbose_name=_("Member"))
    state = tables.Column(verbose_name=_("Status"))
    done = tables.Column(verbose_name=_("Progress"), attrs={"td": {"class": "num"}})
    last_activity = tables.DateTimeColumn(format="j M Y, H:i", verbose_name=_("Last activity"))
    due = tables.Column(verbose_name=_("Due"), empty_values=(), orderable=False)
    actions = tables.Column(verbose_name=_("Actions"), empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "table"}
        prefix = "b-"
        per_page = 25
        order_by = ("member_name",)
        empty_text = _("No member matches these filters.")

    def __init__(self, *args, cycle, today, request, **kwargs):
        self.cycle, self.today, self.request = cycle, today, request
        super().__init__(*args, **kwargs)

    def order_member_name(self, queryset, is_descending):
        name = Lower("member_name")
        return queryset.order_by(name.desc() if is_descending else name, "pk"), True

    def order_state(self, queryset, is_descending):
        order = F("state").desc() if is_descending else F("state").asc()
        return queryset.order_by(order, Lower("member_name"), "pk"), True

    def order_done(self, queryset, is_descending):
        return _nulls_last(queryset, "done", is_descending)

    def order_last_activity(self, queryset, is_descending):
        return _nulls_last(queryset, "last_activity", is_descending)

    def render_member_name(self, value, record) -> str:
        if record.occupation_id != self.cycle.team.occupation_id:
            return format_html('{} <span class="hint">({})</span>', value, record.occupation.title)
        return value

    def render_state(self, value, record) -> str:
        label = AssignmentState(value).label
        if value == AssignmentState.EXCUSED and record.excused_reason:
            return format_html(
                '<span class="state state-{}">{}</span> <span class="hint">({})</span>',
                value,
                label,
                record.excused_reason,
            )
        if value == AssignmentState.SUBMITTED and record.review_missed:
            return format_html(
                '<span class="state state-{}">{}</span> <span class="hint">{}</span>',
                value,
                label,
                _("review not done"),
            )
        return format_html('<span class="state state-{}">{}</span>', value, label)

    def render_done(self, value, record) -> str:
        if record.state in (AssignmentState.SUBMITTED, AssignmentState.REVIEWED):
            return _("%(n)s of %(n)s") % {"n": record.total}
        return _("%(k)s of %(n)s") % {"k": value, "n": record.total}

    def render_due(self, record) -> str:
        if record.state == AssignmentState.EXCUSED:
            return "—"
        if record.state == AssignmentState.SUBMITTED:
            return _("Review by %(date)s") % {"date": date_format(self.cycle.review_due, "j M Y")}
        if record.state == AssignmentState.REVIEWED:
            return "—"
        return date_format(self.cycle.self_due, "j M Y")

    def render_actions(self, record) -> str:
        parts = []
        # What was submitted in the cycle stays the manager's to open, closed cycle or not.
        done = {AssignmentState.SUBMITTED: _("Review"), AssignmentState.REVIEWED: _("Open")}
        if record.state in done and record.assessment_id:
            url = reverse("teams:team-review", args=[self.cycle.team_id, record.assessment_id])
            parts.append(
                format_html(
                    '<a href="{}" hx-boost="false">{}<span class="visually-hidden"> {}</span></a>',
                    url,
                    done[record.state],
                    record.member_name,
                )
            )
        if self.cycle.is_open and record.state in WAITING_STATES:
            args = [self.cycle.team_id, self.cycle.pk, record.pk]
            reminded = record.reminded_at and timezone.localdate(record.reminded_at) >= self.today
            if reminded:
                parts.append(format_html('<span class="hint">{}</span>', _("Reminded today")))
            else:
                parts.append(
                    format_html(
                        '<form method="post" action="{}" class="inline" hx-boost="false">'
                        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                        '<button type="submit">{}<span class="visually-hidden"> {}</span>'
                        "</button></form>",
                        reverse("teams:cycle-remind", args=args),
                        get_token(self.request),
                        _("Remind"),
                        record.member_name,
                    )
                )
            parts.append(
                format_html(
                    '<a href="{}" hx-boost="false">{}<span class="visually-hidden"> {}</span></a>',
                    reverse("teams:cycle-excuse", args=args),
                    _("Excuse"),
                    record.member_name,
                )
            )
        if not parts:
            return "—"
        return format_html(
            '<span class="row-actions">{}</span>',
            format_html_join(" ", "{}", ((p,) for p in parts)),
        )


WAITING_STATES = {
    AssignmentState.NOT_STARTED,
    AssignmentState.IN_PROGRESS,
    AssignmentState.OVERDUE,
}


class AssignmentFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=AssignmentState.choices, label=_("Status"), empty_label=_("Any")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="b", **kwargs)
