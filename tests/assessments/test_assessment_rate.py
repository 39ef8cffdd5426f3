"""The rating page: showing the profile, autosave through htmx, the plain form post."""

from __future__ import annotations

import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from assessments.models import Rating
from assessments.services import assessment_start
from tests.assessments.conftest import rate, rating_steps, url

pytestmark = pytest.mark.django_db


def competences(assessment) -> list[int]:
    return list(
        assessment.occupation.requirements.order_by("competence__title").values_list(
            "competence_id", flat=True
        )
    )


def page(seq: str, client: str = "page-a") -> dict[str, str]:
    """What an autosave of one rating page adds to its fields: the page's name and count."""
    return {"client": client, "seq": seq}


def stored(assessment) -> dict[int, tuple]:
    return {
        r.competence_id: (r.answered, r.level, r.confidence, r.evidence)
        for r in Rating.objects.filter(assessment=assessment)
    }


def test_the_steps_list_every_competence_once_as_a_radio_group(alice_client, draft):
    steps = rating_steps(alice_client, draft)

    legends = re.findall(r"<legend>([^<]+)</legend>", "".join(steps))
    assert len(legends) == len(set(legends)) == 80
    assert "ABAP" in legends
    for html in steps:
        assert html.count('<fieldset class="rating"') <= 20
        for name in ("None", "Aware", "Practitioner", "Proficient", "Expert", "Don't know"):
            assert f">{escape(name)}</label>" in html
        assert "0 of 80 rated" in html and "essentials 0 of 23" in html


def test_no_step_holds_more_than_250_controls_or_1500_elements(alice_client, draft):
    for html in rating_steps(alice_client, draft):
        controls = re.findall(r"<(input|select|textarea|button)\b", html)
        elements = re.findall(r"<[a-z][a-z0-9-]*\b", html)
        assert len(controls) <= 250
        assert len(elements) <= 1500


def test_the_steps_follow_the_sections_and_split_programming_languages_out(alice_client, draft):
    html = alice_client.get(url("assessment-rate", draft)).content.decode()

    labels = re.findall(r'<a href="[^"]*\?step=\d+"(?: aria-current="step")?>([^<]+)</a>', html)
    assert labels == [
        "Essential knowledge",
        "Essential skills",
        "Optional knowledge: computer programming (1 of 2)",
        "Optional knowledge: computer programming (2 of 2)",
        "Optional knowledge: other",
        "Optional skills",
    ]
    assert "Step 1 of 6: Essential knowledge" in html


def test_programming_languages_show_their_shared_description_once(alice_client, draft):
    html = alice_client.get(url("assessment-rate", draft), {"step": 3}).content.decode()

    assert "<strong>Each of these:</strong> The techniques and principles of software" in html
    assert html.count("The techniques and principles of software development") == 1


@pytest.mark.parametrize("step", ["0", "7", "x", "-1", "99999"])
def test_a_step_the_profile_does_not_have_is_a_404(alice_client, draft, step):
    response = alice_client.get(url("assessment-rate", draft), {"step": step})
    assert response.status_code == 404


def test_show_only_what_is_left_hides_the_rated_ones(alice_client, draft):
    html = alice_client.get(url("assessment-rate", draft)).content.decode()
    first = re.findall(r'<fieldset class="rating" id="competence-(\d+)"', html)
    rate(draft, {int(first[0]): 3})

    left = alice_client.get(url("assessment-rate", draft), {"step": 1, "left": 1})

    shown = re.findall(r'<fieldset class="rating" id="competence-(\d+)"', left.content.decode())
    assert shown == first[1:]
    assert f'href="{url("assessment-rate", draft)}?step=1">Show every competence' in (
        left.content.decode()
    )


def test_next_unrated_leads_to_the_first_competence_left_after_this_step(alice_client, draft):
    steps = rating_steps(alice_client, draft)
    second = re.findall(r'<fieldset class="rating" id="competence-(\d+)"', steps[1])
    rate(draft, {int(second[0]): 2})

    html = alice_client.get(url("assessment-rate", draft)).content.decode()

    assert f'?step=2#competence-{second[1]}">Next unrated:' in html


def test_next_saves_the_step_and_opens_the_following_one(alice_client, draft):
    html = alice_client.get(url("assessment-rate", draft)).content.decode()
    first = re.findall(r'<fieldset class="rating" id="competence-(\d+)"', html)

    response = alice_client.post(
        f"{url('assessment-rate', draft)}?step=1",
        {f"c-{first[0]}": "4", "next": "step-2"},
        follow=True,
    )

    assert response.redirect_chain == [(f"{url('assessment-rate', draft)}?step=2", 302)]
    assert "Step 2 of 6: Essential skills" in response.content.decode()
    assert stored(draft)[int(first[0])][1] == 4


@pytest.mark.parametrize("go_to", ["step-x", "step-", "3", "step-99999999", "elsewhere"])
def test_a_tampered_next_is_refused_and_writes_nothing(alice_client, draft, go_to):
    cid = competences(draft)[0]

    response = alice_client.post(url("assessment-rate", draft), {f"c-{cid}": "4", "next": go_to})

    assert response.status_code == 400
    assert stored(draft) == {}


def test_saved_ratings_come_back_checked(alice_client, draft):
    first, second, third = competences(draft)[:3]
    rate(draft, {first: 3, second: None})

    html = "".join(rating_steps(alice_client, draft))

    assert re.search(rf'name="c-{first}" value="3"[^>]*checked', html)
    assert re.search(rf'name="c-{second}" value="dk"[^>]*checked', html)
    assert not re.search(rf'name="c-{third}" value="[^"]*"[^>]*checked', html)
    assert "2 of 80 rated" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_the_page_renders_the_same_with_or_without_htmx(alice_client, draft, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = alice_client.get(url("assessment-rate", draft), headers=headers)
    assert response.status_code == 200
    assert response.content.decode().count('<fieldset class="rating"') == 7  # essential knowledge


def test_an_autosave_stores_one_rating_and_answers_with_its_status(alice_client, draft):
    competence = competences(draft)[0]

    response = alice_client.post(
        url("assessment-rate", draft),
        {f"c-{competence}": "2", f"c-{competence}-confidence": "high", **page("10")},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<span id="status-{competence}" class="save-status saved"' in html
    assert 'hx-swap-oob="true"' in html and "1 of 80 rated" in html
    assert stored(draft) == {competence: (True, 2, "high", "")}


def test_a_replayed_autosave_changes_nothing(alice_client, draft):
    competence = competences(draft)[0]
    data = {f"c-{competence}": "4", **page("10")}
    for _ in range(3):
        response = alice_client.post(
            url("assessment-rate", draft), data, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200

    assert Rating.objects.filter(assessment=draft).count() == 1
    assert stored(draft)[competence] == (True, 4, "", "")


def test_an_older_save_arriving_late_does_not_overwrite_a_newer_one(alice_client, draft):
    competence = competences(draft)[0]
    save = url("assessment-rate", draft)
    alice_client.post(save, {f"c-{competence}": "3", **page("200")}, headers={"HX-Request": "true"})
    late = alice_client.post(
        save, {f"c-{competence}": "1", **page("100")}, headers={"HX-Request": "true"}
    )

    assert stored(draft)[competence] == (True, 3, "", "")
    assert late.status_code == 409
    assert "Saved" not in late.content.decode()
    assert "a later change to this competence was saved first" in late.content.decode()


def test_a_save_from_a_clock_five_minutes_ahead_does_not_block_other_devices(alice_client, draft):
    """The red-team case: seq was the client's clock, so one fast clock froze a rating."""
    competence = competences(draft)[0]
    save = url("assessment-rate", draft)
    htmx = {"HX-Request": "true"}
    now_ms = int(time.time() * 1000)
    ahead = alice_client.post(
        save, {f"c-{competence}": "4", **page(str(now_ms + 300_000), "laptop")}, headers=htmx
    )
    assert ahead.status_code == 200 and stored(draft)[competence][1] == 4

    phone = alice_client.post(
        save, {f"c-{competence}": "2", **page(str(now_ms), "phone")}, headers=htmx
    )
    assert phone.status_code == 200 and "Saved" in phone.content.decode()
    assert stored(draft)[competence][1] == 2

    first_of_a_new_tab = alice_client.post(
        save, {f"c-{competence}": "1", **page("1", "new-tab")}, headers=htmx
    )
    assert first_of_a_new_tab.status_code == 200
    assert stored(draft)[competence][1] == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_a_field_name_with_a_trailing_newline_is_refused(alice_client, draft, htmx):
    """`c-1\n=2` once passed as c-1 and blanked the confidence and evidence."""
    cid = competences(draft)[0]
    alice_client.post(
        url("assessment-rate", draft),
        {f"c-{cid}": "1", f"c-{cid}-confidence": "high", f"c-{cid}-evidence": "ticket 7"},
    )
    headers = {"HX-Request": "true"} if htmx else {}

    response = alice_client.post(
        url("assessment-rate", draft),
        f"c-{cid}%0A=2",
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )

    assert response.status_code == 400
    assert "a field it does not have" in response.content.decode()
    assert stored(draft)[cid] == (True, 1, "high", "ticket 7")


def test_the_plain_form_post_is_stored_whatever_an_autosave_said_before(alice_client, draft):
    competence = competences(draft)[0]
    save = url("assessment-rate", draft)
    alice_client.post(
        save, {f"c-{competence}": "4", **page("9" * 15, "laptop")}, headers={"HX-Request": "true"}
    )

    response = alice_client.post(save, {f"c-{competence}": "0"}, follow=True)

    assert "Saved. 1 of 80 rated." in response.content.decode()
    assert stored(draft)[competence][1] == 0
    # The laptop's page goes on counting from where it was; its next save applies.
    after = alice_client.post(
        save, {f"c-{competence}": "3", **page("1", "laptop")}, headers={"HX-Request": "true"}
    )
    assert after.status_code == 200 and stored(draft)[competence][1] == 3


def test_a_note_without_a_level_keeps_the_level(alice_client, draft):
    competence = competences(draft)[0]
    rate(draft, {competence: 2})

    alice_client.post(
        url("assessment-rate", draft),
        {f"c-{competence}-evidence": "  Ran the <b>VPN</b> rollout  ", **page("99")},
        headers={"HX-Request": "true"},
    )

    assert stored(draft)[competence] == (True, 2, "", "Ran the <b>VPN</b> rollout")
    html = "".join(rating_steps(alice_client, draft))
    assert 'value="Ran the &lt;b&gt;VPN&lt;/b&gt; rollout"' in html


def test_a_note_before_any_level_is_kept_but_not_counted_as_rated(alice_client, draft):
    competence = competences(draft)[0]

    response = alice_client.post(
        url("assessment-rate", draft),
        {f"c-{competence}-confidence": "low", **page("5")},
        headers={"HX-Request": "true"},
    )

    assert "0 of 80 rated" in response.content.decode()
    assert stored(draft)[competence] == (False, None, "low", "")


def test_the_plain_form_post_saves_every_answer_and_redirects(alice_client, draft):
    ids = competences(draft)
    data = {f"c-{cid}": str(i % 5) for i, cid in enumerate(ids[:10])}
    data[f"c-{ids[10]}"] = "dk"
    data.update({f"c-{cid}-confidence": "" for cid in ids})
    data.update({f"c-{cid}-evidence": "" for cid in ids})

    response = alice_client.post(url("assessment-rate", draft), data, follow=True)

    assert response.redirect_chain == [(f"{url('assessment-rate', draft)}?step=1", 302)]
    assert "Saved. 11 of 80 rated." in response.content.decode()
    saved = stored(draft)
    assert {cid: saved[cid][1] for cid in ids[:11]} == {
        **{cid: i % 5 for i, cid in enumerate(ids[:10])},
        ids[10]: None,
    }
    assert sum(answered for answered, *_ in saved.values()) == 11


def test_save_and_review_goes_to_the_submit_page(alice_client, draft):
    competence = competences(draft)[0]
    response = alice_client.post(
        url("assessment-rate", draft), {f"c-{competence}": "1", "next": "submit"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("assessment-submit", draft)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("c-{other}", "2", "Not a competence of this profile"),
        ("c-{cid}", "5", "is not a level on the scale"),
        ("c-{cid}", "-1", "is not a level on the scale"),
        ("c-{cid}", "²", "is not a level on the scale"),
        ("c-{cid}", "three", "is not a level on the scale"),
        ("c-{cid}-confidence", "total", "is not a confidence"),
        ("c-{cid}-evidence", "x" * 501, "under 500 characters"),
        ("seq", "soon", "Bad sequence number"),
        ("seq", "1" * 16, "Bad sequence number"),
        ("client", "a b", "Bad client name"),
        ("client", "", "Bad client name"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_tampered_input_is_refused_and_writes_nothing(
    alice_client, draft, make_profile, field, value, message, htmx
):
    cid = competences(draft)[0]
    other = make_profile(3).requirements.first().competence_id
    rate(draft, {cid: 1})
    data = {f"c-{cid}": "2", **page("7"), field.format(cid=cid, other=other): value}
    headers = {"HX-Request": "true"} if htmx else {}

    response = alice_client.post(url("assessment-rate", draft), data, headers=headers)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert stored(draft) == {cid: (True, 1, "", "")}


def test_a_competence_given_twice_is_refused(alice_client, draft):
    cid = competences(draft)[0]
    response = alice_client.post(
        url("assessment-rate", draft),
        f"c-{cid}=1&c-{cid}=3",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert stored(draft) == {}


def test_an_autosave_must_speak_of_exactly_one_competence(alice_client, draft):
    first, second = competences(draft)[:2]
    response = alice_client.post(
        url("assessment-rate", draft),
        {f"c-{first}": "1", f"c-{second}": "2"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert stored(draft) == {}


def test_someone_elses_assessment_is_a_404_and_stays_untouched(bob_client, draft):
    cid = competences(draft)[0]
    assert bob_client.get(url("assessment-rate", draft)).status_code == 404
    response = bob_client.post(
        url("assessment-rate", draft), {f"c-{cid}": "4"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 404
    assert stored(draft) == {}


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    response = client.get(url("assessment-rate", draft))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_submitted_assessment_cannot_be_rated(alice_client, draft):
    cid = competences(draft)[0]
    rate(draft, {cid: 2})
    draft.status, draft.submitted_at = "submitted", draft.created_at
    draft.save()

    assert alice_client.get(url("assessment-rate", draft))["Location"] == url(
        "assessment-report", draft
    )
    response = alice_client.post(
        url("assessment-rate", draft), {f"c-{cid}": "4"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert stored(draft) == {cid: (True, 2, "", "")}


def test_every_post_needs_the_csrf_token(alice, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    cid = competences(draft)[0]

    refused = client.post(
        url("assessment-rate", draft), {f"c-{cid}": "3"}, headers={"HX-Request": "true"}
    )

    assert refused.status_code == 403
    assert stored(draft) == {}
    client.get(url("assessment-rate", draft))
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        url("assessment-rate", draft),
        {f"c-{cid}": "3"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert accepted.status_code == 200
    assert stored(draft)[cid][1] == 3


@pytest.mark.parametrize("htmx", [False, True])
def test_query_counts_do_not_grow_with_the_profile(alice, alice_client, make_profile, htmx):
    counts = {}
    for size in (20, 300):
        assessment = assessment_start(user=alice, occupation=make_profile(size))
        ids = competences(assessment)
        rate(assessment, {cid: 2 for cid in ids[: size // 2]})
        headers = {"HX-Request": "true"} if htmx else {}
        with CaptureQueriesContext(connection) as page:
            response = alice_client.get(url("assessment-rate", assessment), headers=headers)
        assert response.status_code == 200
        with CaptureQueriesContext(connection) as save:
            response = alice_client.post(
                url("assessment-rate", assessment), {f"c-{ids[-1]}": "3"}, headers=headers
            )
        assert response.status_code in (200, 302)
        counts[size] = (len(page), len(save))

    assert counts[20] == counts[300]
    page, save = counts[20]
    # session, user, assessment, profile, ratings, scale levels, the menu's "manages a team?",
    # and the session's new expiry (savepoint, update, release): idle sessions expire
    assert page == 10
    # the same five reads, the locked write (savepoints, lock, upsert, history, stamp),
    # progress, the session
    assert save <= 16


def test_markup_in_a_competence_is_shown_as_text_in_its_fieldset(alice, alice_client, make_profile):
    # The fieldsets are built in Python (rating_page.fieldset): every value escaped there.
    occupation = make_profile(3)
    competence = occupation.requirements.order_by("competence__title").first().competence
    competence.title = 'T-3 <b>"bold"</b>'
    competence.description = "Covers <script>x()</script>."
    competence.group = "<i>group</i>"
    competence.save()
    draft = assessment_start(user=alice, occupation=occupation)

    html = alice_client.get(url("assessment-rate", draft)).content.decode()

    assert "<b>" not in html and "<script>x" not in html and "<i>group" not in html
    assert "<legend>T-3 &lt;b&gt;&quot;bold&quot;&lt;/b&gt;</legend>" in html
    assert "Covers &lt;script&gt;x()&lt;/script&gt;." in html
    assert " · &lt;i&gt;group&lt;/i&gt;</p>" in html
