"""Whom a taxonomy release affects among teams (registered in taxonomy.releases.IMPACTS)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import Coalesce

from taxonomy.releases import Impact, per_occupation
from teams.models import Assignment, Membership, ReviewCycle, Team


def release_impact(occupation_ids: list[int]) -> list[Impact]:
    """Teams assessed against a changed occupation, by default or for one of their members,
    and the open review cycles whose members are assessed against one."""
    teams = (
        Team.objects.filter(
            Q(occupation_id__in=occupation_ids) | Q(memberships__occupation_id__in=occupation_ids)
        )
        .order_by()
        .values_list("occupation_id")
        .annotate(n=Count("pk", distinct=True))
    )
    members = (
        Membership.objects.current()
        .annotate(assessed=Coalesce("occupation_id", "team__occupation_id"))
        .filter(assessed__in=occupation_ids)
        .order_by()
        .values_list("assessed")
        .annotate(n=Count("user", distinct=True))
    )
    # Their drafts follow the new profile, so their people rate what it adds.
    cycles = (
        Assignment.objects.filter(
            cycle__status=ReviewCycle.Status.OPEN, occupation_id__in=occupation_ids
        )
        .order_by()
        .values_list("occupation_id")
        .annotate(n=Count("cycle", distinct=True))
    )
    rows = []
    for what, counts in (
        ("Teams assessed against a changed occupation", list(teams)),
        ("Team members assessed against a changed occupation", list(members)),
        ("Open review cycles assessing a changed occupation", list(cycles)),
    ):
        by_code = per_occupation(counts)
        rows.append(Impact(what, sum(by_code.values()), by_code))
    return rows
