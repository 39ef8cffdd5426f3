"""Team exports: the report's figures (teams.reports) as CSV or XLSX, and the full export
a task builds.

Every text cell that a spreadsheet could read as a formula is neutralised.
"""

from __future__ import annotations

import re

from django.db.models import F, Value
from django.db.models.functions import Greatest, Lower
from tablib import Databook, Dataset

from assessments.models import Rating, RatingState, counted_level, rating_state
from taxonomy.exports import neutralise
from taxonomy.models import ProficiencyScale
from teams import reports
from teams.models import Team

RATING_HEADERS = [
    "Member",
    "Username",
    "Occupation code",
    "Competence",
    "Kind",
    "Relation",
    "Target level",
    "Self level",
    "Validated level",
    "Level counted",
    "Gap",
    "Confidence",
    "Evidence",
    "Manager's comment",
]


MEMBER_HEADERS = [
    "Member",
    "Occupation",
    "Readiness",
    "Essentials met",
    "Essential gaps",
    "Last assessed",
    "Review",
    "Self vs validated",
]
COMPETENCE_HEADERS = [
    "Competence",
    "Relation",
    "Members meeting target",
    "Mean level",
    "Mean gap",
    "Members at expert level",
    "Coverage",
]


def members_dataset(members: list[reports.MemberFigures]) -> Dataset:
    """The members table as data: numbers stay numbers, empty where not assessed."""
    rows = [
        [
            m.name,
            f"{m.occupation_title} ({m.occupation_code})",
            m.readiness,
            None if m.essentials_met is None else f"{m.essentials_met} of {m.essentials_total}",
            m.essential_gaps,
            m.last_assessed.date().isoformat() if m.last_assessed else "",
            m.review_label,
            m.self_bias,
        ]
        for m in members
    ]
    return _safe(MEMBER_HEADERS, rows, title="Members")


def competences_dataset(
    competences: list[reports.CompetenceFigures], title: str = "Competences"
) -> Dataset:
    rows = [
        [
            c.title,
            c.relation,
            c.meeting,
            None if c.mean_level is None else round(c.mean_level, 2),
            None if c.mean_gap is None else round(c.mean_gap, 2),
            c.experts,
            "coverage risk" if c.coverage_risk else "covered",
        ]
        for c in competences
    ]
    return _safe(COMPETENCE_HEADERS, rows, title=title)


def as_bytes(dataset: Dataset, fmt: str) -> bytes:
    if fmt == "csv":
        return dataset.export("csv").encode("utf-8")
    return Databook([dataset]).export("xlsx")


def team_export(team: Team, fmt: str) -> tuple[bytes, int]:
    """The team's full export and its number of rating rows: for "xlsx" a workbook with
    the members, each occupation's competences and every rating; for "csv" the ratings.

    Each member counts with their latest submitted assessment, as on the team report. The
    number of queries does not grow with the team, only with its occupations (one each).
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"Unknown export format {fmt!r}.")
    memberships = list(team.memberships.with_latest().order_by(Lower("member_name"), "pk"))
    ratings = rating_dataset(memberships)
    if fmt == "csv":
        return ratings.export("csv").encode("utf-8-sig"), len(ratings)
    top_level = ProficiencyScale.current().top_level
    sheets = [members_dataset(reports.member_figures(memberships))]
    for occupation in team.occupations():
        assessed = [m.latest_id for m in memberships if m.assessed_id == occupation.pk]
        summary = reports.competence_summary(
            occupation, [i for i in assessed if i is not None], top_level=top_level
        ).order_by("relation", "competence__title")
        # Sheet titles: at most 31 characters, none of \ / ? * [ ] :
        title = "Competences " + re.sub(r"[\\/?*\[\]:]", "-", occupation.code)[:19]
        sheets.append(competences_dataset(reports.competence_figures(summary), title))
    sheets.append(ratings)
    return Databook(sheets).export("xlsx"), len(ratings)


def rating_dataset(memberships: list) -> Dataset:
    """One row per member and competence of their latest submitted assessment."""
    members = {m.latest_id: m for m in memberships if m.latest_id is not None}
    counted = counted_level()
    rows = (
        Rating.objects.filter(assessment_id__in=list(members), relation__gt="")
        .annotate(counted=counted, gap=Greatest(F("target_level") - counted, Value(0)))
        .order_by("relation", "competence__title")  # essential sorts before optional
        .values_list(
            "assessment_id",
            "competence__title",
            "competence__kind",
            "relation",
            "target_level",
            "answered",
            "level",
            "validated_level",
            "counted",
            "gap",
            "confidence",
            "evidence",
            "review_comment",
        )
    )
    by_member = {latest_id: [] for latest_id in members}
    for assessment_id, *line in rows.iterator(chunk_size=2000):
        by_member[assessment_id].append(line)
    data = []
    for latest_id, lines in by_member.items():
        m = members[latest_id]
        member = [m.member_name, m.user.username, m.occupation_code]
        for title, kind, relation, target, answered, level, *rest in lines:
            state = rating_state(answered, level)
            shown = level if state == RatingState.RATED else state.label
            data.append([*member, title, kind, relation, target, shown, *rest])
    return _safe(RATING_HEADERS, data, title="Ratings")


def _safe(headers: list[str], rows: list, *, title: str) -> Dataset:
    rows = [[neutralise(v) if isinstance(v, str) else v for v in row] for row in rows]
    return Dataset(*rows, headers=headers, title=title)
