"""Admin for learning resources (edited there) and assessments (shown, not edited)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from assessments.models import LearningResource, Rating
from assessments.seed import learning_resources_import
from assessments.services import AssessmentError
from taxonomy.models import Occupation
from teams.models import Team, TeamExport
from teams.services import team_export_request
from tests.assessments.conftest import rate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy_admin(client):
    user = User.objects.create_user("tina", password="t-long-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name="taxonomy-admin"))
    client.force_login(user)
    return client


def test_a_taxonomy_admin_adds_a_learning_resource_for_competences(
    taxonomy_admin, technician_occupation
):
    competences = list(
        technician_occupation.requirements.values_list("competence_id", flat=True)[:2]
    )
    response = taxonomy_admin.post(
        reverse("admin:assessments_learningresource_add"),
        {
            "title": "Cisco CCNA",
            "url": "https://www.cisco.com/site/us/en/learn/training-certifications/certifications/enterprise/ccna/index.html",
            "kind": "certification",
            "description": "",
            "competences": competences,
        },
    )

    assert response.status_code == 302
    resource = LearningResource.objects.get(title="Cisco CCNA")
    assert sorted(resource.competences.values_list("id", flat=True)) == sorted(competences)
    listing = taxonomy_admin.get(reverse("admin:assessments_learningresource_changelist"))
    assert "Cisco CCNA" in listing.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "Enter a valid URL."),
        ("ftp://example.org/course", "Enter an http:// or https:// address."),
    ],
)
def test_a_bad_url_is_refused(taxonomy_admin, url, message):
    response = taxonomy_admin.post(
        reverse("admin:assessments_learningresource_add"),
        {"title": "x", "url": url, "kind": "course"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LearningResource.objects.filter(title="x").exists()


def test_taxonomy_admins_do_not_see_assessments(taxonomy_admin):
    assert taxonomy_admin.get(reverse("admin:assessments_assessment_changelist")).status_code == 403


def test_a_superuser_sees_assessments_read_only(admin_client, alice, draft):
    rate_all(draft, lambda r: 2)

    listing = admin_client.get(reverse("admin:assessments_assessment_changelist"))
    page = admin_client.get(reverse("admin:assessments_assessment_change", args=[draft.pk]))

    assert "alice" in listing.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="ratings-0-level"' not in html  # shown, not editable
    assert Rating.objects.filter(assessment=draft).count() == 80


def test_the_default_data_links_learning_resources_to_technician_competences():
    resource = LearningResource.objects.get(url="https://www.comptia.org/certifications/security")
    titles = set(resource.competences.values_list("title", flat=True))
    assert titles == {
        "attack vectors",
        "define firewall rules",
        "implement anti-virus software",
        "ICT encryption",
        "use access control software",
    }
    assert LearningResource.objects.count() == 13


def test_a_resource_naming_an_unknown_competence_stops_the_import():
    rows = [
        {"title": "New", "url": "https://example.org/new", "kind": "course", "competences": "ABAP"},
        {"title": "Bad", "url": "https://example.org/bad", "kind": "course", "competences": "x"},
    ]
    with pytest.raises(AssessmentError, match=r"record 3, column competences: .*: x"):
        learning_resources_import(rows=rows, occupation_code="3512.4")
    assert not LearningResource.objects.filter(url__startswith="https://example.org").exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("url", "javascript:alert(1)", "not an http:// or https:// address"),
        ("url", "ftp://example.org/x", "not an http:// or https:// address"),
        ("url", "https://example.org/" + "x" * 490, "longer than 500 characters"),
        ("title", "x" * 256, "longer than 255 characters"),
        ("kind", "podcast", "not one of course, certification"),
    ],
)
def test_a_bad_learning_resource_stops_the_import(column, value, message):
    rows = [
        {"title": "New", "url": "https://example.org/new", "kind": "course", "competences": "ABAP"},
        {"title": "Bad", "url": "https://example.org/bad", "kind": "course", "competences": "ABAP"},
    ]
    rows[1][column] = value
    with pytest.raises(AssessmentError, match=f"record 3, column {column}: {message}"):
        learning_resources_import(rows=rows, occupation_code="3512.4")
    assert not LearningResource.objects.filter(url__startswith="https://example.org").exists()


def test_a_superuser_makes_a_team_with_a_manager_and_members(
    admin_client, alice, bob, mia, technician_occupation
):
    other = Occupation.objects.get(code="3512.1")
    response = admin_client.post(
        reverse("admin:teams_team_add"),
        {
            "name": "Field support",
            "occupation": technician_occupation.pk,
            "managers": [mia.pk],
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": alice.pk,
            "memberships-0-occupation": "",
            "memberships-1-user": bob.pk,
            "memberships-1-occupation": other.pk,
        },
    )

    assert response.status_code == 302
    team = Team.objects.get(name="Field support")
    assert list(team.managers.all()) == [mia]
    assert dict(team.memberships.values_list("user__username", "occupation__code")) == {
        "alice": None,
        "bob": "3512.1",
    }
    page = admin_client.get(reverse("admin:teams_team_change", args=[team.pk]))
    assert page.status_code == 200


def test_a_member_twice_in_a_team_is_refused(admin_client, alice, technician_occupation):
    response = admin_client.post(
        reverse("admin:teams_team_add"),
        {
            "name": "Twice",
            "occupation": technician_occupation.pk,
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": alice.pk,
            "memberships-1-user": alice.pk,
        },
    )
    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert not Team.objects.filter(name="Twice").exists()


def test_assessment_figures_and_reviews_are_read_only_in_admin(admin_client, alice, draft):
    html = admin_client.get(reverse("admin:assessments_assessment_change", args=[draft.pk]))
    html = html.content.decode()
    assert 'name="readiness"' not in html and 'name="reviewed_by"' not in html


def test_a_superuser_sees_who_exported_which_team_but_not_the_file(admin_client, team, mia):
    export = team_export_request(team=team, user=mia, fmt="csv")
    TeamExport.objects.filter(pk=export.pk).update(content=b"secret,data")

    listing = admin_client.get(reverse("admin:teams_teamexport_changelist"))
    page = admin_client.get(reverse("admin:teams_teamexport_change", args=[export.pk]))

    assert "Service desk" in listing.content.decode() and "mia" in listing.content.decode()
    assert page.status_code == 200 and "secret,data" not in page.content.decode()
    assert admin_client.get(reverse("admin:teams_teamexport_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:teams_teamexport_change", args=[export.pk]), {"format": "xlsx"}
    )
    assert response.status_code == 403
    delete = reverse("admin:teams_teamexport_delete", args=[export.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert TeamExport.objects.get().format == "csv"
