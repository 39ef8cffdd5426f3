"""teams.releases: whom a taxonomy release affects among teams and their review cycles."""

from __future__ import annotations

import pytest

from taxonomy.releases import impact
from teams.services import cycle_close
from tests.teams.test_cycles import open_cycle

pytestmark = pytest.mark.django_db


def rows(occupation) -> dict[str, str]:
    return {row.what: str(row) for row in impact([occupation.pk])}


def test_an_open_cycle_of_a_changed_occupation_is_counted(team, mia, make_profile):
    open_cycle(team, mia)
    code = team.occupation.code

    found = rows(team.occupation)

    assert found["Teams assessed against a changed occupation"].endswith(f": 1 ({code}: 1)")
    assert found["Team members assessed against a changed occupation"].endswith(f": 2 ({code}: 2)")
    assert found["Open review cycles assessing a changed occupation"].endswith(f": 1 ({code}: 1)")
    unrelated = make_profile(3)
    assert rows(unrelated)["Open review cycles assessing a changed occupation"].endswith(": 0")


def test_a_closed_cycle_is_not(team, mia):
    cycle_close(cycle=open_cycle(team, mia), by=mia)

    found = rows(team.occupation)

    assert found["Open review cycles assessing a changed occupation"].endswith(": 0")
