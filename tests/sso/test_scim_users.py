"""/scim/v2/Users in the shapes Entra ID and Okta send, and every bad input refused whole."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment
from identity import scim as s
from identity.models import ScimRequest
from teams.models import Membership
from tests.assessments.conftest import submitted_at_level

pytestmark = pytest.mark.django_db

# What Entra ID sends to create a person (its default attribute mappings).
ENTRA_CREATE = {
    "schemas": [s.USER, s.ENTERPRISE],
    "externalId": "0f2b4c1e-aaaa-4b5b-9c1d-1234567890ab",
    "userName": "dana@contoso.example",
    "active": True,
    "displayName": "Dana Scully",
    "emails": [{"primary": True, "type": "work", "value": "dana@contoso.example"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "Dana Scully", "familyName": "Scully", "givenName": "Dana"},
    "title": "Service desk analyst",
    s.ENTERPRISE: {"department": "IT"},
}
# And Okta's.
OKTA_CREATE = {
    "schemas": [s.USER],
    "userName": "fox@example.com",
    "name": {"givenName": "Fox", "familyName": "Mulder"},
    "emails": [{"primary": True, "value": "fox@example.com", "type": "work"}],
    "displayName": "Fox Mulder",
    "locale": "en-US",
    "externalId": "00u1abcdEFGH",
    "groups": [],
    "password": "never-used-1",
    "active": True,
}


def patch(*operations) -> dict:
    return {"schemas": [s.PATCH_OP], "Operations": list(operations)}


def test_entra_id_finds_nobody_then_creates_reads_and_updates_a_person(scim):
    found = scim("GET", 'Users?filter=userName eq "dana@contoso.example"')
    assert found.status_code == 200 and found.data["totalResults"] == 0
    assert found["Content-Type"] == "application/scim+json"

    created = scim("POST", "Users", ENTRA_CREATE)

    assert created.status_code == 201
    assert created["Location"].endswith(f"/scim/v2/Users/{created.data['id']}")
    dana = User.objects.get(username="dana@contoso.example")
    assert (dana.first_name, dana.last_name, dana.email) == ("Dana", "Scully", dana.username)
    assert not dana.has_usable_password()
    assert list(dana.groups.values_list("name", flat=True)) == ["technician"]
    assert created.data["externalId"] == ENTRA_CREATE["externalId"]

    by_external = scim("GET", f'Users?filter=externalId eq "{ENTRA_CREATE["externalId"]}"')
    assert [r["id"] for r in by_external.data["Resources"]] == [str(dana.pk)]

    changed = scim(
        "PATCH",
        f"Users/{dana.pk}",
        patch(
            {"op": "Replace", "path": "name.givenName", "value": "Danielle"},
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "ds@contoso.example"},
            {"op": "Replace", "path": "displayName", "value": "Danielle Scully"},
        ),
    )

    assert changed.status_code == 200
    assert changed.data["name"]["givenName"] == "Danielle"
    assert changed.data["emails"][0]["value"] == "ds@contoso.example"
    dana.refresh_from_db()
    assert (dana.first_name, dana.email) == ("Danielle", "ds@contoso.example")


def test_okta_creates_then_replaces_a_person(scim):
    created = scim("POST", "Users", OKTA_CREATE)
    pk = created.data["id"]

    replaced = scim(
        "PUT",
        f"Users/{pk}",
        {**OKTA_CREATE, "id": pk, "name": {"givenName": "Fox", "familyName": "Mulder-Scully"}},
    )

    assert created.status_code == 201 and replaced.status_code == 200
    assert User.objects.get(pk=pk).last_name == "Mulder-Scully"
    assert replaced.data["active"] is True


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Replace", "path": "active", "value": "False"},  # Entra ID
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "value": {"active": False}},  # Okta
        {"op": "REPLACE", "value": {"active": "false"}},
    ],
    ids=["entra", "boolean", "okta-no-path", "upper-case"],
)
def test_deactivating_answers_the_person_and_blocks_sign_in_at_once(scim, alice, operation):
    signed_in = Client()
    signed_in.force_login(alice)
    assert signed_in.get(reverse("assessments:assessment-list")).status_code == 200

    response = scim("PATCH", f"Users/{alice.pk}", patch(operation))

    assert response.status_code == 200
    assert response.data["active"] is False and response.data["userName"] == "alice"
    assert signed_in.get(reverse("assessments:assessment-list")).status_code == 302
    refused = Client().post(
        reverse("login"), {"username": "alice", "password": "a-long-password-1"}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session


def test_a_deactivated_person_keeps_their_assessments_and_leaves_the_live_team_figures(
    scim, team, alice, bob, mia_client
):
    mine = submitted_at_level(alice, team.occupation, 3)
    submitted_at_level(bob, team.occupation, 1)
    report = reverse("teams:team-report", args=[team.pk])
    assert "alice" in mia_client.get(report).content.decode()

    scim("PATCH", f"Users/{alice.pk}", patch({"op": "replace", "value": {"active": False}}))

    page = mia_client.get(report).content.decode()
    assert "alice" not in page and "bob" in page
    assert Assessment.objects.filter(pk=mine.pk).exists()
    assert Membership.objects.filter(team=team, user=alice).exists()  # history stays
    assert [m["member_name"] for m in team.assessed_members(team.occupation)] == ["bob"]


def test_delete_deactivates_keeps_the_history_and_hides_the_person(scim, team, alice):
    mine = submitted_at_level(alice, team.occupation, 3)

    deleted = scim("DELETE", f"Users/{alice.pk}")

    assert deleted.status_code == 204
    assert scim("GET", f"Users/{alice.pk}").status_code == 404
    assert scim("GET", 'Users?filter=userName eq "alice"').data["totalResults"] == 0
    alice.refresh_from_db()
    assert not alice.is_active
    assert Assessment.objects.filter(pk=mine.pk).exists()


def test_a_person_deleted_then_provisioned_again_comes_back_with_their_history(scim, alice):
    scim("DELETE", f"Users/{alice.pk}")

    again = scim("POST", "Users", {"schemas": [s.USER], "userName": "alice", "active": True})

    assert again.status_code == 201 and again.data["id"] == str(alice.pk)
    alice.refresh_from_db()
    assert alice.is_active


def test_a_taken_user_name_is_a_conflict(scim, alice):
    response = scim("POST", "Users", {"schemas": [s.USER], "userName": "ALICE"})

    assert response.status_code == 409
    assert response.data == {
        "schemas": [s.ERROR],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "userName 'ALICE' is taken.",
    }
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_renaming_onto_a_taken_user_name_is_a_conflict(scim, alice, bob):
    response = scim(
        "PATCH", f"Users/{bob.pk}", patch({"op": "replace", "path": "userName", "value": "alice"})
    )

    assert response.status_code == 409
    bob.refresh_from_db()
    assert bob.username == "bob"


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ({"schemas": [s.USER], "userName": "x", "favouriteColour": "red"}, "invalidSyntax"),
        ({"schemas": [s.USER, "urn:example:custom"], "userName": "x"}, "invalidSyntax"),
        ({"userName": "x"}, "invalidSyntax"),  # no schemas
        ({"schemas": [s.USER]}, "invalidValue"),  # no userName
        ({"schemas": [s.USER], "userName": 42}, "invalidValue"),
        ({"schemas": [s.USER], "userName": "x", "active": "maybe"}, "invalidValue"),
        ({"schemas": [s.USER], "userName": "x", "name": "X"}, "invalidValue"),
        ({"schemas": [s.USER], "userName": "x", "emails": "x@example.com"}, "invalidValue"),
        ({"schemas": [s.USER], "userName": "x", "emails": [{"value": 1}]}, "invalidValue"),
        ({"schemas": [s.USER], "userName": "x", s.ENTERPRISE: {"manager": 7}}, "invalidValue"),
        (
            {"schemas": [s.USER], "userName": "x", s.ENTERPRISE: {"manager": "999999"}},
            "invalidValue",
        ),
        ([{"userName": "x"}], "invalidSyntax"),
        ("{not json", "invalidSyntax"),
    ],
)
def test_a_bad_person_is_refused_in_scims_error_format_and_nothing_is_made(scim, body, scim_type):
    before = User.objects.count()

    response = scim("POST", "Users", body)

    assert response.status_code == 400
    assert response.data["schemas"] == [s.ERROR] and response.data["status"] == "400"
    assert response.data["scimType"] == scim_type and response.data["detail"]
    assert User.objects.count() == before


@pytest.mark.parametrize(
    "body",
    [
        patch({"op": "replace", "path": "nickName", "value": 3}),
        patch({"op": "replace", "path": "shoeSize", "value": "9"}),
        patch({"op": "move", "path": "active", "value": False}),
        patch({"op": "remove"}),
        patch({"op": "remove", "path": "userName"}),
        patch({"op": "replace", "path": "active"}),
        patch({"op": "replace", "value": "False"}),
        {"schemas": [s.PATCH_OP], "Operations": []},
        {"Operations": [{"op": "replace", "path": "active", "value": False}]},
        # The first operation is good: the second's refusal must undo it.
        patch(
            {"op": "replace", "path": "name.givenName", "value": "Changed"},
            {"op": "replace", "path": "active", "value": "nope"},
        ),
    ],
)
def test_a_bad_patch_changes_nothing(scim, alice, body):
    response = scim("PATCH", f"Users/{alice.pk}", body)

    assert response.status_code == 400, response.data
    assert response.data["schemas"] == [s.ERROR]
    alice.refresh_from_db()
    assert alice.is_active and alice.first_name == ""


def test_a_refusal_after_writing_leaves_nothing_half_applied(scim, alice, bob):
    """The manager does not exist: the names changed first must not stay changed."""
    body = {
        "schemas": [s.USER, s.ENTERPRISE],
        "userName": "alice",
        "name": {"givenName": "Alice", "familyName": "Changed"},
        s.ENTERPRISE: {"manager": {"value": "424242"}},
    }

    response = scim("PUT", f"Users/{alice.pk}", body)

    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.last_name == ""


@pytest.mark.parametrize(
    "query",
    ['filter=userName co "a"', 'filter=emails eq "a"', "filter=userName eq alice", "count=x"],
)
def test_an_unsupported_filter_or_page_is_refused(scim, query):
    response = scim("GET", f"Users?{query}")

    assert response.status_code == 400
    assert response.data["scimType"] in ("invalidFilter", "invalidValue")


def test_the_list_pages_and_leaves_superusers_out(scim, alice, bob, admin_user):
    first = scim("GET", "Users?startIndex=1&count=1")
    second = scim("GET", "Users?startIndex=2&count=1")

    assert first.data["totalResults"] == 2 and first.data["itemsPerPage"] == 1
    assert {first.data["Resources"][0]["userName"], second.data["Resources"][0]["userName"]} == {
        "alice",
        "bob",
    }
    assert scim("GET", f"Users/{admin_user.pk}").status_code == 404
    assert scim("GET", "Users/not-a-number").status_code == 404


def test_every_request_is_recorded_with_its_token_and_outcome(scim, alice):
    scim("PATCH", f"Users/{alice.pk}", patch({"op": "replace", "value": {"active": False}}))
    scim("POST", "Users", {"schemas": [s.USER], "userName": "alice"})
    scim("GET", "Users", token="gws_wrong")

    rows = list(ScimRequest.objects.order_by("pk"))
    assert [(r.method, r.status) for r in rows] == [("PATCH", 200), ("POST", 409), ("GET", 401)]
    assert rows[0].token.name == "entra-id" and "deactivated" in rows[0].summary
    assert rows[0].path == f"/scim/v2/Users/{alice.pk}"
    assert "taken" in rows[1].summary
    assert rows[2].token is None


def test_the_enterprise_manager_manages_the_members_team(scim, team, alice, bob):
    response = scim(
        "PATCH",
        f"Users/{alice.pk}",
        patch(
            {
                "op": "Add",
                "path": f"{s.ENTERPRISE}:manager",
                "value": str(bob.pk),  # Entra ID sends the id alone
            }
        ),
    )

    assert response.status_code == 200
    assert response.data[s.ENTERPRISE]["manager"]["value"] == str(bob.pk)
    assert team.managers.filter(pk=bob.pk).exists()
    assert bob.has_perm("teams.manage_team") or User.objects.get(pk=bob.pk).has_perm(
        "teams.manage_team"
    )

    scim("PATCH", f"Users/{alice.pk}", patch({"op": "Remove", "path": f"{s.ENTERPRISE}:manager"}))

    assert not team.managers.filter(pk=bob.pk).exists()
    assert team.managers.filter(username="mia").exists()  # named in admin: left alone


def test_okta_sends_the_manager_as_an_object(scim, team, alice, mia):
    body = {**OKTA_CREATE, "schemas": [s.USER, s.ENTERPRISE]}
    body[s.ENTERPRISE] = {"manager": {"value": str(mia.pk), "displayName": "Mia"}}
    created = scim("POST", "Users", body)

    assert created.status_code == 201
    assert created.data[s.ENTERPRISE]["manager"]["value"] == str(mia.pk)


def test_entra_ids_update_with_its_default_mappings_is_taken_whole(scim, alice, bob):
    """What Entra ID sends when several mapped attributes change at once."""
    response = scim(
        "PATCH",
        f"Users/{alice.pk}",
        patch(
            {"op": "Add", "path": "externalId", "value": "a1b2c3"},
            {"op": "Replace", "path": "userName", "value": "alice@contoso.example"},
            {"op": "Add", "path": "title", "value": "Analyst"},
            {
                "op": "Add",
                "path": 'phoneNumbers[type eq "work"].value',
                "value": "+44 20 7946 0000",
            },
            {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "London"},
            {"op": "Add", "path": "preferredLanguage", "value": "en-GB"},
            {"op": "Add", "path": f"{s.ENTERPRISE}:department", "value": "IT"},
            {"op": "Replace", "path": "name.familyName", "value": "Liddell"},
            {"op": "Replace", "path": "active", "value": "True"},
        ),
    )

    assert response.status_code == 200, response.data
    alice.refresh_from_db()
    assert (alice.username, alice.last_name, alice.is_active) == (
        "alice@contoso.example",
        "Liddell",
        True,
    )
    assert response.data["externalId"] == "a1b2c3"


def test_a_deactivated_member_is_not_counted_on_the_managers_team_list(
    scim, team, alice, mia_client
):
    scim("PATCH", f"Users/{alice.pk}", patch({"op": "replace", "value": {"active": False}}))

    page = mia_client.get(reverse("teams:team-list")).content.decode()

    assert '<td data-label="Members" class="num">1</td>' in page  # bob; alice was 2


def test_listing_people_and_groups_costs_the_same_queries_at_any_size(scim, team):
    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert scim("GET", path).status_code == 200
        return len(queries)

    small = (count("Users"), count("Groups"))
    for n in range(8):
        user = User.objects.create_user(f"extra{n}")
        Membership.objects.create(team=team, user=user)
        scim(
            "PATCH",
            f"Users/{user.pk}",
            patch({"op": "add", "path": "externalId", "value": f"x{n}"}),
        )

    assert (count("Users"), count("Groups")) == small


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [s.USER], "userName": "x" * 151},
        {"schemas": [s.USER], "userName": "x", "externalId": "e" * 256},
        {"schemas": [s.USER], "userName": "x", "emails": [{"value": "a" * 250 + "@b.cd"}]},
    ],
)
def test_a_value_too_long_for_its_column_is_refused_not_cut(scim, body):
    response = scim("POST", "Users", body)

    assert response.status_code == 400 and "longer than" in response.data["detail"]


def test_a_sign_in_keeps_the_manager_role_of_someone_provisioning_names_a_manager(
    scim, alice, bob, settings
):
    from identity.services import sso_sign_in

    scim(
        "PATCH",
        f"Users/{alice.pk}",
        patch(
            {
                "op": "add",
                "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": str(bob.pk),
            }
        ),
    )

    sso_sign_in(
        issuer="https://idp.example",
        claims={
            "sub": "b",
            "preferred_username": "bob",
            "email": "bob@example.com",
            "email_verified": True,
        },
    )

    assert set(bob.groups.values_list("name", flat=True)) == {"manager"}


@pytest.mark.parametrize("body", ["[" * 100_000, b"\xff\xfe", "null", '"userName"'])
def test_a_body_that_is_no_resource_is_refused_in_scim_terms(scim, body):
    response = scim("POST", "Users", body)

    assert response.status_code == 400 and response.data["scimType"] == "invalidSyntax"


def test_a_page_far_beyond_the_end_is_empty(scim, alice):
    response = scim("GET", "Users?startIndex=99999999999999999999&count=5")

    assert response.status_code == 200 and response.data["Resources"] == []
