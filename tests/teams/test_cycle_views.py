"""The cycle pages: the form that opens one, the board, remind, excuse, close, and what
members and managers find on My assessments and My teams."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assessments.models import Assessment
from taxonomy.models import Occupation
from teams.models import Assignment, Notification, ReviewCycle, Team
from teams.services import cycle_create
from tests.teams.conftest import crowd

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def form_data(**changes) -> dict:
    return {
        "name": "2027 Q1 skills review",
        "opens_on": TODAY.isoformat(),
        "self_due": (TODAY + timedelta(days=14)).isoformat(),
        "review_due": (TODAY + timedelta(days=28)).isoformat(),
        "repeat_every_months": "",
    } | changes


@pytest.fixture
def cycle(team, mia):
    return cycle_create(
        team=team,
        name="2027 Q1 skills review",
        opens_on=TODAY,
        self_due=TODAY + timedelta(days=14),
        review_due=TODAY + timedelta(days=28),
        by=mia,
    )


def board_url(cycle, **query) -> str:
    url = reverse("teams:cycle-board", args=[cycle.team_id, cycle.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_team_report_links_the_form_which_labels_its_dates(mia_client, team):
    report = mia_client.get(team.get_absolute_url()).content.decode()
    create = reverse("teams:cycle-create", args=[team.pk])
    assert f'href="{create}">Open a review cycle</a>' in report
    page = mia_client.get(create).content.decode()
    for label, field in [
        ("Name", "name"),
        ("Self-assessment due", "self_due"),
        ("Review due", "review_due"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in page
    assert f'value="{TODAY.isoformat()}"' in page  # opens_on defaults to today
    assert 'type="date"' in page


def test_opening_lands_on_the_board_which_fills_in_when_the_worker_is_done(
    mia_client, team, run_worker
):
    response = mia_client.post(reverse("teams:cycle-create", args=[team.pk]), form_data())
    cycle = ReviewCycle.objects.get()
    assert response.status_code == 302 and response.url == cycle.get_absolute_url()
    assert cycle.status == "open" and cycle.assignments.count() == 0  # the worker makes them
    waiting = mia_client.get(response.url).content.decode()
    assert "being prepared" in waiting and 'hx-trigger="every 2s"' in waiting
    poll = {"HX-Request": "true", "HX-Target": "building"}
    assert mia_client.get(response.url, headers=poll).status_code == 204
    run_worker()
    assert cycle.assignments.count() == 2
    refresh = mia_client.get(response.url, headers=poll)
    assert refresh.status_code == 200 and refresh.headers["HX-Refresh"] == "true"
    board = mia_client.get(response.url).content.decode()
    assert "being prepared" not in board
    assert "Not started" in board and "alice" in board and "bob" in board
    assert "0 of 80" in board


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"self_due": (TODAY - timedelta(days=1)).isoformat()}, "is in the past"),
        ({"review_due": (TODAY + timedelta(days=2)).isoformat()}, "before the self-assessment"),
        ({"opens_on": (TODAY - timedelta(days=2)).isoformat()}, "cannot open in the past"),
        ({"self_due": "not a date"}, "Enter a valid date"),
        ({"name": ""}, "This field is required"),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"repeat_every_months": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(mia_client, team, changes, message):
    response = mia_client.post(reverse("teams:cycle-create", args=[team.pk]), form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReviewCycle.objects.exists() and not Notification.objects.exists()


def test_a_team_whose_occupation_has_no_profile_is_refused(mia_client, team):
    team.occupation = Occupation.objects.create(code="X-3", title="Empty")
    team.save()
    response = mia_client.post(reverse("teams:cycle-create", args=[team.pk]), form_data())
    assert response.status_code == 400
    assert "no competence profile" in response.content.decode()
    assert not ReviewCycle.objects.exists()


def test_a_second_open_cycle_is_refused(mia_client, cycle):
    response = mia_client.post(
        reverse("teams:cycle-create", args=[cycle.team_id]), form_data(name="Again")
    )
    assert response.status_code == 400
    assert "already has an open cycle" in response.content.decode()
    assert ReviewCycle.objects.count() == 1


def test_the_board_sorts_filters_and_exports(mia_client, cycle, alice):
    Assignment.objects.filter(cycle=cycle, user=alice).update(
        status="excused", excused_reason="On leave"
    )
    page = mia_client.get(board_url(cycle, **{"b-state": "excused"})).content.decode()
    assert "On leave" in page and ">bob<" not in page
    sorted_page = mia_client.get(board_url(cycle, **{"b-sort": "-member_name"})).content.decode()
    assert sorted_page.index(">bob") < sorted_page.index(">alice")
    swap = mia_client.get(board_url(cycle), headers={"HX-Request": "true", "HX-Target": "board"})
    assert swap.status_code == 200 and b"<html" not in swap.content
    assert b'href="?b-sort=' in swap.content  # real links under htmx
    export = mia_client.get(board_url(cycle, export="csv"))
    rows = export.content.decode().splitlines()
    assert rows[0].startswith("member,username,occupation_code,status")
    assert len(rows) == 3 and "Excused" in rows[1]


@pytest.mark.parametrize("query", [{"b-state": "nonsense"}, {"export": "pdf"}])
def test_the_board_refuses_bad_queries(mia_client, cycle, query):
    assert mia_client.get(board_url(cycle, **query)).status_code == 400


def test_the_board_costs_the_same_queries_at_5_and_200_members(mia_client, team, mia):
    counts = []
    for size in (5, 200):
        ReviewCycle.objects.all().delete()
        big = Team.objects.create(name=f"Big {size}", occupation=team.occupation)
        big.managers.add(mia)
        crowd(big, size)
        cycle = cycle_create(
            team=big,
            name=f"Cycle {size}",
            opens_on=TODAY,
            self_due=TODAY + timedelta(days=3),
            review_due=TODAY + timedelta(days=5),
            by=mia,
        )
        with CaptureQueriesContext(connection) as queries:
            assert mia_client.get(board_url(cycle)).status_code == 200
        counts.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            assert mia_client.get(reverse("assessments:assessment-list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts


def test_remind_once_a_day(mia_client, cycle, alice):
    assignment = cycle.assignments.get(user=alice)
    url = reverse("teams:cycle-remind", args=[cycle.team_id, cycle.pk, assignment.pk])
    assert mia_client.get(url).status_code == 405
    assert mia_client.post(url).status_code == 302
    assert mia_client.post(url).status_code == 409
    assert Notification.objects.filter(recipient=alice, kind="reminder").count() == 1
    assert "Reminded today" in mia_client.get(board_url(cycle)).content.decode()


def test_excuse_needs_a_reason(mia_client, cycle, bob):
    assignment = cycle.assignments.get(user=bob)
    url = reverse("teams:cycle-excuse", args=[cycle.team_id, cycle.pk, assignment.pk])
    assert mia_client.get(url).status_code == 200
    refused = mia_client.post(url, {"reason": "  "})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    assert mia_client.post(url, {"reason": "<b>Leave</b>"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == "excused"
    board = mia_client.get(board_url(cycle)).content.decode()
    assert "&lt;b&gt;Leave&lt;/b&gt;" in board  # shown as text
    assert mia_client.post(url, {"reason": "again"}).status_code == 409


def test_close_the_cycle(mia_client, cycle):
    url = reverse("teams:cycle-close", args=[cycle.team_id, cycle.pk])
    assert "Close the cycle" in mia_client.get(url).content.decode()
    assert mia_client.post(url).status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == "closed"
    assert set(cycle.assignments.values_list("status", flat=True)) == {"missed"}
    assert mia_client.post(url).status_code == 409


def test_who_left_while_it_was_open_reads_left_on_the_closed_board_never_overdue(
    mia_client, cycle, alice, bob
):
    from teams.models import Membership
    from tests.assessments.conftest import rate

    draft = cycle.assignments.get(user=bob).assessment
    rate(draft, {draft.occupation.requirements.first().competence_id: 3})
    Membership.objects.filter(team=cycle.team, user=bob).delete()
    url = reverse("teams:cycle-close", args=[cycle.team_id, cycle.pk])
    assert mia_client.post(url).status_code == 302
    # Long after it was due, and closed: alice missed it, bob had left.
    past = TODAY - timedelta(days=20)
    ReviewCycle.objects.filter(pk=cycle.pk).update(
        opens_on=past, self_due=past, review_due=past + timedelta(days=1)
    )
    page = mia_client.get(board_url(cycle)).content.decode()
    row = page[page.index(">bob<") :].split("</tr>")[0]
    assert "Left the team" in row and "1 of 80" in row
    assert "state-overdue" not in page  # no row, no count
    assert (
        'state-left">Left the team</span>: 1' in page and 'state-missed">Missed</span>: 1' in page
    )
    left = mia_client.get(board_url(cycle, **{"b-state": "left"})).content.decode()
    assert ">bob<" in left and ">alice<" not in left
    assert Assignment.objects.get(cycle=cycle, user=bob).assessment == draft  # kept


def test_who_left_is_not_asked_on_my_assessments_or_in_the_overdue_digest(cycle, bob, mia):
    from django.core import mail as outbox
    from django.core.management import call_command

    from teams.models import Membership

    Membership.objects.filter(team=cycle.team, user=bob).delete()
    client = Client()
    client.force_login(bob)
    page = client.get(reverse("assessments:assessment-list")).content.decode()
    assert "Due: 2027 Q1 skills review" not in page
    yesterday = TODAY - timedelta(days=1)
    ReviewCycle.objects.filter(pk=cycle.pk).update(opens_on=yesterday, self_due=yesterday)
    call_command("send_reminders", f"--today={TODAY}", stdout=io.StringIO())
    (digest,) = [m for m in outbox.outbox if m.subject.startswith("Still to submit")]
    assert "- alice" in digest.body and "bob" not in digest.body


def test_another_managers_get_404_on_the_board_and_every_action(cycle, other_team, alice):
    carl = other_team.managers.get()
    client = Client()
    client.force_login(carl)
    a = cycle.assignments.get(user=alice)
    args = [cycle.team_id, cycle.pk]
    assert client.get(reverse("teams:cycle-board", args=args)).status_code == 404
    for url in [
        reverse("teams:cycle-close", args=args),
        reverse("teams:cycle-remind", args=[*args, a.pk]),
        reverse("teams:cycle-excuse", args=[*args, a.pk]),
        reverse("teams:cycle-create", args=[cycle.team_id]),
    ]:
        assert client.get(url).status_code in (404, 405)  # remind is POST only
        assert client.post(url, {"reason": "x", **form_data()}).status_code == 404
    # nor through his own team's address
    assert (
        client.get(reverse("teams:cycle-board", args=[other_team.pk, cycle.pk])).status_code == 404
    )
    cycle.refresh_from_db()
    a.refresh_from_db()
    assert cycle.status == "open" and a.status == "active" and a.reminded_at is None


def test_members_see_their_own_assignment_and_not_the_board(alice_client, cycle, alice):
    assert alice_client.get(board_url(cycle)).status_code == 404
    page = alice_client.get(reverse("assessments:assessment-list")).content.decode()
    draft = cycle.assignments.get(user=alice).assessment
    assert "Due: 2027 Q1 skills review" in page
    assert "14 days left" in page and "0 of 80 rated or confirmed" in page
    assert f'href="{draft.get_absolute_url()}">Continue' in page
    assert "bob" not in page


def test_a_manager_lands_on_open_cycles_and_reviews_waiting(mia_client, cycle, alice):
    from assessments.services import assessment_submit
    from tests.assessments.conftest import rate

    draft = cycle.assignments.get(user=alice).assessment
    rate(draft, {r.competence_id: 2 for r in cycle.team.occupation.requirements.all()})
    assessment_submit(assessment=draft, user=alice)
    for url in (reverse("assessments:assessment-list"), reverse("teams:team-list")):
        page = mia_client.get(url).content.decode()
        assert "Open review cycles" in page
        assert "1 of 2 submitted" in page and "1 review waiting" in page


def test_the_team_report_shows_readiness_by_closed_cycle(mia_client, cycle, alice, mia):
    from assessments.services import assessment_submit
    from teams.services import cycle_close
    from tests.assessments.conftest import rate

    report = mia_client.get(reverse("teams:team-report", args=[cycle.team_id]))
    assert "No review cycle has closed yet." in report.content.decode()
    draft = cycle.assignments.get(user=alice).assessment
    rate(draft, {r.competence_id: 4 for r in cycle.team.occupation.requirements.all()})
    assessment_submit(assessment=draft, user=alice)
    cycle_close(cycle=cycle, by=mia)
    page = mia_client.get(reverse("teams:team-report", args=[cycle.team_id])).content.decode()
    section = page[page.index('id="by-cycle-heading"') :]
    assert "2027 Q1 skills review" in section
    assert "100.0%" in section and "1 of 2" in section


def test_a_superuser_opens_one_cycle_for_several_teams_in_admin(client, team, other_team):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    url = reverse("admin:teams_team_changelist")
    chosen = {"action": "open_review_cycle", "_selected_action": [team.pk, other_team.pk]}
    form = client.post(url, chosen)
    assert form.status_code == 200 and "Self-assessment due" in form.content.decode()
    refused = client.post(url, {**chosen, **form_data(review_due="2000-01-01"), "apply": "1"})
    assert "The review due date is in the past." in refused.content.decode()
    assert not ReviewCycle.objects.exists()
    done = client.post(url, {**chosen, **form_data(), "apply": "1"})
    assert done.status_code == 302
    assert sorted(ReviewCycle.objects.values_list("team__name", "status")) == [
        ("Network", "open"),
        ("Service desk", "open"),
    ]
    again = client.post(url, {**chosen, **form_data(), "apply": "1"})  # one open per team
    assert "already has an open cycle" in again.content.decode()
    assert ReviewCycle.objects.count() == 2


HYPOTHESIS = hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
form_values = st.one_of(
    st.sampled_from(
        [TODAY.isoformat(), (TODAY + timedelta(days=9)).isoformat(), "2000-01-01", "", "0", "25"]
    ),
    st.text(max_size=120),
)


@HYPOTHESIS
@given(
    st.dictionaries(
        st.sampled_from(["name", "opens_on", "self_due", "review_due", "repeat_every_months"]),
        form_values,
    )
)
def test_any_form_post_opens_a_cycle_or_is_refused_writing_nothing(mia_client, team, data):
    ReviewCycle.objects.all().delete()
    response = mia_client.post(reverse("teams:cycle-create", args=[team.pk]), data)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert not ReviewCycle.objects.exists()


@HYPOTHESIS
@given(
    st.dictionaries(
        st.sampled_from(["b-sort", "b-page", "b-state", "export"]), st.text(max_size=30), max_size=3
    )
)
def test_board_parameters_take_any_text_without_a_server_error(mia_client, cycle, params):
    response = mia_client.get(board_url(cycle), params)
    assert response.status_code in (200, 400, 404)


def test_the_boards_remind_buttons_post_with_a_valid_csrf_token(mia, cycle, alice):
    import re

    client = Client(enforce_csrf_checks=True)
    client.force_login(mia)
    page = client.get(board_url(cycle)).content.decode()
    assignment = cycle.assignments.get(user=alice)
    action = reverse("teams:cycle-remind", args=[cycle.team_id, cycle.pk, assignment.pk])
    form = re.search(rf'action="{action}".*?value="([^"]+)"', page)
    assert form, "no remind form for alice"
    response = client.post(action, {"csrfmiddlewaretoken": form[1]})
    assert response.status_code == 302


def test_a_closed_cycles_board_still_opens_what_was_submitted_in_it(mia_client, cycle, mia):
    from assessments.services import assessment_submit
    from teams.services import cycle_close
    from tests.assessments.conftest import rate, submitted_at_level

    submitted = {}
    for assignment in cycle.assignments.select_related("user", "assessment"):
        draft = assignment.assessment
        rate(draft, {r.competence_id: 2 for r in cycle.team.occupation.requirements.all()})
        assessment_submit(assessment=draft, user=assignment.user)
        submitted[assignment.user.username] = draft
    Assessment.objects.filter(pk=submitted["bob"].pk).update(
        reviewed_at=timezone.now(), reviewed_by=mia
    )
    cycle_close(cycle=cycle, by=mia)
    submitted_at_level(submitted["alice"].user, cycle.team.occupation, 3)  # after the cycle

    page = mia_client.get(board_url(cycle)).content.decode()

    review = reverse("teams:team-review", args=[cycle.team_id, submitted["alice"].pk])
    view = reverse("teams:team-review", args=[cycle.team_id, submitted["bob"].pk])
    alice_row = page[page.index(">alice<") :].split("</tr>")[0]
    bob_row = page[page.index(">bob<") :].split("</tr>")[0]
    assert f'href="{review}"' in alice_row and ">Review<" in alice_row
    assert f'href="{view}"' in bob_row and ">Open<" in bob_row
    assert ">Remind<" not in page and ">Excuse<" not in page
    assert mia_client.get(review).status_code == 200
    assert mia_client.get(view).status_code == 200
