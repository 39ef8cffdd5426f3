"""Roles, demo accounts and the password pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.models import Assessment

pytestmark = pytest.mark.django_db


def test_the_roles_are_groups_made_by_a_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "technician",
        "manager",
        "taxonomy-admin",
    }
    admin = Group.objects.get(name="taxonomy-admin")
    codenames = set(admin.permissions.values_list("codename", flat=True))
    assert {"change_occupation", "add_requirement", "change_learningresource"} <= codenames
    assert "change_rating" not in codenames


def test_demo_accounts_come_with_roles_and_assessments(settings, capsys):
    settings.DEBUG = True
    call_command("load_default_data", "--demo", verbosity=0)
    call_command("load_default_data", "--demo", verbosity=0)  # idempotent

    out = capsys.readouterr().out
    assert "demo account: technician / gapwise-technician-demo (technician)" in out
    technician = User.objects.get(username="technician")
    assert technician.check_password("gapwise-technician-demo")
    assert list(technician.groups.values_list("name", flat=True)) == ["technician"]
    assert User.objects.get(username="manager").groups.filter(name="manager").exists()
    assert User.objects.get(username="admin").is_staff
    assessments = Assessment.objects.filter(user=technician)
    assert sorted(assessments.values_list("status", flat=True)) == ["draft", "submitted"]
    draft = assessments.get(status="draft")
    # Carried over from the submitted one, half of it updated since.
    assert draft.carried_from == assessments.get(status="submitted")
    assert draft.ratings.filter(answered=True).count() == 80
    # Those the demo changed are set anew; one it saved at the same level stays carried.
    ratings = list(draft.ratings.select_related("carried_from"))
    changed = {r.pk for r in ratings if r.level != r.carried_from.level}
    # The demo review cycle has her confirm ten more as still accurate: set anew, same level.
    assert changed < {r.pk for r in ratings if not r.carried}
    assert len({r.pk for r in ratings if not r.carried} - changed) == 10
    assert 20 < len(changed) <= 40
    assert assessments.get(status="submitted").ratings.count() == 80
    team = User.objects.get(username="manager").managed_teams.get()
    assert (team.name, team.occupation.code, team.members.count()) == ("ICT support", "3512.4", 7)
    colleagues = Assessment.objects.submitted().filter(user__in=team.members.all())
    # Each colleague's and the technician's earlier one, and the four the demo cycle's
    # submitters made in it (teams.demo.DEMO_CYCLE_SUBMITTED).
    assert colleagues.count() == 7 + 4
    assert not colleagues.filter(readiness=None).exists()
    assert "demo team for manager: ICT support, 7 members" in out


def test_demo_accounts_are_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("load_default_data", "--demo", verbosity=0)
    assert not User.objects.filter(username="technician").exists()


def test_a_user_can_change_their_password(alice_client, alice):
    page = alice_client.get(reverse("password_change"))
    assert page.status_code == 200
    assert '<label for="id_old_password">Old password</label>' in page.content.decode()

    response = alice_client.post(
        reverse("password_change"),
        {
            "old_password": "a-long-password-1",
            "new_password1": "a-new-longer-password-2",
            "new_password2": "a-new-longer-password-2",
        },
    )

    assert response["Location"] == reverse("password_change_done")
    alice.refresh_from_db()
    assert alice.check_password("a-new-longer-password-2")


def test_a_wrong_old_password_changes_nothing(alice_client, alice):
    response = alice_client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a-new-longer-password-2",
            "new_password2": "a-new-longer-password-2",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("a-long-password-1")


def test_the_password_rules_are_read_out_with_the_new_password_field(alice_client):
    html = alice_client.get(reverse("password_change")).content.decode()

    field = re.search(r'<input type="password" name="new_password1"[^>]*>', html)[0]
    assert 'aria-describedby="id_new_password1_helptext"' in field
    rules = html[html.index('id="id_new_password1_helptext"') :]
    assert "at least 12 characters" in rules[: rules.index("</div>")]
