"""Whom a taxonomy release affects among teams (registered in taxonomy.releases.IMPACTS)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import Coalesce

from taxonomy.releases import Impact, per_occupation
from teams.models import Membership, Team


def release_impact(occupation_ids: list[int]) -> list[Impact]:
    """Teams assessed against a changed occupation, by default or for one of their members."""
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
    rows = []
    for what, counts in (
        ("Teams assessed against a changed occupation", list(teams)),
        ("Team members assessed against a changed occupation", list(members)),
    ):
        by_code = per_occupation(counts)
        rows.append(Impact(what, sum(by_code.values()), by_code))
    return rows
