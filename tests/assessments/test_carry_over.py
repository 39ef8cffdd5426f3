"""Carry-over: a new draft starts from the person's latest submitted assessment; they change
what changed and confirm the rest; old ratings go stale."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Assessment, Rating, months_since, stale_before
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from taxonomy.models import Competence, Occupation, Requirement
from tests.assessments.conftest import rating_steps, url

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
LEVELS = [0, 1, 2, 3, 4, None]  # the last: "Don't know"


def ids_of(occupation: Occupation) -> list[int]:
    lines = occupation.requirements.order_by("competence__title")
    return list(lines.values_list("competence_id", flat=True))


def submit(user, occupation: Occupation, levels: list[int | None], days_ago: int = 90):
    """A submitted assessment, its ratings set `days_ago` days ago."""
    assessment = assessment_start(user=user, occupation=occupation)
    answers = [
        Answer(cid, True, level, "high" if i == 0 else "", "ticket 42" if i == 0 else "")
        for i, (cid, level) in enumerate(zip(ids_of(occupation), levels, strict=False))
    ]
    ratings_save(assessment=assessment, answers=answers)
    assessment_submit(assessment=assessment, user=user)
    moment = timezone.now() - timedelta(days=days_ago)
    Assessment.objects.filter(pk=assessment.pk).update(submitted_at=moment)
    Rating.objects.filter(assessment=assessment).update(rated_at=moment)
    return Assessment.objects.get(pk=assessment.pk)


@pytest.fixture
def six(make_profile) -> Occupation:
    return make_profile(6, "CARRY")


@pytest.fixture
def earlier(alice, six) -> Assessment:
    return submit(alice, six, LEVELS)


def page(client, draft) -> str:
    """Every step of the rating page."""
    return "".join(rating_steps(client, draft))


def test_a_new_draft_starts_from_the_latest_submitted_assessment(alice, alice_client, earlier):
    draft = assessment_start(user=alice, occupation=earlier.occupation)

    assert draft.carried_from == earlier
    ratings = {r.competence_id: r for r in draft.ratings.all()}
    old = {r.competence_id: r for r in earlier.ratings.all()}
    assert set(ratings) == set(old)
    for cid, rating in ratings.items():
        assert (rating.answered, rating.level, rating.confidence, rating.evidence) == (
            old[cid].answered,
            old[cid].level,
            old[cid].confidence,
            old[cid].evidence,
        )
        assert rating.carried and rating.carried_from == old[cid]
        assert rating.rated_at == old[cid].rated_at  # its age goes on counting
    entries = Rating.history.filter(assessment_id=draft.pk)
    assert entries.count() == 6
    assert {(e.history_type, e.history_user_id, e.carried) for e in entries} == {
        ("+", alice.pk, True)
    }
    html = page(alice_client, draft)
    date = f"{earlier.submitted_at:%-d %B %Y}"
    assert html.count(f"Carried over from {date}") == 6
    # Carried answers are checked radios like any other; the mark is text beside them.
    first = ids_of(earlier.occupation)[0]
    assert f'name="c-{first}" value="0" aria-describedby="level-0" checked' in html


def test_competences_new_in_the_profile_are_marked_and_removed_ones_stay_behind(
    alice, alice_client, earlier
):
    occupation = earlier.occupation
    ids = ids_of(occupation)
    Requirement.objects.filter(occupation=occupation, competence_id=ids[1]).delete()
    new = Competence.objects.create(title="CARRY brand-new skill", kind="skill")
    Requirement.objects.create(
        occupation=occupation, competence=new, relation="essential", target_level=3, weight=2
    )

    draft = assessment_start(user=alice, occupation=occupation)

    carried = set(draft.ratings.values_list("competence_id", flat=True))
    assert carried == set(ids) - {ids[1]}
    html = page(alice_client, draft)
    mark = html[html.index(f'id="competence-{new.pk}"') :]
    assert "New: rate this" in mark[: mark.index("</fieldset>")]
    assert html.count("Carried over from") == 5


def test_changing_a_carried_rating_sets_it_anew(alice, alice_client, earlier):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    cid = ids_of(draft.occupation)[2]  # carried at 2

    response = alice_client.post(
        url("assessment-rate", draft), {f"c-{cid}": "4", "client": "p", "seq": "1"}, headers=HTMX
    )

    assert response.status_code == 200
    assert f'id="mark-{cid}"' in response.content.decode()
    assert "Changed: was Practitioner" in response.content.decode()
    rating = draft.ratings.get(competence_id=cid)
    assert (rating.level, rating.carried) == (4, False)
    assert rating.rated_at > timezone.now() - timedelta(minutes=1)


def test_confirming_one_rating_keeps_its_level_and_dates_it_now(alice, alice_client, earlier):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    cid = ids_of(draft.occupation)[3]
    history = Rating.history.filter(assessment_id=draft.pk, competence_id=cid).count()

    response = alice_client.post(
        url("assessment-rate", draft),
        {"confirm": str(cid), "client": "p", "seq": "3"},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<span id="status-{cid}" class="save-status saved"' in html and ">Confirmed<" in html
    assert "Still accurate: confirmed" in html
    rating = draft.ratings.get(competence_id=cid)
    assert (rating.level, rating.carried) == (3, False)
    assert rating.rated_at > timezone.now() - timedelta(minutes=1)
    assert Rating.history.filter(assessment_id=draft.pk, competence_id=cid).count() == history + 1
    # Like any autosave: an older save of the same page arriving late changes nothing.
    late = alice_client.post(
        url("assessment-rate", draft), {f"c-{cid}": "0", "client": "p", "seq": "2"}, headers=HTMX
    )
    assert late.status_code == 409
    assert draft.ratings.get(competence_id=cid).level == 3


def test_the_next_competence_left_is_named_for_what_it_needs(alice, alice_client, earlier):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    carried = alice_client.get(url("assessment-rate", draft)).content.decode()
    Rating.objects.filter(assessment=draft).update(answered=False, level=None, carried=False)
    unrated = alice_client.get(url("assessment-rate", draft)).content.decode()

    # Rated last time: it is there to confirm, not to rate.
    assert re.search(r">Next to confirm: [^<]+</a>", carried) and "Next unrated" not in carried
    assert re.search(r">Next unrated: [^<]+</a>", unrated) and "Next to confirm" not in unrated


def test_a_section_is_confirmed_at_once(alice, alice_client, earlier):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    essentials = list(
        draft.occupation.requirements.filter(relation="essential").values_list(
            "competence_id", flat=True
        )
    )
    html = page(alice_client, draft)
    assert "All still accurate" in html

    response = alice_client.post(
        url("assessment-rate", draft),
        {"confirm": ",".join(map(str, essentials)), "client": "p", "seq": "1"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response.content.decode().count(">Confirmed<") == len(essentials)
    assert not draft.ratings.filter(competence_id__in=essentials, carried=True).exists()
    assert draft.ratings.filter(carried=True).count() == 6 - len(essentials)


def test_without_javascript_the_confirm_button_posts_the_form_and_confirms(
    alice, alice_client, earlier
):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    cid = ids_of(draft.occupation)[0]

    response = alice_client.post(url("assessment-rate", draft), {"confirm": str(cid)}, follow=True)

    assert "Confirmed 1 as still accurate." in response.content.decode()
    assert not draft.ratings.get(competence_id=cid).carried


@pytest.mark.parametrize(
    ("confirm", "status"),
    [("999999", 400), ("abc", 400), ("1,,2", 400), ("", 400)],
)
def test_a_tampered_confirm_is_refused_and_writes_nothing(
    alice, alice_client, earlier, confirm, status
):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    before = list(draft.ratings.values_list("competence_id", "carried", "rated_at"))

    response = alice_client.post(
        url("assessment-rate", draft), {"confirm": confirm, "client": "p", "seq": "1"}, headers=HTMX
    )

    assert response.status_code == status
    assert list(draft.ratings.values_list("competence_id", "carried", "rated_at")) == before


def test_no_one_confirms_someone_elses_draft_or_a_submitted_one(
    alice, alice_client, bob_client, earlier
):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    cid = ids_of(draft.occupation)[0]
    before = list(draft.ratings.values_list("competence_id", "carried", "rated_at"))

    assert bob_client.post(url("assessment-rate", draft), {"confirm": str(cid)}).status_code == 404
    alice_client.force_login(alice)
    submitted = alice_client.post(url("assessment-rate", earlier), {"confirm": str(cid)})

    assert submitted.status_code == 409
    assert list(draft.ratings.values_list("competence_id", "carried", "rated_at")) == before
    assert earlier.ratings.filter(carried=True).count() == 0


def test_the_submit_page_lists_what_is_unconfirmed_and_confirms_the_rest(
    alice, alice_client, earlier
):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    cid = ids_of(draft.occupation)[0]
    alice_client.post(url("assessment-rate", draft), {"confirm": str(cid)})

    html = alice_client.get(url("assessment-submit", draft)).content.decode()

    assert "5 carried-over ratings neither changed nor confirmed" in html
    links = re.findall(rf'href="{url("assessment-rate", draft)}\?step=\d+#competence-', html)
    assert len(links) == 5
    response = alice_client.post(url("assessment-submit", draft), {"confirm": "rest"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert not draft.is_draft
    assert not draft.ratings.filter(carried=True).exists()


def test_stale_ratings_are_named_in_the_report_and_come_first_in_the_next_draft(
    alice, alice_client, six, settings
):
    settings.STALE_AFTER_MONTHS = 12
    earlier = submit(alice, six, LEVELS, days_ago=30)
    ids = ids_of(six)
    thirteen_months = timezone.now() - timedelta(days=396)
    Rating.objects.filter(assessment=earlier, competence_id=ids[4]).update(rated_at=thirteen_months)

    report = alice_client.get(url("assessment-report", earlier)).content.decode()
    assert "Ratings to refresh" in report
    assert (
        f"CARRY competence 004: rated {months_since(thirteen_months, timezone.now())} months ago"
        in report
    )

    draft = assessment_start(user=alice, occupation=six)
    html = page(alice_client, draft)
    assert "rated 13 months ago" in html
    # Competence 004 is an optional skill; in its section it comes before the others.
    optional = html[html.index(": Optional skills <span") :]
    first = optional.index("<legend>")
    assert optional[first : first + 40].startswith("<legend>CARRY competence 004")


def test_staleness_counts_whole_months_and_follows_the_setting(settings):
    settings.STALE_AFTER_MONTHS = 12
    now = datetime(2027, 3, 31, 12, tzinfo=timezone.UTC)
    assert stale_before(now) == datetime(2026, 3, 31, 12, tzinfo=timezone.UTC)
    assert months_since(datetime(2026, 1, 31, tzinfo=timezone.UTC), now) == 14
    assert months_since(datetime(2026, 2, 28, 13, tzinfo=timezone.UTC), now) == 13
    settings.STALE_AFTER_MONTHS = 1
    assert stale_before(now) == datetime(2027, 2, 28, 12, tzinfo=timezone.UTC)  # no 31 Feb


@pytest.mark.parametrize("htmx", [False, True])
def test_carried_pages_make_as_many_queries_for_20_as_for_300_competences(
    alice, alice_client, make_profile, htmx
):
    counts = {}
    for size in (20, 300):
        occupation = make_profile(size)
        submit(alice, occupation, [(i % 5) for i in range(size)])
        draft = assessment_start(user=alice, occupation=occupation)
        headers = HTMX if htmx else {}
        with CaptureQueriesContext(connection) as rating_page:
            assert (
                alice_client.get(url("assessment-rate", draft), headers=headers).status_code == 200
            )
        with CaptureQueriesContext(connection) as submit_page:
            assert alice_client.get(url("assessment-submit", draft)).status_code == 200
        counts[size] = (len(rating_page), len(submit_page))
    assert counts[20] == counts[300]


def test_starting_a_carried_draft_makes_the_same_queries_for_20_and_300(alice, make_profile):
    counts = {}
    for size in (20, 300):
        occupation = make_profile(size)
        submit(alice, occupation, [(i % 5) for i in range(size)])
        with CaptureQueriesContext(connection) as queries:
            assessment_start(user=alice, occupation=occupation)
        counts[size] = len(queries)
    assert counts[20] == counts[300]


def test_the_plain_form_as_rendered_sets_anew_only_what_changed(alice, alice_client, earlier):
    """The form posts every radio; only a level that changed stops being carried."""
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    ids = ids_of(draft.occupation)
    html = page(alice_client, draft)
    form = {  # every checked radio, as a browser posts the form
        f"c-{cid}": value
        for cid in ids
        for value in re.findall(rf'name="c-{cid}" value="([^"]+)"[^>]*checked', html)
    }
    assert len(form) == 6
    form[f"c-{ids[0]}"] = "4"  # was 0
    before = dict(draft.ratings.values_list("competence_id", "rated_at"))

    alice_client.post(url("assessment-rate", draft), {**form, "confirm": str(ids[1])})

    after = {r.competence_id: r for r in draft.ratings.all()}
    assert {cid for cid, r in after.items() if not r.carried} == {ids[0], ids[1]}
    assert {cid for cid, r in after.items() if r.rated_at != before[cid]} == {ids[0], ids[1]}


def test_an_autosave_of_the_evidence_alone_leaves_a_carried_rating_carried(
    alice, alice_client, earlier
):
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    cid = ids_of(draft.occupation)[2]  # carried at 2; the fieldset posts its radio too
    data = {f"c-{cid}": "2", f"c-{cid}-evidence": "led the move", "client": "p", "seq": "1"}

    assert alice_client.post(url("assessment-rate", draft), data, headers=HTMX).status_code == 200

    rating = draft.ratings.get(competence_id=cid)
    assert (rating.evidence, rating.carried) == ("led the move", True)


def test_carried_history_rows_hold_every_field_of_their_rating(alice, earlier):
    """The carry-over writes its history entries in SQL: they must match the ratings as
    simple-history would record them, field by field."""
    draft = assessment_start(user=alice, occupation=earlier.occupation)
    for rating in draft.ratings.all():
        entry = Rating.history.get(assessment_id=draft.pk, competence_id=rating.competence_id)
        for field in Rating._meta.concrete_fields:
            assert getattr(entry, field.attname) == getattr(rating, field.attname), field.name
