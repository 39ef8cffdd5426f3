"""/scim/v2/Groups: identity provider groups are teams."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from identity import scim as s
from teams.models import Membership, Team

pytestmark = pytest.mark.django_db


def patch(*operations) -> dict:
    return {"schemas": [s.PATCH_OP], "Operations": list(operations)}


def members(team: Team) -> set[str]:
    return set(team.memberships.values_list("user__username", flat=True))


def test_entra_id_creates_a_team_and_adds_and_removes_members(scim, alice, bob):
    assert scim("GET", 'Groups?filter=displayName eq "Field support"').data["totalResults"] == 0
    created = scim(
        "POST",
        "Groups",
        {
            "schemas": [s.GROUP],
            "externalId": "8e1c0a5e-group",
            "displayName": "Field support",
            "members": [],
        },
    )
    team = Team.objects.get(pk=created.data["id"])

    added = scim(
        "PATCH",
        f"Groups/{team.pk}",
        patch(
            {"op": "Add", "path": "members", "value": [{"value": str(alice.pk)}]},
            {"op": "Add", "path": "members", "value": [{"value": str(bob.pk)}]},
        ),
    )
    removed = scim(
        "PATCH",
        f"Groups/{team.pk}",
        patch({"op": "Remove", "path": "members", "value": [{"value": str(alice.pk)}]}),
    )

    assert created.status_code == 201 and team.occupation.code == "3512.4"
    assert added.status_code == 200 and len(added.data["members"]) == 2
    assert removed.status_code == 200 and members(team) == {"bob"}
    by_external = scim("GET", 'Groups?filter=externalId eq "8e1c0a5e-group"')
    assert [g["id"] for g in by_external.data["Resources"]] == [str(team.pk)]


def test_okta_renames_with_no_path_and_removes_a_member_by_filter(scim, team, alice):
    renamed = scim(
        "PATCH",
        f"Groups/{team.pk}",
        patch({"op": "replace", "value": {"id": str(team.pk), "displayName": "Desk"}}),
    )
    removed = scim(
        "PATCH",
        f"Groups/{team.pk}",
        patch({"op": "remove", "path": f'members[value eq "{alice.pk}"]'}),
    )

    assert renamed.status_code == 200 and renamed.data["displayName"] == "Desk"
    assert removed.status_code == 200 and members(team) == {"bob"}


def test_put_replaces_the_members(scim, team, alice):
    response = scim(
        "PUT",
        f"Groups/{team.pk}",
        {
            "schemas": [s.GROUP],
            "displayName": "Service desk",
            "members": [{"value": str(alice.pk)}],
        },
    )

    assert response.status_code == 200
    assert members(team) == {"alice"}


def test_a_member_that_does_not_exist_refuses_the_whole_request(scim, team, alice):
    before = members(team)

    response = scim(
        "PATCH",
        f"Groups/{team.pk}",
        patch(
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "add", "path": "members", "value": [{"value": "424242"}]},
        ),
    )

    assert response.status_code == 400
    assert response.data["scimType"] == "invalidValue" and "424242" in response.data["detail"]
    team.refresh_from_db()
    assert team.name == "Service desk" and members(team) == before


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [s.GROUP]},
        {"schemas": [s.GROUP], "displayName": ""},
        {"schemas": [s.GROUP], "displayName": "X", "members": "alice"},
        {"schemas": [s.GROUP], "displayName": "X", "members": [{"value": 3}]},
        {"schemas": [s.GROUP], "displayName": "X", "owner": "me"},
        {"schemas": [s.USER], "displayName": "X"},
    ],
)
def test_a_bad_group_is_refused(scim, body):
    response = scim("POST", "Groups", body)

    assert response.status_code == 400 and response.data["schemas"] == [s.ERROR]
    assert not Team.objects.filter(name="X").exists()


def test_a_taken_team_name_is_a_conflict(scim, team):
    response = scim("POST", "Groups", {"schemas": [s.GROUP], "displayName": "service DESK"})

    assert response.status_code == 409 and response.data["scimType"] == "uniqueness"
    assert Team.objects.count() == 1


def test_a_member_whose_manager_is_named_makes_them_the_teams_manager(scim, alice):
    carl = User.objects.create_user("carl")
    scim(
        "PATCH",
        f"Users/{alice.pk}",
        patch({"op": "add", "value": {f"{s.ENTERPRISE}:manager": {"value": str(carl.pk)}}}),
    )

    created = scim(
        "POST",
        "Groups",
        {"schemas": [s.GROUP], "displayName": "Field", "members": [{"value": str(alice.pk)}]},
    )

    team = Team.objects.get(pk=created.data["id"])
    assert list(team.managers.values_list("username", flat=True)) == ["carl"]
    assert User.objects.get(pk=carl.pk).has_perm("teams.manage_team")

    scim("PATCH", f"Groups/{team.pk}", patch({"op": "remove", "path": "members"}))

    assert not team.managers.exists()  # no member names carl any more


def test_deleting_a_group_deletes_the_team_not_the_people(scim, team, alice):
    response = scim("DELETE", f"Groups/{team.pk}")

    assert response.status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not Membership.objects.filter(user=alice).exists()
    assert User.objects.filter(pk=alice.pk, is_active=True).exists()
    assert scim("GET", f"Groups/{team.pk}").status_code == 404


def test_unknown_methods_are_refused_in_scim_format(scim, team):
    response = scim("DELETE", "Groups")

    assert response.status_code == 405 and response.data["schemas"] == [s.ERROR]


def test_a_member_the_provider_deleted_does_not_block_changes_to_their_team(scim, team, alice):
    carl = User.objects.create_user("carl")
    scim("DELETE", f"Users/{alice.pk}")  # alice stays a member, with her history

    response = scim(
        "PATCH",
        f"Groups/{team.pk}",
        patch({"op": "add", "path": "members", "value": [{"value": str(carl.pk)}]}),
    )
    put = scim("GET", f"Groups/{team.pk}").data
    replaced = scim("PUT", f"Groups/{team.pk}", {**put, "schemas": [s.GROUP]})

    assert response.status_code == 200 and replaced.status_code == 200, replaced.data
    assert members(team) == {"alice", "bob", "carl"}


def test_a_team_name_too_long_is_refused(scim):
    response = scim("POST", "Groups", {"schemas": [s.GROUP], "displayName": "T" * 101})

    assert response.status_code == 400 and "longer than 100" in response.data["detail"]
