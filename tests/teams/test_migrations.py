"""Moving teams out of assessments keeps every row: a database made at the schema before
the move, holding teams, memberships, managers, reviews, exports, their history, content
types with permissions and a queued export task, is migrated and found whole.

It runs in processes of its own against a database of its own (tests/live.py), so the
suite's database never travels back in time.
"""

from __future__ import annotations

import json

from tests.live import manage, own_database, production_env

BEFORE = ("assessments", "0006_rating_client")
OLD_DATABASE = """
import json
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

before = ("assessments", "0006_rating_client")
apps = MigrationExecutor(connection).loader.project_state(before).apps
get = apps.get_model
User, Occupation = get("auth", "User"), get("taxonomy", "Occupation")
Competence, Requirement = get("taxonomy", "Competence"), get("taxonomy", "Requirement")
Team, Membership = get("assessments", "Team"), get("assessments", "Membership")
Assessment, Rating = get("assessments", "Assessment"), get("assessments", "Rating")
TeamExport = get("assessments", "TeamExport")
ContentType, Permission = get("contenttypes", "ContentType"), get("auth", "Permission")
now = timezone.now()

boss = User.objects.create(username="boss")
ana, ben = User.objects.create(username="ana"), User.objects.create(username="ben")
job = Occupation.objects.create(code="T-1", title="Tester", source="local")
other = Occupation.objects.create(code="T-2", title="Other", source="local")
skill = Competence.objects.create(title="Testing", kind="skill", reuse_level="unknown")
Requirement.objects.create(occupation=job, competence=skill, relation="essential",
                           target_level=3, weight=2)
team = Team.objects.create(name="QA", occupation=job)
team.managers.add(boss)
Membership.objects.create(team=team, user=ana)
Membership.objects.create(team=team, user=ben, occupation=other)
done = Assessment.objects.create(user=ana, occupation=job, status="submitted", submitted_at=now,
                                 reviewed_at=now, reviewed_by=boss, validated_count=1)
Rating.objects.create(assessment=done, competence=skill, answered=True, level=2,
                      relation="essential", target_level=3, weight=2, validated_level=3,
                      review_comment="Seen it in the March release.", updated_at=now)
TeamExport.objects.create(team=team, requested_by=boss, format="xlsx", requested_at=now,
                          task_id="00000000-0000-0000-0000-000000000007", rows=1,
                          content=b"workbook", finished_at=now)
HistoricalTeam = get("assessments", "HistoricalTeam")
entry = HistoricalTeam.objects.create(id=team.pk, name="QA", occupation_id=job.pk,
                                      history_date=now, history_type="+")
get("assessments", "HistoricalTeam_managers").objects.create(
    id=1, history=entry, team=team, user=boss)
for membership in Membership.objects.all():
    get("assessments", "HistoricalMembership").objects.create(
        id=membership.pk, team_id=team.pk, user_id=membership.user_id,
        occupation_id=membership.occupation_id, history_date=now, history_type="+")
DBTaskResult.objects.create(
    args_kwargs={"args": [1], "kwargs": {}}, task_path="assessments.tasks.team_export_build",
    backend_name="default", run_after=now)

# As the code before the move left them: the content types (and so the permissions) of
# these models under assessments.
for model in ["team", "membership", "teamexport", "historicalteam", "historicalmembership",
              "historicalteam_managers"]:
    ContentType.objects.filter(app_label="teams", model=model).update(app_label="assessments")
print(json.dumps(sorted(Permission.objects.filter(content_type__app_label="assessments",
    content_type__model="team").values_list("codename", flat=True))))
"""
AFTER = """
import json
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django_tasks_db.models import DBTaskResult
from assessments.models import Rating
from teams.models import Membership, Team, TeamExport

team = Team.objects.get()
print(json.dumps({
    "team": [team.name, team.occupation.code, [u.username for u in team.managers.all()]],
    "members": sorted(
        [m.user.username, m.occupation.code if m.occupation else None]
        for m in Membership.objects.all()
    ),
    "export": list(TeamExport.objects.values_list("team__name", "format", "rows", "content")
                   .get()[:3]) + [bytes(TeamExport.objects.get().content).decode()],
    "review": list(Rating.objects.values_list("validated_level", "review_comment").get()),
    "history": [team.history.count(), Membership.history.count(),
                list(team.history.get().managers.values_list("user__username", flat=True))],
    "content_types": sorted(ContentType.objects.filter(model__in=["team", "membership",
                            "teamexport"]).values_list("app_label", flat=True)),
    "permissions": sorted(Permission.objects.filter(content_type__app_label="teams",
                          content_type__model="team").values_list("codename", flat=True)),
    "tasks": list(DBTaskResult.objects.values_list("task_path", flat=True)),
    "roles": {u.username: [g.name for g in u.groups.all()] for u in User.objects.all()},
}))
"""


def test_the_move_to_the_teams_app_keeps_every_row_and_history_entry(tmp_path):
    with own_database(tmp_path, "move") as database:
        env = production_env(database)
        manage(env, "migrate", *BEFORE, "--no-input", "-v0")
        manage(env, "migrate", "django_tasks_database", "--no-input", "-v0")
        permissions = json.loads(manage(env, "shell", "-c", OLD_DATABASE).splitlines()[-1])

        manage(env, "migrate", "--no-input", "-v0")
        found = json.loads(manage(env, "shell", "-c", AFTER).splitlines()[-1])

    assert permissions == ["add_team", "change_team", "delete_team", "view_team"]
    assert found == {
        "team": ["QA", "T-1", ["boss"]],
        "members": [["ana", None], ["ben", "T-2"]],
        "export": ["QA", "xlsx", 1, "workbook"],
        "review": [3, "Seen it in the March release."],
        "history": [1, 2, ["boss"]],
        "content_types": ["teams", "teams", "teams"],
        "permissions": sorted([*permissions, "manage_team"]),
        "tasks": ["teams.tasks.team_export_build"],
        # Nobody loses what they could do once roles carry permissions.
        "roles": {"boss": ["manager"], "ana": ["technician"], "ben": ["technician"]},
    }
