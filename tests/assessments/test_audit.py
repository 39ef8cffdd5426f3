"""The audit trail: who changed what and when, for taxonomy edits, ratings, reviews, teams
and import runs."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.models import Rating
from assessments.services import assessment_submit
from taxonomy.models import Competence, ImportRun, Requirement
from teams.models import Team
from teams.services import Validation, review_save
from tests.assessments.conftest import rate_all, url
from tests.conftest import in_role

pytestmark = pytest.mark.django_db


def test_an_admins_competence_edit_is_kept_with_who_and_shown_in_admin(admin_client, admin_user):
    competence = Competence.objects.get(title="ICT encryption")
    change = reverse("admin:taxonomy_competence_change", args=[competence.pk])
    form = admin_client.get(change).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["title"] = "ICT encryption <b>renamed</b>"

    response = admin_client.post(change, data)

    assert response.status_code == 302
    entry = competence.history.first()
    assert (entry.history_type, entry.title, entry.history_user) == (
        "~",
        "ICT encryption <b>renamed</b>",
        admin_user,
    )
    history = admin_client.get(
        reverse("admin:taxonomy_competence_history", args=[competence.pk])
    ).content.decode()
    assert "ICT encryption &lt;b&gt;renamed&lt;/b&gt;" in history
    assert admin_user.username in history


def test_admin_actions_on_profile_lines_leave_history(admin_client, admin_user):
    lines = list(Requirement.objects.filter(occupation__code="3512.4", relation="optional")[:3])
    response = admin_client.post(
        reverse("admin:taxonomy_requirement_changelist"),
        {"action": "make_essential", "_selected_action": [line.pk for line in lines]},
    )
    assert response.status_code == 302
    for line in lines:
        entry = line.history.first()
        assert (entry.relation, entry.history_user) == ("essential", admin_user)


def test_each_autosave_adds_the_rating_to_its_history_by_its_owner(alice_client, alice, draft):
    competence = draft.occupation.requirements.values_list("competence_id", flat=True)[0]
    for level in ("2", "4"):
        alice_client.post(
            url("assessment-rate", draft), {f"c-{competence}": level}, headers={"HX-Request": "1"}
        )

    rating = Rating.objects.get(assessment=draft, competence_id=competence)
    entries = list(rating.history.order_by("history_date").values_list("level", "history_user"))
    assert entries == [(2, alice.pk), (4, alice.pk)]


def test_submitting_and_reviewing_leave_history(alice, mia, team, draft):
    rate_all(draft, lambda r: 2)
    submitted = assessment_submit(assessment=draft, user=alice)
    first = submitted.ratings.order_by("competence_id").first()
    assert first.history.first().target_level == first.target_level  # the snapshot

    review_save(
        assessment=submitted,
        reviewer=mia,
        validations=[Validation(first.competence_id, 4, "Runs the backups")],
        done=True,
    )
    entry = first.history.first()
    assert (entry.validated_level, entry.review_comment, entry.history_user) == (
        4,
        "Runs the backups",
        mia,
    )
    assert submitted.history.first().reviewed_by == mia


def test_team_changes_in_admin_leave_history(admin_client, admin_user, team, bob):
    in_role(bob, "manager")  # only the manager role can manage a team
    page = admin_client.get(reverse("admin:teams_team_change", args=[team.pk]))
    assert page.status_code == 200
    response = admin_client.post(
        reverse("admin:teams_team_change", args=[team.pk]),
        {
            "name": "Service desk",
            "occupation": team.occupation_id,
            "managers": [bob.pk, *team.managers.values_list("pk", flat=True)],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    entry = Team.history.filter(id=team.pk).first()
    assert entry.history_user == admin_user
    assert bob.pk in {m.user_id for m in entry.managers.all()}


def test_each_import_run_leaves_one_entry_with_what_and_who(tmp_path):
    before = ImportRun.objects.count()
    call_command("load_default_data", verbosity=0, stdout=io.StringIO())
    path = tmp_path / "people.csv"
    path.write_text(
        "username,email,full_name,team,role,occupation_code\ngus,,Gus,Ops,member,3512.4\n"
    )
    call_command("import_people", str(path), stdout=io.StringIO())

    runs = list(ImportRun.objects.order_by("-id")[:2])
    assert ImportRun.objects.count() == before + 2
    assert runs[0].command == "import_people" and "users: 1 created" in runs[0].summary
    assert runs[1].command == "load_default_data" and "Nothing changed." in runs[1].summary
    assert all(run.by for run in runs)

    path.write_text("username,email,full_name,team,role,occupation_code\ngus,,Gus,Ops,boss,\n")
    with pytest.raises(CommandError):
        call_command("import_people", str(path))
    assert ImportRun.objects.count() == before + 2  # a refused import leaves no entry
