"""Who may open what: every URL of the project against every role.

Another person's things answer 404, never 403: a 403 would confirm they exist. A new URL
fails `test_every_url_is_in_the_matrix` until its row is added here.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.services import api_token_create
from assessments.models import Assessment
from assessments.services import assessment_start
from taxonomy.models import Occupation
from teams.models import Assignment, ReviewCycle, TeamExport
from tests.assessments.conftest import submitted_at_level

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "other_technician", "manager", "other_manager", "taxonomy_admin"]
LOGIN = 302  # sent to sign in

API_POSTS = {"assessment-start", "assessment-ratings", "assessment-submit"}  # no GET there
# url name: (how to build it from the objects, expected GET status for each role in ROLES)
MATRIX = {
    "healthz": (lambda o: reverse("healthz"), [200, 200, 200, 200, 200, 200]),
    "readyz": (lambda o: reverse("readyz"), [200, 200, 200, 200, 200, 200]),
    "login": (lambda o: reverse("login"), [200, 200, 200, 200, 200, 200]),
    "logout": (lambda o: reverse("logout"), [405, 405, 405, 405, 405, 405]),  # POST only
    "password_change": (lambda o: reverse("password_change"), [LOGIN, 200, 200, 200, 200, 200]),
    "password_change_done": (
        lambda o: reverse("password_change_done"),
        [LOGIN, 200, 200, 200, 200, 200],
    ),
    "taxonomy:home": (lambda o: reverse("taxonomy:home"), [302, 302, 302, 302, 302, 302]),
    "taxonomy:about": (lambda o: reverse("taxonomy:about"), [200, 200, 200, 200, 200, 200]),
    "taxonomy:occupation-list": (
        lambda o: reverse("taxonomy:occupation-list"),
        [LOGIN, 200, 200, 200, 200, 200],
    ),
    "taxonomy:occupation-detail": (
        lambda o: reverse("taxonomy:occupation-detail", args=["3512.4"]),
        [LOGIN, 200, 200, 200, 200, 200],
    ),
    "taxonomy:occupation-profile-csv": (
        lambda o: reverse("taxonomy:occupation-profile-csv", args=["3512.4"]),
        [LOGIN, 200, 200, 200, 200, 200],
    ),
    "taxonomy:group-detail": (
        lambda o: reverse("taxonomy:group-detail", args=["3512"]),
        [LOGIN, 200, 200, 200, 200, 200],
    ),
    "assessments:assessment-list": (
        lambda o: reverse("assessments:assessment-list"),
        [LOGIN, 200, 200, 200, 200, 200],
    ),
    "assessments:assessment-start": (  # POST only
        lambda o: reverse("assessments:assessment-start"),
        [LOGIN, 405, 405, 405, 405, 405],
    ),
    "assessments:assessment-rate": (
        lambda o: reverse("assessments:assessment-rate", args=[o["draft"].pk]),
        [LOGIN, 200, 404, 404, 404, 404],
    ),
    "assessments:assessment-submit": (
        lambda o: reverse("assessments:assessment-submit", args=[o["draft"].pk]),
        [LOGIN, 200, 404, 404, 404, 404],
    ),
    "assessments:assessment-report": (
        lambda o: reverse("assessments:assessment-report", args=[o["submitted"].pk]),
        [LOGIN, 200, 404, 404, 404, 404],
    ),
    "assessments:assessment-report-csv": (
        lambda o: reverse("assessments:assessment-report-csv", args=[o["submitted"].pk]),
        [LOGIN, 200, 404, 404, 404, 404],
    ),
    "teams:team-list": (
        lambda o: reverse("teams:team-list"),
        [LOGIN, 404, 404, 200, 200, 404],
    ),
    "teams:team-report": (
        lambda o: reverse("teams:team-report", args=[o["team"].pk]),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:team-review": (
        lambda o: reverse("teams:team-review", args=[o["team"].pk, o["submitted"].pk]),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:team-export-list": (
        lambda o: reverse("teams:team-export-list", args=[o["team"].pk]),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:team-export-detail": (
        lambda o: o["export"].get_absolute_url(),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:team-export-download": (
        lambda o: reverse("teams:team-export-download", args=[o["team"].pk, o["export"].pk]),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:mail-preferences": (
        lambda o: reverse("teams:mail-preferences"),
        [LOGIN, 200, 200, 200, 200, 200],
    ),
    "teams:cycle-create": (
        lambda o: reverse("teams:cycle-create", args=[o["team"].pk]),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:cycle-board": (
        lambda o: o["cycle"].get_absolute_url(),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:cycle-close": (
        lambda o: reverse("teams:cycle-close", args=[o["team"].pk, o["cycle"].pk]),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:cycle-remind": (  # POST only
        lambda o: reverse(
            "teams:cycle-remind", args=[o["team"].pk, o["cycle"].pk, o["assignment"].pk]
        ),
        [LOGIN, 405, 405, 405, 405, 405],
    ),
    "teams:cycle-excuse": (
        lambda o: reverse(
            "teams:cycle-excuse", args=[o["team"].pk, o["cycle"].pk, o["assignment"].pk]
        ),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    # Single sign-on is off here (no OIDC_ISSUER): its pages are not there.
    "identity:sso-start": (lambda o: reverse("identity:sso-start"), [404] * 6),
    "identity:sso-callback": (lambda o: reverse("identity:sso-callback"), [404] * 6),
    # SCIM answers a bearer token only: a session, any role's, is no way in.
    "identity:scim-users": (lambda o: reverse("identity:scim-users"), [401] * 6),
    "identity:scim-user": (
        lambda o: reverse("identity:scim-user", args=[o["users"]["owner"].pk]),
        [401] * 6,
    ),
    "identity:scim-groups": (lambda o: reverse("identity:scim-groups"), [401] * 6),
    "identity:scim-group": (
        lambda o: reverse("identity:scim-group", args=[o["team"].pk]),
        [401] * 6,
    ),
    "identity:scim-service-provider-config": (
        lambda o: reverse("identity:scim-service-provider-config"),
        [401] * 6,
    ),
    "identity:scim-resource-types": (
        lambda o: reverse("identity:scim-resource-types"),
        [401] * 6,
    ),
    "identity:scim-schemas": (lambda o: reverse("identity:scim-schemas"), [401] * 6),
    # The API answers a bearer token only: a session, any role's, is no way in (API_MATRIX
    # below goes through each operation with each role's token).
    "api:api-root": (lambda o: "/api/", [200] * 6),
    "api:openapi-json": (lambda o: "/api/schema", [200] * 6),
    "api:docs": (lambda o: reverse("api:docs"), [200] * 6),
    "api:token-list": (lambda o: reverse("api:token-list"), [LOGIN, 200, 200, 200, 200, 200]),
    "api:token-revoke": (  # POST only
        lambda o: reverse("api:token-revoke", args=[o["token"].pk]),
        [LOGIN, 405, 405, 405, 405, 405],
    ),
    **{
        f"api:{name}": (lambda o, url=url: url(o), [405 if name in API_POSTS else 401] * 6)
        for name, url in {
            "occupation-list": lambda o: "/api/occupations",
            "occupation-detail": lambda o: "/api/occupations/3512.4",
            "scale": lambda o: "/api/scale",
            "person-list": lambda o: "/api/people",
            "person-detail": lambda o: "/api/people/alice",
            "person-assessments": lambda o: "/api/people/alice/assessments",
            "assessment-detail": lambda o: f"/api/assessments/{o['submitted'].pk}",
            "assessment-report": lambda o: f"/api/assessments/{o['submitted'].pk}/report",
            "assessment-start": lambda o: "/api/assessments",
            "assessment-ratings": lambda o: f"/api/assessments/{o['draft'].pk}/ratings",
            "assessment-submit": lambda o: f"/api/assessments/{o['draft'].pk}/submit",
            "team-list": lambda o: "/api/teams",
            "team-report": lambda o: f"/api/teams/{o['team'].pk}/report",
        }.items()
    },
}


# The same URLs with other objects: what a manager may review is a member's latest submitted
# assessment of the occupation the team assesses them against, or one submitted in a review
# cycle of the team; nothing older or elsewhere.
VARIANTS = {
    "teams:team-review, an older assessment submitted in a cycle": (
        lambda o: reverse("teams:team-review", args=[o["team"].pk, o["cycled"].pk]),
        [LOGIN, 404, 404, 200, 404, 404],
    ),
    "teams:team-review, a superseded assessment": (
        lambda o: reverse("teams:team-review", args=[o["team"].pk, o["superseded"].pk]),
        [LOGIN, 404, 404, 404, 404, 404],
    ),
    "teams:team-review, another occupation's": (
        lambda o: reverse("teams:team-review", args=[o["team"].pk, o["elsewhere"].pk]),
        [LOGIN, 404, 404, 404, 404, 404],
    ),
}


@pytest.fixture
def world(alice, bob, mia, team, other_team) -> dict:
    """Alice (the owner) has a draft and a submitted assessment; bob is another member
    of mia's team; carl manages another team; tina is a taxonomy admin."""
    superseded = submitted_at_level(alice, team.occupation, 2)
    submitted = submitted_at_level(alice, team.occupation, 3)
    Assessment.objects.filter(pk=superseded.pk).update(
        submitted_at=submitted.submitted_at - timezone.timedelta(days=90)
    )
    elsewhere = submitted_at_level(alice, Occupation.objects.get(code="3513.1"), 1)
    # Submitted in last year's cycle, older than `superseded`, still open from its board.
    cycled = submitted_at_level(alice, team.occupation, 1)
    year_ago = timezone.localdate() - timezone.timedelta(days=365)
    Assessment.objects.filter(pk=cycled.pk).update(
        submitted_at=submitted.submitted_at - timezone.timedelta(days=365)
    )
    closed = ReviewCycle.objects.create(
        team=team,
        name="Last year",
        opens_on=year_ago,
        self_due=year_ago,
        review_due=year_ago,
        status="closed",
        opened_at=timezone.now(),
        closed_at=timezone.now(),
    )
    Assignment.objects.create(
        cycle=closed, user=alice, occupation=team.occupation, assessment=cycled
    )
    draft = assessment_start(user=alice, occupation=team.occupation)
    tina = User.objects.create_user("tina", is_staff=True)
    tina.groups.add(Group.objects.get(name="taxonomy-admin"))
    users = {
        "owner": alice,
        "other_technician": bob,
        "manager": mia,
        "other_manager": other_team.managers.get(),
        "taxonomy_admin": tina,
    }
    export = TeamExport.objects.create(
        team=team, requested_by=mia, format="csv", finished_at=timezone.now(), content=b"a,b"
    )
    token, _secret = api_token_create(owner=alice, name="script")
    cycle = ReviewCycle.objects.create(
        team=team,
        name="Q1",
        opens_on=timezone.localdate(),
        self_due=timezone.localdate(),
        review_due=timezone.localdate(),
        status="open",
        opened_at=timezone.now(),
    )
    assignment = Assignment.objects.create(
        cycle=cycle, user=bob, occupation=team.occupation, assessment=None
    )
    return {
        "token": token,
        "users": users,
        "cycle": cycle,
        "assignment": assignment,
        "draft": draft,
        "submitted": submitted,
        "superseded": superseded,
        "elsewhere": elsewhere,
        "cycled": cycled,
        "team": team,
        "export": export,
    }


def _names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_url_is_in_the_matrix():
    names = {name for name in _names(get_resolver().url_patterns) if not name.startswith("admin:")}
    assert names == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX) + sorted(VARIANTS))
def test_each_role_gets_the_expected_answer(world, name):
    build, expected = {**MATRIX, **VARIANTS}[name]
    url = build(world)
    got = []
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world["users"][role])
        response = client.get(url)
        got.append(response.status_code)
        if response.status_code == 404:  # says nothing of what is behind it
            body = response.content.decode()
            if role != "owner":  # the page's menu names whoever is signed in
                assert world["users"]["owner"].username not in body
            assert world["team"].name not in body
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_nothing_a_signed_in_person_is_sent_may_be_kept_by_a_cache(world, name, htmx):
    url = MATRIX[name][0](world)
    headers = {"HX-Request": "true"} if htmx else {}
    for role in ROLES[1:]:
        client = Client()
        client.force_login(world["users"][role])
        response = client.get(url, headers=headers)

        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= directives, (role, response.status_code)


def test_so_is_what_a_post_answers_and_the_admin(world, technician_occupation):
    client = Client()
    client.force_login(world["users"]["owner"])
    competence = technician_occupation.requirements.values_list("competence_id", flat=True)[0]
    autosave = client.post(
        reverse("assessments:assessment-rate", args=[world["draft"].pk]),
        {f"c-{competence}": "2"},
        headers={"HX-Request": "true"},
    )
    client.force_login(world["users"]["taxonomy_admin"])
    admin = client.get(reverse("admin:taxonomy_occupation_changelist"))

    for response in (autosave, admin):
        assert response.status_code == 200
        assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}


def test_pages_for_no_one_in_particular_may_be_cached(client):
    assert "Cache-Control" not in client.get(reverse("taxonomy:about"))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("assessments:assessment-rate", {"c-1": "2"}),
        ("assessments:assessment-submit", {}),
    ],
)
def test_no_one_else_can_post_to_someone_elses_draft(world, name, data):
    draft: Assessment = world["draft"]
    url = reverse(name, args=[draft.pk])
    # The draft starts from alice's submitted assessment: what it carried over stays as it is.
    before = list(draft.ratings.values_list("competence_id", "level", "carried", "rated_at"))
    for role in ("other_technician", "manager", "other_manager", "taxonomy_admin"):
        client = Client()
        client.force_login(world["users"][role])
        assert client.post(url, data).status_code == 404
        confirm = client.post(url, {"confirm": str(before[0][0])})
        assert confirm.status_code == 404
    assert (
        list(draft.ratings.values_list("competence_id", "level", "carried", "rated_at")) == before
    )
    draft.refresh_from_db()
    assert draft.is_draft


def test_the_admin_is_for_staff(world):
    url = reverse("admin:index")
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world["users"][role])
        expected = 200 if role == "taxonomy_admin" else 302
        assert client.get(url).status_code == expected, role


# Every API operation with each role's write token: (method, path, body, statuses by ROLES).
# anonymous sends no token. A read token is refused every write (tests/api/test_auth.py).
API_MATRIX = {
    "occupation_list": ("get", lambda o: "/api/occupations", None, [401, *[200] * 5]),
    "occupation_detail": ("get", lambda o: "/api/occupations/3512.4", None, [401, *[200] * 5]),
    "scale": ("get", lambda o: "/api/scale", None, [401, *[200] * 5]),
    "person_list": ("get", lambda o: "/api/people", None, [401, *[200] * 5]),
    "person_detail": (
        "get",
        lambda o: "/api/people/alice",
        None,
        [401, 200, 404, 200, 404, 404],
    ),
    "person_assessments": (
        "get",
        lambda o: "/api/people/alice/assessments",
        None,
        [401, 200, 404, 200, 404, 404],
    ),
    "assessment_detail": (
        "get",
        lambda o: f"/api/assessments/{o['submitted'].pk}",
        None,
        [401, 200, 404, 200, 404, 404],
    ),
    "assessment_report": (
        "get",
        lambda o: f"/api/assessments/{o['submitted'].pk}/report",
        None,
        [401, 200, 404, 404, 404, 404],
    ),
    # alice resumes the draft she has; the taxonomy admin has no role that assesses itself.
    "assessment_start": (
        "post",
        lambda o: "/api/assessments",
        {"occupation": "3512.4"},
        [401, 200, 201, 201, 201, 403],
    ),
    "assessment_ratings": (
        "put",
        lambda o: f"/api/assessments/{o['draft'].pk}/ratings",
        {"ratings": [{"competence_id": "FIRST", "level": 2}]},
        [401, 200, 404, 404, 404, 404],
    ),
    "assessment_submit": (
        "post",
        lambda o: f"/api/assessments/{o['draft'].pk}/submit",
        {},
        [401, 200, 404, 404, 404, 404],
    ),
    "team_list": ("get", lambda o: "/api/teams", None, [401, *[200] * 5]),
    "team_report": (
        "get",
        lambda o: f"/api/teams/{o['team'].pk}/report",
        None,
        [401, 404, 404, 200, 404, 404],
    ),
}
API_VARIANTS = {
    "assessment_detail, an older assessment submitted in a cycle": (
        "get",
        lambda o: f"/api/assessments/{o['cycled'].pk}",
        None,
        [401, 200, 404, 200, 404, 404],
    ),
    "assessment_detail, a superseded assessment": (
        "get",
        lambda o: f"/api/assessments/{o['superseded'].pk}",
        None,
        [401, 200, 404, 404, 404, 404],
    ),
    "assessment_detail, another occupation's": (
        "get",
        lambda o: f"/api/assessments/{o['elsewhere'].pk}",
        None,
        [401, 200, 404, 404, 404, 404],
    ),
}


def test_every_api_operation_is_in_the_matrix(client):
    schema = client.get("/api/schema").json()
    operations = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    assert operations == set(API_MATRIX)


@pytest.mark.parametrize("name", sorted(API_MATRIX) + sorted(API_VARIANTS))
def test_each_role_gets_the_expected_answer_from_the_api(world, name):
    method, build, body, expected = {**API_MATRIX, **API_VARIANTS}[name]
    url = build(world)
    first = world["draft"].occupation.requirements.order_by("pk").first().competence_id
    if body and body.get("ratings"):
        body = {"ratings": [{**body["ratings"][0], "competence_id": first}]}
    got = []
    for role in ROLES:
        headers = {}
        if role != "anonymous":
            _token, secret = api_token_create(owner=world["users"][role], name=role, scope="write")
            headers["Authorization"] = f"Bearer {secret}"
        send = getattr(Client(), method)
        if body is None:
            response = send(url, headers=headers)
        else:
            response = send(url, body, content_type="application/json", headers=headers)
        got.append(response.status_code)
        if response.status_code == 404:  # says nothing of what is behind it
            assert world["users"]["owner"].username not in response.content.decode()
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))
