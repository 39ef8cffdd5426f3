"""The gap report: headline figures, gaps, chart, comparison, career match, resources."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import reports, scoring
from assessments.models import Assessment, LearningResource, Rating
from assessments.services import assessment_start
from taxonomy.models import Competence, Occupation, Requirement
from tests.assessments.conftest import rate, rate_all, submitted, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def six(make_profile):
    """Six lines: 0 and 3 essential (target 3, weight 2), the rest optional (2, 1)."""
    occupation = make_profile(6)
    ids = list(
        occupation.requirements.order_by("competence__title").values_list(
            "competence_id", flat=True
        )
    )
    return occupation, ids


@pytest.fixture
def six_report(alice, six):
    occupation, ids = six
    # 0: 3 met; 3: 1 (gap 2); 1: 2 met; 2: don't know (gap 2); 4: 4 above; 5: unrated (gap 2)
    return submitted(alice, occupation, {ids[0]: 3, ids[3]: 1, ids[1]: 2, ids[2]: None, ids[4]: 4})


def test_the_headline_figures_follow_the_formulas(alice_client, six_report):
    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    # (2*3 + 2*1 + 1*2 + 1*0 + 1*2 + 1*0) / (2*3 + 2*3 + 1*2 * 4) = 12 / 20
    assert 'data-testid="readiness">60%<' in html
    assert 'data-testid="essentials-met">1 of 2<' in html
    assert ">1 essential gap<" in html


def test_gaps_are_listed_essential_first_with_their_arithmetic(alice_client, six_report):
    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    gaps = html[html.index('id="gaps-heading"') : html.index('id="strengths-heading"')]
    titles = re.findall(r"<h3>(T-6 competence \d+)", gaps)
    assert titles == ["T-6 competence 003", "T-6 competence 002", "T-6 competence 005"]
    assert (
        "Target 3 Proficient − self 1 Aware = gap <strong>2</strong>; "
        "weight 2 × gap 2 = <strong>4</strong>" in gaps
    )
    # One name for each state (RatingState): "Unknown (0)" once stood for both.
    assert "self Don&#x27;t know (0) = gap <strong>2</strong>" in gaps
    assert "self Not rated (0) = gap <strong>2</strong>" in gaps
    strengths = html[html.index('id="strengths-heading"') : html.index('id="breakdown-heading"')]
    assert "T-6 competence 004: self 4 Expert, target 2 Practitioner" in strengths


def test_the_chart_is_an_svg_with_a_text_alternative(alice_client, six_report):
    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    assert re.search(r'<svg [^>]*role="img" aria-labelledby="chart-title chart-desc"', html)
    # Essential knowledge is competence 3 only (odd index): target 3, self 1.
    assert "Essential knowledge: target 3.0, self 1.0." in html
    assert "Essential skills: target 3.0, self 3.0." in html
    assert ">target 3.0</text>" in html and ">self 1.0</text>" in html
    assert "<caption>The chart's figures</caption>" in html


def test_the_breakdowns_cover_kind_and_reuse_level(alice_client, six_report):
    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    breakdowns = html[html.index('id="breakdown-heading"') : html.index('id="compare-heading"')]
    assert "<caption>By kind</caption>" in breakdowns
    assert "<caption>By reuse level</caption>" in breakdowns
    # Knowledge: 1 (2 met), 3 (1 of 3), 5 (unrated): (2 + 2*1 + 0) / (2 + 6 + 2) = 40 %
    assert re.search(r"<th scope=\"row\">Knowledge</th>.*?>3<.*?>1<.*?>4<.*?>40%", breakdowns)


def test_learning_resources_are_listed_under_the_gaps_they_address(alice_client, six, six_report):
    _, ids = six
    resource = LearningResource.objects.create(
        title="Networking basics <course>", url="https://example.org/net", kind="course"
    )
    resource.competences.add(ids[3], ids[0])  # 0 is met: not listed there

    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    assert html.count("Networking basics &lt;course&gt;") == 1
    assert 'href="https://example.org/net"' in html


@pytest.mark.parametrize(
    "address",
    ["javascript:alert(document.cookie)", "JavaScript:alert(1)", " javascript:x", "data:,x"],
)
def test_a_learning_resource_address_that_is_not_http_is_shown_as_no_link(
    alice_client, six, six_report, address
):
    # As an import or an admin before their checks could leave it.
    _, ids = six
    resource = LearningResource.objects.create(title="Click me", url=address, kind="course")
    resource.competences.add(ids[3])

    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    assert "Click me" in html
    assert address.strip()[:10] not in html


def test_the_report_compares_with_the_previous_submission(alice, alice_client, six):
    occupation, ids = six
    earlier = submitted(alice, occupation, {ids[0]: 1, ids[3]: 1, ids[1]: 2})
    Assessment.objects.filter(pk=earlier.pk).update(
        submitted_at=timezone.now() - timedelta(days=30)
    )
    later = submitted(alice, occupation, {ids[0]: 3, ids[3]: 1, ids[1]: 1})

    html = alice_client.get(url("assessment-report", later)).content.decode()

    # earlier: (2 + 2 + 2) / 20 = 30 %, later (6 + 2 + 1) / 20 = 45 %
    assert "readiness 30% → 45%" in html
    assert "+15 points since" in html
    assert "essentials met 0 → 1" in html
    changes = html[html.index("Competences whose level changed") :]
    assert re.search(
        r"T-6 competence 000</th><td[^>]*>1 Aware</td><td[^>]*>3 Proficient</td>"
        r"<td[^>]*>\+2</td>",
        changes,
    )
    assert re.search(r"T-6 competence 001</th>.*?−1</td>", changes)
    assert "T-6 competence 003</th>" not in changes

    first = alice_client.get(url("assessment-report", earlier)).content.decode()
    assert "This is your first submitted assessment for this occupation" in first


def test_career_match_scores_other_occupations_sharing_competences(
    alice, alice_client, six, six_report, make_profile
):
    _, ids = six
    other = make_profile(2, code="OTHER")
    # OTHER shares competence 3 (rated 1) and 4 (rated 4), each target 2 weight 1.
    other.requirements.all().delete()
    for cid in (ids[3], ids[4]):
        Requirement.objects.create(
            occupation=other, competence_id=cid, relation="optional", target_level=2, weight=1
        )
    Occupation.objects.filter(pk=other.pk).summarise_profiles()  # as every profile writer does

    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    matches = html[html.index('id="matches-heading"') :]
    # (1*1 + 1*2) / (2 + 2) = 75 %, both lines rated
    assert re.search(r'href="/occupations/OTHER/">Test occupation OTHER</a>.*?75%.*?100%', matches)


def test_career_matches_are_the_readiness_of_the_whole_profile_from_the_latest_levels(
    alice, six, six_report
):
    """The database sums what each profile shares with the person's ratings; the figures
    are those readiness() gives over the whole profile with the latest level of each
    competence, exactly (weights of two places, a half that rounds up)."""
    occupation, ids = six
    # A later answer of two competences, in another draft: 3 becomes 3, 0 becomes "Don't know".
    later = assessment_start(user=alice, occupation=make_other([ids[0], ids[3]], code="LATER"))
    rate(later, {ids[3]: 3, ids[0]: None})
    Rating.objects.filter(assessment=later).update(updated_at=timezone.now() + timedelta(days=1))
    unrated = Competence.objects.create(title="Never rated", kind="skill")
    weights = {ids[0]: "0.33", ids[3]: "1.25", ids[4]: "2.50", unrated.pk: "0.07"}
    targets = {ids[0]: 3, ids[3]: 4, ids[4]: 2, unrated.pk: 1}
    other = make_other([], code="OTHER")
    Requirement.objects.bulk_create(
        Requirement(
            occupation=other,
            competence_id=cid,
            relation="optional",
            target_level=targets[cid],
            weight=Decimal(weight),
        )
        for cid, weight in weights.items()
    )
    Occupation.objects.filter(pk=other.pk).summarise_profiles()

    matches = {m.code: m.match for m in reports.gap_report(six_report).matches}

    latest = {ids[0]: None, ids[3]: 3, ids[4]: 4}
    whole = [
        scoring.Line(cid, "", "optional", targets[cid], Decimal(w), latest.get(cid))
        for cid, w in weights.items()
    ]
    # (0.33*0 + 1.25*3 + 2.50*2 + 0.07*0) / (0.99 + 5 + 5 + 0.07) = 8.75 / 11.06 = 79.1 %
    assert matches["OTHER"].readiness == scoring.percent(scoring.readiness(whole)) == 79
    assert matches["OTHER"].rated_share == 50  # 3 and 4 known; 0 "Don't know"; 1 unrated
    assert matches["OTHER"].shared == 3
    assert occupation.code not in matches  # the report's own occupation is no match


def make_other(competence_ids, code):
    other = Occupation.objects.create(code=code, title=f"Test occupation {code}")
    Requirement.objects.bulk_create(
        Requirement(
            occupation=other, competence_id=cid, relation="optional", target_level=2, weight=1
        )
        for cid in competence_ids
    )
    Occupation.objects.filter(pk=other.pk).summarise_profiles()
    return other


@pytest.mark.parametrize("code", ["Z", "x..y", "Z-", "1.", "A-1.0-b.C-2.d-3.e-4f"])
def test_the_career_matches_link_every_shape_of_code(alice_client, six, six_report, code):
    # An occupation coded "a/b" made every report that listed it answer 500; the model now
    # takes only codes that make an address, and every one of them does.
    _, ids = six
    other = Occupation.objects.create(code=code, title="Edge")
    Requirement.objects.create(
        occupation=other, competence_id=ids[3], relation="optional", target_level=2, weight=1
    )
    Occupation.objects.filter(pk=other.pk).summarise_profiles()  # as every profile writer does

    response = alice_client.get(url("assessment-report", six_report))

    assert response.status_code == 200
    assert f'href="/occupations/{code}/">Edge</a>' in response.content.decode()


def test_a_draft_report_is_a_preview_of_the_live_profile(alice_client, draft):
    rate_all(draft, lambda r: 4)

    html = alice_client.get(url("assessment-report", draft)).content.decode()

    assert "Preview of a draft" in html
    assert 'data-testid="readiness">100%<' in html
    assert ">Ready<" in html


def test_user_text_is_shown_as_text_in_the_page_and_the_chart(alice, alice_client, make_profile):
    occupation = make_profile(2, code="XSS")
    Competence.objects.filter(requirements__occupation=occupation).update(
        title='<script>alert("x")</script>'
    )
    occupation.title = "<img src=x onerror=alert(1)>"
    occupation.save()
    assessment = submitted(
        alice, occupation, {r.competence_id: 0 for r in occupation.requirements.all()}
    )

    html = alice_client.get(url("assessment-report", assessment)).content.decode()

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_someone_elses_report_is_a_404(bob_client, six_report):
    assert bob_client.get(url("assessment-report", six_report)).status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_report_queries_do_not_grow_with_the_profile(alice, alice_client, make_profile, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    base = make_profile(5, code="BASE")  # a career match for both sizes
    submitted(alice, base, {r.competence_id: 2 for r in base.requirements.all()})
    counts = []
    for size in (20, 300):
        occupation = make_profile(size)
        requirements = list(occupation.requirements.all())
        earlier = submitted(alice, occupation, {r.competence_id: 1 for r in requirements})
        Assessment.objects.filter(pk=earlier.pk).update(
            submitted_at=timezone.now() - timedelta(days=1)
        )
        later = submitted(alice, occupation, {r.competence_id: 2 for r in requirements})
        resource = LearningResource.objects.create(title="R", url=f"https://example.org/{size}")
        resource.competences.add(*[r.competence_id for r in requirements])
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(url("assessment-report", later), headers=headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Since your previous assessment" in html and "Test occupation BASE" in html
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 16


def test_the_readiness_of_the_real_technician_profile(alice, alice_client, technician_occupation):
    requirements = list(technician_occupation.requirements.all())
    levels = {r.competence_id: (i * 7) % 5 for i, r in enumerate(requirements)}
    assessment = submitted(alice, technician_occupation, levels)

    html = alice_client.get(url("assessment-report", assessment)).content.decode()

    reached = sum(r.weight * min(levels[r.competence_id], r.target_level) for r in requirements)
    wanted = sum(r.weight * r.target_level for r in requirements)
    share = Fraction(reached) / Fraction(wanted) * 100
    expected = int(share + Fraction(1, 2))
    met = sum(
        levels[r.competence_id] >= r.target_level for r in requirements if r.relation == "essential"
    )
    assert f'data-testid="readiness">{expected}%<' in html
    assert f'data-testid="essentials-met">{met} of 23<' in html


def test_the_report_leads_with_the_gaps_to_close_first_and_what_each_adds(alice_client, six_report):
    html = alice_client.get(url("assessment-report", six_report)).content.decode()

    first = html[html.index('id="gaps-heading"') : html.index('id="chart-heading"')]
    assert "Close these first <span" in first
    # Competence 003: essential, weight 2 × gap 2 of Σ weight × target 20: 20 points.
    assert re.search(
        r"T-6 competence 003.*?closing it adds <strong>20 points</strong>", first, re.S
    )
    assert "<summary>How this is worked out" in first  # the arithmetic one click away
    assert html.index('id="gaps-heading"') < html.index('id="chart-heading"')


def test_beyond_the_first_five_the_gaps_are_listed_after_the_chart(
    alice, alice_client, make_profile
):
    occupation = make_profile(9)
    assessment = assessment_start(user=alice, occupation=occupation)

    html = alice_client.get(url("assessment-report", assessment)).content.decode()

    first = html[html.index('id="gaps-heading"') : html.index('id="chart-heading"')]
    other = html[html.index('id="other-gaps-heading"') : html.index('id="strengths-heading"')]
    assert len(re.findall(r"<h3>", first)) == 5
    assert len(re.findall(r"<h3>", other)) == 4
    assert '<ol class="gap-list" start="6">' in other


def test_markup_in_a_competence_title_is_shown_as_text_in_its_gap(alice, alice_client, six):
    # The gaps are built in Python (the gap_items tag): every value escaped there.
    occupation, ids = six
    Competence.objects.filter(pk=ids[3]).update(title='<b>"Bold"</b> & co')
    report = submitted(alice, occupation, {ids[0]: 3, ids[3]: 1})

    html = alice_client.get(url("assessment-report", report)).content.decode()

    gaps = html[html.index('id="gaps-heading"') : html.index('id="strengths-heading"')]
    assert "<b>" not in gaps
    assert "<h3>&lt;b&gt;&quot;Bold&quot;&lt;/b&gt; &amp; co <span" in gaps
