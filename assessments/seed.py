"""The learning resources that ship with Gapwise (assessments/data/learning-resources.csv)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.db import transaction

from assessments.models import LearningResource
from assessments.services import AssessmentError
from taxonomy.models import Requirement
from taxonomy.tabular import is_http_url

DEFAULT_RESOURCES = Path(__file__).resolve().parent / "data" / "learning-resources.csv"
# The shipped resources name competences of the ICT technician's profile.
DEFAULT_RESOURCES_OCCUPATION = "3512.4"


def default_learning_resources_load() -> str:
    rows = list(csv.DictReader(io.StringIO(DEFAULT_RESOURCES.read_text())))
    return learning_resources_import(rows=rows, occupation_code=DEFAULT_RESOURCES_OCCUPATION)


@transaction.atomic
def learning_resources_import(*, rows: list[dict[str, str]], occupation_code: str) -> str:
    """Create or update resources by URL; `competences` names titles of the profile, ";"-separated.

    Returns a one-line summary. An unknown title stops the import and changes nothing.
    """
    profile = dict(
        Requirement.objects.filter(occupation__code=occupation_code).values_list(
            "competence__title", "competence_id"
        )
    )
    existing = {r.url: r for r in LearningResource.objects.prefetch_related("competences")}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for number, row in enumerate(rows, start=2):
        _check_resource(number, row)
        titles = [t.strip() for t in row["competences"].split(";") if t.strip()]
        unknown = [t for t in titles if t not in profile]
        if unknown:
            raise AssessmentError(
                f"learning resources, record {number}, column competences: "
                f"not in the {occupation_code} profile: {', '.join(unknown)}"
            )
        wanted = {profile[t] for t in titles}
        resource = existing.get(row["url"])
        if resource is None:
            resource = LearningResource.objects.create(
                url=row["url"], title=row["title"], kind=row["kind"]
            )
            counts["created"] += 1
        elif (resource.title, resource.kind) == (row["title"], row["kind"]) and wanted == {
            c.pk for c in resource.competences.all()
        }:
            counts["unchanged"] += 1
            continue
        else:
            resource.title, resource.kind = row["title"], row["kind"]
            resource.save()
            counts["updated"] += 1
        resource.competences.set(wanted)
    summary = "Learning resources: " + ", ".join(f"{n} {label}" for label, n in counts.items())
    summary += "."
    if not counts["created"] and not counts["updated"]:
        summary += " Nothing changed."
    return summary


def _check_resource(number: int, row: dict[str, str]) -> None:
    """What admin would refuse: the url becomes a link on every gap report."""

    def refuse(column: str, message: str) -> AssessmentError:
        return AssessmentError(f"learning resources, record {number}, column {column}: {message}")

    limits = {f: LearningResource._meta.get_field(f).max_length for f in ("url", "title")}
    if not is_http_url(row["url"]):
        raise refuse("url", "not an http:// or https:// address (or it holds a space)")
    for column, limit in limits.items():
        if len(row[column]) > limit:
            raise refuse(column, f"longer than {limit} characters")
    if row["kind"] not in LearningResource.Kind.values:
        raise refuse("kind", f"not one of {', '.join(LearningResource.Kind.values)}")
