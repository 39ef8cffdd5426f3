"""The roles mean something: technician (and manager) may assess themselves, manager may
manage the teams Team.managers names, taxonomy-admin edits the taxonomy."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from assessments.models import Assessment
from teams.models import Team
from tests.conftest import in_role

pytestmark = pytest.mark.django_db


def test_only_a_role_that_may_assess_itself_starts_an_assessment(client, technician_occupation):
    nobody = User.objects.create_user("nobody")
    client.force_login(nobody)

    page = client.get(reverse("taxonomy:occupation-detail", args=["3512.4"])).content.decode()
    response = client.post(reverse("assessments:assessment-start"), {"occupation": "3512.4"})

    assert "Start a self-assessment" not in page
    assert response.status_code == 403
    assert not Assessment.objects.filter(user=nobody).exists()
    in_role(nobody)
    nobody = User.objects.get(pk=nobody.pk)  # a fresh permission cache
    client.force_login(nobody)
    assert (
        client.post(reverse("assessments:assessment-start"), {"occupation": "3512.4"}).status_code
        == 302
    )


def test_a_named_manager_outside_the_manager_role_manages_nothing(client, team, bob):
    team.managers.add(bob)  # bob is a technician: the role says no, whatever the list says
    client.force_login(bob)

    assert client.get(reverse("teams:team-report", args=[team.pk])).status_code == 404
    assert client.get(reverse("teams:team-list")).status_code == 404
    assert "My teams" not in client.get(reverse("assessments:assessment-list")).content.decode()


def test_admin_refuses_a_technician_as_a_teams_manager_and_writes_nothing(admin_client, team, bob):
    before = set(team.managers.values_list("pk", flat=True))

    response = admin_client.post(
        reverse("admin:teams_team_change", args=[team.pk]),
        {
            "name": "Service desk",
            "occupation": team.occupation_id,
            "managers": [bob.pk, *before],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "Not in the manager role: bob." in response.content.decode()
    assert set(Team.objects.get(pk=team.pk).managers.values_list("pk", flat=True)) == before


def test_the_taxonomy_admin_role_edits_the_taxonomy_and_nothing_else(client):
    tina = in_role(User.objects.create_user("tina", is_staff=True), "taxonomy-admin")
    client.force_login(tina)

    assert client.get(reverse("admin:taxonomy_occupation_changelist")).status_code == 200
    assert client.get(reverse("admin:teams_team_changelist")).status_code == 403
    assert tina.has_perm("taxonomy.change_requirement")
    assert not tina.has_perm("teams.manage_team") and not tina.has_perm("assessments.assess_self")


def test_admin_shows_each_persons_roles(admin_client, mia, alice):
    html = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()

    assert '<td class="field-roles">manager</td>' in html
    assert '<td class="field-roles">technician</td>' in html
    assert '<td class="field-roles">superuser</td>' in html


def test_the_roles_carry_their_permissions():
    def codenames(name: str) -> set[str]:
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert codenames("technician") == {"assess_self"}
    assert codenames("manager") == {"assess_self", "manage_team"}
    assert "change_occupation" in codenames("taxonomy-admin")
