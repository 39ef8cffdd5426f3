"""Browsing the taxonomy: search, occupation and group pages, the profile download."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from hypothesis import given
from hypothesis import strategies as st

from taxonomy import views
from taxonomy.models import Competence, Occupation, OccupationGroup, Requirement
from taxonomy.tabular import OCCUPATION_CODE

pytestmark = pytest.mark.django_db

LIST = reverse("taxonomy:occupation-list")


def detail(code: str) -> str:
    return reverse("taxonomy:occupation-detail", args=[code])


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (LIST, detail("3512.4"), reverse("taxonomy:group-detail", args=["3512"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_about_page_is_public_and_shows_the_attribution_lines(client):
    response = client.get(reverse("taxonomy:about"))

    text = response.content.decode()
    assert "ESCO v1.1.1 © European Union" in text
    assert "used under the <a" in text and "CC BY 4.0</a> license" in text
    assert "ISCO-08 © International Labour Organization." in text
    assert "Practitioner" in text  # the proficiency scale


def test_search_finds_occupations_by_title_alternative_label_and_code(alice_client):
    by_title = alice_client.get(LIST, {"q": "help desk"}).content.decode()
    by_label = alice_client.get(LIST, {"q": "IT officer"}).content.decode()
    by_code = alice_client.get(LIST, {"q": "15-1232"}).content.decode()
    by_group = alice_client.get(LIST, {"q": "3513"}).content.decode()

    assert "ICT help desk agent" in by_title
    assert "ICT technician" in by_label
    assert "Computer User Support Specialists" in by_code
    assert "ICT network technician" in by_group


@pytest.mark.parametrize("q", ["help desk", "service desk", "IT support", "helpdesk"])
def test_the_words_an_ict_team_uses_find_the_ict_technician(alice_client, q):
    found = alice_client.get(LIST, {"q": q}).context["table"].data.data
    assert "3512.4" in {o.code for o in found}


def test_it_is_a_word_of_its_own_not_a_part_of_others(alice_client):
    found = {o.code for o in alice_client.get(LIST, {"q": "it"}).context["table"].data.data}
    assert "3512.4" in found  # "ICT technician", "IT technician"
    assert "3511.1" not in found  # "data centre operator": "it" only inside words there


def test_a_partial_word_finds_what_it_begins(alice_client):
    found = {o.code for o in alice_client.get(LIST, {"q": "netw tech"}).context["table"].data.data}
    assert "3513.2" in found


def test_an_htmx_search_returns_only_the_results_fragment(alice_client):
    response = alice_client.get(LIST, {"q": "webmaster"}, headers={"HX-Request": "true"})

    text = response.content.decode()
    assert text.lstrip().startswith('<section id="results"')
    assert "<html" not in text
    assert "webmaster" in text.lower()


def test_the_full_page_carries_the_live_search_and_works_without_javascript(alice_client):
    text = alice_client.get(LIST, {"q": "webmaster"}).content.decode()

    assert "<html" in text
    assert 'hx-get="/occupations/"' in text
    assert '<form method="get" action="/occupations/"' in text
    assert "1 occupation matching “webmaster”." in text


@pytest.mark.parametrize(
    "q",
    ["'; DROP TABLE taxonomy_occupation; --", "%", "_", "<script>alert(1)</script>", "😀" * 300],
)
def test_search_accepts_any_string_and_shows_it_as_text(alice_client, q):
    response = alice_client.get(LIST, {"q": q})

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert Occupation.objects.filter(code="3512.4").exists()


def test_an_unknown_sort_column_or_page_is_not_an_error(alice_client):
    assert alice_client.get(LIST, {"sort": "nonsense", "page": "999"}).status_code in (200, 404)
    assert alice_client.get(LIST, {"page": "abc"}).status_code in (200, 404)


def test_the_search_runs_the_same_number_of_queries_for_few_and_many_results(alice_client):
    def count(q: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(LIST, {"q": q}).status_code == 200
        return len(queries)

    few = count("webmaster")
    Occupation.objects.bulk_create(
        Occupation(code=f"9{i:03}.1", title=f"Webmaster clone {i}") for i in range(200)
    )
    assert count("webmaster") == few


def test_the_occupation_page_shows_group_crosswalk_codes_and_grouped_profile(alice_client):
    response = alice_client.get(detail("3512.4"))

    text = response.content.decode()
    assert "<h1>ICT technician" in text
    assert "3512 Information and communications technology user support technicians" in text
    assert "15-1151" in text and "15-1232.00" in text
    assert "80 competences." in text
    sections = response.context["sections"]
    assert [relation for relation, _ in sections] == ["Essential", "Optional"]
    counts = {(relation, kind): len(lines) for relation, kinds in sections for kind, lines in kinds}
    assert counts == {
        ("Essential", "Knowledge"): 7,
        ("Essential", "Skills"): 16,
        ("Optional", "Knowledge"): 50,
        ("Optional", "Skills"): 7,
    }


def test_an_onet_occupation_shows_its_isco_group_and_older_codes(alice_client):
    text = alice_client.get(detail("15-1232.00")).content.decode()

    assert "3512 Information and communications technology user support technicians" in text
    assert "15-1151.00" in text  # O*NET-SOC 2010
    assert "15-1232" in text  # SOC 2018


def test_an_occupation_without_a_profile_says_so(alice_client):
    text = alice_client.get(detail("15-1111")).content.decode()

    assert "has no competence profile yet" in text


def test_an_unknown_occupation_is_404(alice_client):
    assert alice_client.get(detail("0000.0")).status_code == 404
    assert alice_client.get(reverse("taxonomy:group-detail", args=["0"])).status_code == 404


def test_the_occupation_page_query_count_does_not_grow_with_the_profile(alice_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(detail("3512.4")).status_code == 200
        return len(queries)

    before = count()
    occupation = Occupation.objects.get(code="3512.4")
    extra = Competence.objects.bulk_create(
        Competence(title=f"extra {i}", kind="skill") for i in range(220)
    )
    Requirement.objects.bulk_create(
        Requirement(
            occupation=occupation, competence=c, relation="optional", target_level=2, weight=1
        )
        for c in extra
    )
    assert count() == before


def test_labels_are_shown_as_text_not_html(alice_client):
    occupation = Occupation.objects.get(code="3512.4")
    Competence.objects.filter(requirements__occupation=occupation, title="R").update(
        title="<img src=x onerror=alert(1)>"
    )

    text = alice_client.get(detail("3512.4")).content.decode()

    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_the_profile_downloads_as_csv(alice_client):
    response = alice_client.get(reverse("taxonomy:occupation-profile-csv", args=["3512.4"]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="profile-3512.4.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 80
    assert sum(row["relation"] == "essential" for row in rows) == 23
    assert sum(row["kind"] == "knowledge" for row in rows) == 57
    digital = next(row for row in rows if row["competence"] == "digital systems")
    assert digital == {
        "competence_uri": "",
        "competence": "digital systems",
        "kind": "knowledge",
        "reuse_level": "cross-sector",
        "relation": "essential",
        "target_level": "3",
        "weight": "2",
    }


# What a spreadsheet would run: a formula, arithmetic, a function call, and the tab and
# carriage return that some read past before a formula.
FORMULAS = ['=HYPERLINK("http://evil.example/","x")', "-2+3", "+1", "@SUM(A1)", "\t=1", "\r=1"]


def hostile_profile_line(formula: str) -> None:
    """Every text cell of one line of the 3512.4 profile holds `formula`, as an admin or an
    import before their checks could leave it."""
    line = Requirement.objects.get(occupation__code="3512.4", competence__title="R")
    Competence.objects.filter(pk=line.competence_id).update(
        uri=formula, title=formula, kind=formula[:10], reuse_level=formula[:20]
    )
    Requirement.objects.filter(pk=line.pk).update(relation=formula[:10])


def neutralised_row(text: str, formula: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    [row] = [row for row in rows if formula in row[1]]
    return row[:5]


@pytest.mark.parametrize("formula", FORMULAS)
def test_every_text_cell_of_the_profile_download_is_neutralised(alice_client, formula):
    hostile_profile_line(formula)

    response = alice_client.get(reverse("taxonomy:occupation-profile-csv", args=["3512.4"]))

    quoted = "'" + formula
    assert neutralised_row(response.content.decode(), formula) == [
        quoted,
        quoted,
        quoted[:11],
        quoted[:21],
        quoted[:11],
    ]


def test_a_carriage_return_inside_a_title_starts_no_row_of_its_own(alice_client):
    Competence.objects.filter(title="R").update(title="R\r=1+2")

    response = alice_client.get(reverse("taxonomy:occupation-profile-csv", args=["3512.4"]))

    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert ["=1+2"] not in [row[:1] for row in rows]
    assert "R\r=1+2" in [row[1] for row in rows]


def test_the_profile_download_has_a_safe_filename_and_no_shared_cache_keeps_it(
    alice_client, monkeypatch
):
    # A code that ends the filename and adds a parameter: Chromium saved "profile-q1.html".
    # The database no longer stores such a code; the download stays safe should one arrive.
    occupation = Occupation.objects.get(code="3512.4")
    occupation.code = 'q1.html";x='
    monkeypatch.setattr(views, "get_object_or_404", lambda *args, **kwargs: occupation)

    response = alice_client.get(reverse("taxonomy:occupation-profile-csv", args=["3512.4"]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="profile-q1.htmlx.csv"'
    assert response["Cache-Control"] == "private, no-store"


def test_a_formula_like_title_is_neutralised_in_the_csv(alice_client):
    Competence.objects.filter(title="R").update(title="=HYPERLINK(1)")

    response = alice_client.get(reverse("taxonomy:occupation-profile-csv", args=["3512.4"]))

    assert ",'=HYPERLINK(1)," in response.content.decode()


@pytest.mark.parametrize(
    "uri", ["javascript:alert(document.cookie)", "JAVASCRIPT:x", "data:text/html,x", "ftp://x/y"]
)
def test_an_occupation_uri_that_is_not_http_is_shown_as_no_link(alice_client, uri):
    # As an import or an admin before their checks could leave it.
    Occupation.objects.filter(code="3512.4").update(uri=uri)

    text = alice_client.get(detail("3512.4")).content.decode()

    assert f"<dd>{uri}</dd>" in text
    assert f'href="{uri}' not in text


def test_an_occupation_uri_is_a_link(alice_client):
    uri = Occupation.objects.get(code="3512.4").uri

    assert f'<a href="{uri}">{uri}</a>' in alice_client.get(detail("3512.4")).content.decode()


def test_the_group_page_lists_tasks_examples_related_and_occupations(alice_client):
    text = alice_client.get(reverse("taxonomy:group-detail", args=["3513"])).content.decode()

    assert "operating, maintaining and troubleshooting network systems" in text
    assert "Network support technician" in text
    assert "Network administrator – 2522" in text
    assert "ICT network technician" in text


def test_the_default_data_has_the_specified_counts():
    technician = Occupation.objects.get(code="3512.4")
    lines = technician.requirements.select_related("competence")
    assert lines.count() == 80
    assert lines.filter(relation="essential").count() == 23
    assert lines.filter(competence__kind="knowledge").count() == 57
    assert lines.filter(competence__kind="skill").count() == 23
    assert Occupation.objects.filter(group__code__startswith="351", source="esco").count() == 8
    assert Occupation.objects.filter(source="soc").count() == 13
    assert Occupation.objects.get(code="15-1231.00").requirements.exists()
    assert Occupation.objects.get(code="15-1151").group.code == "3512"


# The shapes of code the data model accepts: one character, dots and hyphens anywhere after
# the first, the longest a code may be.
EDGE_CODES = ["Z", "9", "a.b-c", "x..y", "Z-", "1.", "A-1.0-b.C-2.d-3.e-4f"]


@pytest.mark.parametrize("code", ["3512/9", "../x", ".x", "", "a b", 'q1.html";x=', "٣", "x\n"])
def test_the_database_refuses_an_occupation_code_that_cannot_be_part_of_an_address(code):
    with pytest.raises(IntegrityError, match="occupation_code_format"), transaction.atomic():
        Occupation.objects.create(code=code, title="x")


@pytest.mark.parametrize("code", ["35/1", "٣", "1a", "1.2", "", "1\n"])
def test_the_database_refuses_an_isco_code_of_anything_but_1_to_4_ascii_digits(code):
    with pytest.raises(IntegrityError, match="occupationgroup_code_format"), transaction.atomic():
        OccupationGroup.objects.create(code=code, level=4, title="x")


def test_every_page_that_lists_codes_answers_for_every_shape_of_code(alice_client):
    group = OccupationGroup.objects.get(code="3512")
    for code in EDGE_CODES:
        Occupation.objects.create(code=code, title=f"Edge {code}", group=group)

    pages = [
        LIST,
        LIST + "?q=Edge",
        LIST + "?q=3512",
        LIST + "?q=1",
        group.get_absolute_url(),
        *(detail(code) for code in EDGE_CODES),
        *(reverse("taxonomy:occupation-profile-csv", args=[code]) for code in EDGE_CODES),
    ]
    for page in pages:
        assert alice_client.get(page).status_code == 200, page
    assert all(
        f'href="{detail(code)}"' in alice_client.get(LIST + "?q=Edge").content.decode()
        for code in EDGE_CODES
    )


@given(st.from_regex(OCCUPATION_CODE).filter(lambda code: len(code) <= 20))
def test_every_code_the_model_accepts_makes_an_address_that_leads_back_to_it(code):
    for name in ("taxonomy:occupation-detail", "taxonomy:occupation-profile-csv"):
        assert resolve(reverse(name, args=[code])).kwargs == {"code": code}


def test_a_member_is_offered_the_occupation_their_team_assesses_them_against(alice, alice_client):
    from teams.models import Membership, Team

    team = Team.objects.create(
        name="Service <b>desk</b>", occupation=Occupation.objects.get(code="3512.4")
    )
    Membership.objects.create(team=team, user=alice)

    for url in (LIST, reverse("assessments:assessment-list")):
        html = alice_client.get(url).content.decode()
        assert "Your team Service &lt;b&gt;desk&lt;/b&gt; assesses you against" in html
        assert (
            f'<a href="{detail("3512.4")}"><strong>ICT technician</strong> — start here</a>' in html
        )


def test_an_occupation_without_a_profile_says_so_in_the_list(alice_client):
    Occupation.objects.create(code="9999.9", title="Zzz profile-less occupation")

    html = alice_client.get(LIST, {"q": "profile-less"}).content.decode()

    assert "No profile yet" in html


def test_each_cell_of_the_list_names_its_column_for_narrow_screens(alice_client):
    html = alice_client.get(LIST, {"q": "3512.4"}).content.decode()
    row = html[html.index("<tbody") :].split("</tr>")[0]

    labels = re.findall(r'<td[^>]* data-label="([^"]+)"', row)
    assert labels == ["Occupation", "Code", "ISCO group", "Essential", "Competences", "Source"]
