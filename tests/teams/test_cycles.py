"""Review cycles: opening, the members' drafts, joining, reminding, excusing, closing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from assessments.models import Assessment
from assessments.services import assessment_submit, ratings_confirm
from taxonomy.models import Occupation
from teams.models import Assignment, Membership, Notification, ReviewCycle
from teams.services import (
    CycleError,
    add_months,
    assignment_excuse,
    assignment_join,
    assignment_remind,
    cycle_close,
    cycle_create,
    review_save,
)
from tests.assessments.conftest import rate, submitted_at_level

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def open_cycle(team, mia, **kwargs):
    values = {
        "name": "2027 Q1 skills review",
        "opens_on": TODAY,
        "self_due": TODAY + timedelta(days=14),
        "review_due": TODAY + timedelta(days=28),
    }
    return cycle_create(team=team, by=mia, **(values | kwargs))


def states(cycle) -> dict[str, str]:
    rows = Assignment.objects.filter(cycle=cycle).with_state(TODAY)
    return {a.user.username: a.state for a in rows.select_related("user")}


def test_opening_gives_every_member_a_carried_over_draft(team, mia, alice, bob):
    before = submitted_at_level(alice, team.occupation, 3)
    cycle = open_cycle(team, mia)
    assert cycle.status == ReviewCycle.Status.OPEN and cycle.opened_at
    assignments = {a.user: a for a in cycle.assignments.select_related("assessment")}
    assert set(assignments) == {alice, bob}
    drafts = {u: a.assessment for u, a in assignments.items()}
    assert all(d.is_draft for d in drafts.values())
    assert drafts[alice].carried_from == before
    assert drafts[alice].ratings.filter(carried=True).count() == 80
    assert drafts[bob].ratings.count() == 0
    assert states(cycle) == {"alice": "not-started", "bob": "not-started"}
    opened = Notification.objects.filter(cycle=cycle, kind="opened")
    assert sorted(opened.values_list("recipient__username", flat=True)) == ["alice", "bob"]


def test_a_member_whose_occupation_has_no_profile_is_skipped_and_named(team, mia, bob):
    empty = Occupation.objects.create(code="X-1", title="No profile yet")
    Membership.objects.filter(user=bob).update(occupation=empty)
    cycle = open_cycle(team, mia)
    assert list(cycle.assignments.values_list("user__username", flat=True)) == ["alice"]
    assert cycle.skipped == "bob"


@pytest.mark.parametrize(
    "dates, field",
    [
        ({"opens_on": TODAY - timedelta(days=1)}, "opens_on"),
        ({"self_due": TODAY - timedelta(days=1)}, "self_due"),
        ({"review_due": TODAY + timedelta(days=3)}, "review_due"),
        ({"review_due": TODAY - timedelta(days=3)}, "review_due"),
        ({"opens_on": TODAY + timedelta(days=20)}, "self_due"),
    ],
)
def test_bad_dates_are_refused_and_nothing_is_written(team, mia, dates, field):
    with pytest.raises(ValidationError) as refused:
        open_cycle(team, mia, **dates)
    assert field in refused.value.message_dict
    assert not ReviewCycle.objects.exists() and not Assessment.objects.exists()


def test_a_team_whose_occupation_has_no_profile_is_refused(team, mia):
    team.occupation = Occupation.objects.create(code="X-2", title="Empty")
    team.save()
    with pytest.raises(ValidationError) as refused:
        open_cycle(team, mia)
    assert "no competence profile" in " ".join(refused.value.messages)
    assert not ReviewCycle.objects.exists()


def test_one_open_cycle_per_team(team, mia):
    open_cycle(team, mia)
    with pytest.raises(ValidationError, match="already has an open cycle"):
        open_cycle(team, mia, name="Again")
    assert ReviewCycle.objects.count() == 1
    with pytest.raises(IntegrityError):  # and the database says so too
        ReviewCycle.objects.create(
            team=team, name="x", opens_on=TODAY, self_due=TODAY, review_due=TODAY, status="open"
        )


def test_a_cycle_opening_later_waits_as_a_draft(team, mia):
    cycle = open_cycle(team, mia, opens_on=TODAY + timedelta(days=3))
    assert cycle.status == "draft" and not cycle.assignments.exists()


def test_progress_counts_what_was_rated_or_confirmed_since_opening(team, mia, alice, bob):
    submitted_at_level(alice, team.occupation, 3)
    cycle = open_cycle(team, mia)
    draft = cycle.assignments.get(user=alice).assessment
    ids = list(draft.ratings.values_list("competence_id", flat=True)[:5])
    ratings_confirm(assessment=draft, competence_ids=ids[:2])
    rate(draft, {ids[2]: 1})
    row = Assignment.objects.with_state(TODAY).get(cycle=cycle, user=alice)
    assert (row.state, row.done, row.total) == ("in-progress", 3, 80)
    assert row.last_activity is not None
    assessment_submit(assessment=draft, user=alice, confirm_rest=True)
    assert states(cycle)["alice"] == "submitted"
    review_save(assessment=draft, reviewer=mia, validations=[], done=True)
    assert states(cycle)["alice"] == "reviewed"
    assert Notification.objects.filter(recipient=alice, kind="review-done").count() == 1
    later = TODAY + timedelta(days=15)
    rows = Assignment.objects.filter(cycle=cycle).with_state(later).select_related("user")
    assert {a.user.username: a.state for a in rows} == {"alice": "reviewed", "bob": "overdue"}


def test_a_member_joining_an_open_cycle_gets_an_assignment(team, mia):
    cycle = open_cycle(team, mia)
    carol = User.objects.create_user("carol", "carol@example.com")
    assignment = assignment_join(membership=Membership.objects.create(team=team, user=carol))
    assert assignment.cycle == cycle and assignment.assessment.is_draft
    assert assignment_join(membership=Membership.objects.get(user=carol)) is None  # once
    assert Notification.objects.filter(recipient=carol, kind="opened").count() == 1


def test_import_people_adds_a_newcomer_to_the_open_cycle(team, mia, tmp_path):
    from django.core.management import call_command

    cycle = open_cycle(team, mia)
    people = tmp_path / "people.csv"
    people.write_text(
        "username,email,full_name,team,role,occupation_code\n"
        "dan,dan@example.com,Dan D,Service desk,member,\n"
    )
    call_command("import_people", str(people), verbosity=0)
    assert cycle.assignments.filter(user__username="dan").exists()


def test_remind_at_most_once_a_day(team, mia, alice):
    cycle = open_cycle(team, mia)
    assignment = cycle.assignments.get(user=alice)
    assignment_remind(assignment=assignment, by=mia)
    with pytest.raises(CycleError, match="a day at most"):
        assignment_remind(assignment=assignment, by=mia)
    assignment_remind(assignment=assignment, by=mia, today=TODAY + timedelta(days=1))
    assert Notification.objects.filter(recipient=alice, kind="reminder").count() == 2


def test_excuse_with_a_reason(team, mia, bob):
    cycle = open_cycle(team, mia)
    assignment = assignment_excuse(
        assignment=cycle.assignments.get(user=bob), by=mia, reason="Parental leave"
    )
    assert assignment.excused_reason == "Parental leave"
    assert states(cycle)["bob"] == "excused"
    with pytest.raises(CycleError):
        assignment_remind(assignment=assignment, by=mia)


def test_closing_marks_missed_flags_reviews_and_repeats(team, mia, alice, bob):
    cycle = open_cycle(team, mia, repeat_every_months=3)
    draft = cycle.assignments.get(user=alice).assessment
    rate(draft, {r.competence_id: 2 for r in team.occupation.requirements.all()})
    assessment_submit(assessment=draft, user=alice)
    following = cycle_close(cycle=cycle, by=mia)
    cycle.refresh_from_db()
    assert cycle.status == "closed" and cycle.closed_at
    assert states(cycle) == {"alice": "submitted", "bob": "missed"}
    assert cycle.assignments.get(user=alice).review_missed
    assert following.status == "draft"
    assert following.opens_on == add_months(TODAY, 3)
    assert following.self_due == add_months(cycle.self_due, 3)
    with pytest.raises(CycleError):
        cycle_close(cycle=cycle, by=mia)


def test_add_months_keeps_to_the_end_of_short_months():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


def test_a_member_who_leaves_keeps_what_they_did_and_is_no_longer_reminded(team, mia, bob):
    cycle = open_cycle(team, mia)
    Membership.objects.filter(user=bob).delete()
    assignment = cycle.assignments.get(user=bob)
    assert assignment.assessment.is_draft  # kept
    assert not cycle.assignments.waiting().filter(user=bob).exists()
    with pytest.raises(CycleError):
        assignment_remind(assignment=assignment, by=mia)


def test_a_taxonomy_upgrade_during_an_open_cycle_moves_its_drafts_and_says_so(
    team, mia, alice, client
):
    import json

    from django.urls import reverse

    from taxonomy import profiles
    from taxonomy.seed import DATA, profile_import
    from taxonomy.services import PROFILE_LIMITS

    earlier = submitted_at_level(alice, team.occupation, 3)
    snapshot = earlier.ratings.count()
    cycle = open_cycle(team, mia)
    draft = cycle.assignments.get(user=alice).assessment
    # A newer release of the profile, while the cycle is open: its first line gone, one new.
    name = "esco-ict-technician-3512.4.csv"
    header, _gone, *rest = (DATA / name).read_text().splitlines()
    new = ",triage of cycle tickets,skill,sector-specific,essential,New in this release.,"
    lines = profiles.read_profile(
        name, "\n".join([header, *rest, new]).encode(), limits=PROFILE_LIMITS
    )
    technician = json.loads((DATA / "esco-ict-technician-3512.4.json").read_text())
    profile_import(occupation=technician, lines=lines, release_name="ESCO test release")

    moved = Assessment.objects.get(pk=draft.pk)
    changes = moved.profile_changes
    assert list(changes.releases) == ["ESCO test release"]
    assert len(changes.added) == 1 and len(changes.removed) == 1
    client.force_login(alice)
    page = client.get(reverse("assessments:assessment-rate", args=[draft.pk])).content.decode()
    assert "Since you started this draft, ESCO test release changed" in page
    assert "1 competence is new" in page
    steps = [
        client.get(reverse("assessments:assessment-rate", args=[draft.pk]), {"step": n})
        .content.decode()
        .count("New in ESCO test release: rate this")
        for n in range(1, 6)
    ]
    assert sum(steps) == 1
    # The board counts against the profile as it is now; the submitted one stands as it was.
    row = Assignment.objects.filter(cycle=cycle, user=alice).with_state(TODAY).get()
    assert row.total == 80 and row.state == "not-started"
    earlier = Assessment.objects.get(pk=earlier.pk)
    assert not earlier.profile_changes.releases and earlier.ratings.count() == snapshot
