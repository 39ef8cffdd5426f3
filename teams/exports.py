"""Team exports: the report's figures (teams.reports) as CSV or XLSX, and the full export
a task builds.

Every text cell that a spreadsheet could read as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

import openpyxl
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
    "Stale essentials",
]
COMPETENCE_HEADERS = [
    "Competence",
    "Relation",
    "Members meeting target",
    "Mean level",
    "Mean gap",
    "Members at expert level",
    "Coverage",
    "Stale ratings",
]


def members_dataset(members: list[reports.MemberFigures], *, with_release: bool = False) -> Dataset:
    """The members table as data: numbers stay numbers, empty where not assessed. With
    `with_release` (reports.releases_differ), a last column names the release of each one's
    assessment."""
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
            m.stale_essentials,
            *([_release_name(m)] if with_release else []),
        ]
        for m in members
    ]
    headers = [*MEMBER_HEADERS, "Release"] if with_release else MEMBER_HEADERS
    return _safe(headers, rows, title="Members")


def _release_name(m: reports.MemberFigures) -> str:
    if m.assessment_id is None:
        return ""
    return reports.ReleaseCount(m.release, 1).name


def competences_dataset(
    competences: list[reports.CompetenceFigures],
    title: str = "Competences",
    *,
    apart: Iterable[reports.Apart] = (),
) -> Dataset:
    """The competences table as data, then the competences `apart` (TeamReleases.apart):
    in the releases of some members only, so neither compared nor counted."""
    rows = [
        [
            c.title,
            c.relation,
            c.meeting,
            None if c.mean_level is None else round(c.mean_level, 2),
            None if c.mean_gap is None else round(c.mean_gap, 2),
            c.experts,
            "coverage risk" if c.coverage_risk else "covered",
            c.stale,
        ]
        for c in competences
    ]
    rows += [
        [a.title, a.relation, None, None, None, None, f"{a.label}: not compared", None]
        for a in apart
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
    ratings stream from the database into the file, MEMBERS_AT_ONCE members at a time, so
    memory stays flat whatever the size of the team; queries grow with the occupations
    (one each) and with every MEMBERS_AT_ONCE members, not with each member.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"Unknown export format {fmt!r}.")
    current = team.memberships.current().with_latest()
    memberships = list(current.order_by(Lower("member_name"), "pk"))
    out = io.BytesIO()
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(RATING_HEADERS)
        count = 0
        for row in rating_rows(memberships):
            writer.writerow(row)
            count += 1
        text.flush()
        return out.getvalue(), count
    book = openpyxl.Workbook(write_only=True)
    figures = reports.member_figures(memberships)
    _sheet(book, members_dataset(figures, with_release=reports.releases_differ(current)))
    top_level = ProficiencyScale.current().top_level
    for occupation in team.occupations():
        assessed = [
            {"latest_id": m.latest_id, "release_name": m.release_name}
            for m in memberships
            if m.assessed_id == occupation.pk and m.latest_id is not None
        ]
        releases = reports.team_releases(assessed)
        summary = reports.competence_summary(
            occupation,
            [m["latest_id"] for m in assessed],
            top_level=top_level,
            apart=releases.apart_ids,
        ).order_by("relation", "competence__title")
        # Sheet titles: at most 31 characters, none of \ / ? * [ ] :
        title = "Competences " + re.sub(r"[\\/?*\[\]:]", "-", occupation.code)[:19]
        figures = reports.competence_figures(summary)
        _sheet(book, competences_dataset(figures, title, apart=releases.apart))
    ratings = book.create_sheet("Ratings")
    ratings.append(RATING_HEADERS)
    count = 0
    for row in rating_rows(memberships):
        ratings.append(row)
        count += 1
    book.save(out)
    return out.getvalue(), count


MEMBERS_AT_ONCE = 500


def rating_rows(memberships: list) -> Iterator[list]:
    """One row per member and competence of their latest submitted assessment (members in
    the order given, essentials first), text cells neutralised, read MEMBERS_AT_ONCE
    members at a time."""
    assessed = [m for m in memberships if m.latest_id is not None]
    counted = counted_level()
    for start in range(0, len(assessed), MEMBERS_AT_ONCE):
        members = {m.latest_id: m for m in assessed[start : start + MEMBERS_AT_ONCE]}
        rows = (
            Rating.objects.filter(assessment_id__in=list(members), relation__gt="")
            .annotate(counted=counted, gap=Greatest(F("target_level") - counted, Value(0)))
            .order_by("assessment_id", "relation", "competence__title")
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
        by_member: dict[int, list] = {latest_id: [] for latest_id in members}
        for assessment_id, *line in rows.iterator(chunk_size=2000):
            by_member[assessment_id].append(line)
        for latest_id, lines in by_member.items():
            m = members[latest_id]
            member = [m.member_name, m.user.username, m.occupation_code]
            for title, kind, relation, target, answered, level, *rest in lines:
                state = rating_state(answered, level)
                shown = level if state == RatingState.RATED else state.label
                row = [*member, title, kind, relation, target, shown, *rest]
                yield [neutralise(v) if isinstance(v, str) else v for v in row]


def _sheet(book: openpyxl.Workbook, dataset: Dataset) -> None:
    sheet = book.create_sheet(dataset.title)
    sheet.append(dataset.headers)
    for row in dataset:
        sheet.append(list(row))


def _safe(headers: list[str], rows: list, *, title: str) -> Dataset:
    rows = [[neutralise(v) if isinstance(v, str) else v for v in row] for row in rows]
    return Dataset(*rows, headers=headers, title=title)
