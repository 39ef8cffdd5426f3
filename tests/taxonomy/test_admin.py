from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taxonomy.models import (
    ISCO_CODE_MESSAGE,
    OCCUPATION_CODE_MESSAGE,
    Competence,
    CrosswalkPair,
    Occupation,
    OccupationGroup,
    ProficiencyScale,
    Release,
    Requirement,
)

TAXONOMY_MODELS = [
    Release,
    OccupationGroup,
    Occupation,
    Competence,
    Requirement,
    CrosswalkPair,
    ProficiencyScale,
]
TECHNICIAN_URI = "http://data.europa.eu/esco/occupation/3e7bf729-4442-4b9f-ad5e-83111963795c"
PHOTOSHOP_URI = "http://data.europa.eu/esco/skill/14ced458-5f4b-495f-bd3d-9c240614bda0"


def admin_url(model: type[Model], view: str, *args) -> str:
    return reverse(f"admin:taxonomy_{model._meta.model_name}_{view}", args=args)


class _FormFields(HTMLParser):
    """What a browser would submit for the fields of a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "reset"}:
            if a.get("type") not in {"checkbox", "radio"} or "checked" in a:
                self.data[name] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.data[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            # A select with nothing selected submits its first option.
            self.data.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def form_data(response) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(response.content.decode())
    data = {k: v for k, v in parser.data.items() if "__prefix__" not in k}
    # Browsers drop the newline that Django writes right after <textarea>.
    return {k: v.removeprefix("\r\n").removeprefix("\n") for k, v in data.items()}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def add_competences(count: int) -> list[Competence]:
    return Competence.objects.bulk_create(
        Competence(
            title=f"Bulk competence {n:03}",
            uri=f"https://example.com/skill/{n}",
            kind=Competence.Kind.UNKNOWN,
        )
        for n in range(count)
    )


def add_to_profile(occupation: Occupation, competences: list[Competence]) -> None:
    Requirement.objects.bulk_create(
        Requirement(
            occupation=occupation,
            competence=competence,
            relation=Requirement.Relation.OPTIONAL,
            target_level=2,
            weight=Decimal(1),
        )
        for competence in competences
    )


@pytest.fixture
def technician(db) -> Occupation:
    return Occupation.objects.get(code="3512.4")


def snapshot() -> dict[int, tuple[str, int, Decimal]]:
    return {
        pk: (relation, target, weight)
        for pk, relation, target, weight in Requirement.objects.values_list(
            "pk", "relation", "target_level", "weight"
        )
    }


# Pages


@pytest.mark.parametrize("model", TAXONOMY_MODELS)
def test_every_changelist_change_and_add_page_answers(admin_client, model):
    obj = model.objects.order_by("pk").first()

    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "add"),
    ):
        assert admin_client.get(url).status_code == 200, url


# Search


@pytest.mark.parametrize(
    ("model", "term", "expected"),
    [
        (Occupation, "data centre operator", {"data centre operator"}),
        (Occupation, '"IT officer"', {"ICT technician"}),
        (Occupation, "15-1232.00", {"Computer User Support Specialists"}),
        (Occupation, TECHNICIAN_URI, {"ICT technician"}),
        (Competence, "Apache Tomcat", {"Apache Tomcat"}),
        (Competence, "CA-Datacom/DB", {"CA Datacom/DB"}),
        (Competence, PHOTOSHOP_URI, {"Adobe Photoshop"}),
        (OccupationGroup, "3514", {"Web technicians"}),
    ],
)
def test_search_finds_records_by_title_alternative_label_code_and_uri(
    admin_client, model, term, expected
):
    response = admin_client.get(admin_url(model, "changelist"), {"q": term})

    assert {obj.title for obj in response.context["cl"].queryset} == expected


def test_requirement_search_finds_the_lines_of_a_competence_by_uri(admin_client):
    response = admin_client.get(admin_url(Requirement, "changelist"), {"q": PHOTOSHOP_URI})

    lines = response.context["cl"].queryset
    assert set(lines) == set(Requirement.objects.filter(competence__uri=PHOTOSHOP_URI))
    assert lines.exists()


# Filters


@pytest.mark.parametrize(
    ("model", "lookup", "value"),
    [
        (Competence, "kind", Competence.Kind.SKILL),
        (Competence, "reuse_level", Competence.ReuseLevel.CROSS_SECTOR),
        (Requirement, "relation", Requirement.Relation.ESSENTIAL),
        (Requirement, "competence__kind", Competence.Kind.KNOWLEDGE),
        (Requirement, "competence__reuse_level", Competence.ReuseLevel.SECTOR_SPECIFIC),
        (Occupation, "source", Occupation.Source.ONET),
        (OccupationGroup, "level", 4),
        (CrosswalkPair, "partial", True),
    ],
)
def test_a_choice_filter_lists_only_the_matching_records(admin_client, model, lookup, value):
    response = admin_client.get(admin_url(model, "changelist"), {f"{lookup}__exact": value})

    expected = model.objects.filter(**{lookup: value})
    assert 0 < expected.count() < model.objects.count()
    assert set(response.context["cl"].queryset) == set(expected)


@pytest.mark.parametrize("model", [OccupationGroup, Occupation, Competence, Requirement])
def test_the_release_filter_lists_only_that_releases_records(admin_client, model):
    release = model.objects.exclude(release=None).order_by("pk").first().release

    response = admin_client.get(admin_url(model, "changelist"), {"release__id__exact": release.pk})

    expected = model.objects.filter(release=release)
    assert expected.count() < model.objects.count()
    assert set(response.context["cl"].queryset) == set(expected)


@pytest.mark.parametrize(
    ("model", "lookup"), [(Occupation, "group"), (Requirement, "occupation__group")]
)
def test_the_isco_group_filter_lists_only_that_groups_records(admin_client, model, lookup):
    group = OccupationGroup.objects.get(code="3513")

    response = admin_client.get(admin_url(model, "changelist"), {f"{lookup}__id__exact": group.pk})

    expected = model.objects.filter(**{lookup: group})
    assert 0 < expected.count() < model.objects.count()
    assert set(response.context["cl"].queryset) == set(expected)


# Query counts: the same whether a page shows a few rows or many.


def test_the_occupation_changelist_makes_the_same_queries_for_many_rows(admin_client, technician):
    url = admin_url(Occupation, "changelist")
    count_queries(admin_client, url)  # warm per-process caches such as content types
    before = count_queries(admin_client, url)

    Occupation.objects.bulk_create(
        Occupation(code=f"LOCAL-{n}", title=f"Bulk occupation {n}", group=technician.group)
        for n in range(300)
    )
    add_to_profile(technician, add_competences(300))

    assert count_queries(admin_client, url) == before


@pytest.mark.parametrize(
    ("model", "kind"), [(Competence, "kind"), (Requirement, "competence__kind")]
)
def test_the_competence_and_requirement_changelists_make_the_same_queries_for_many_rows(
    admin_client, technician, model, kind
):
    # The shipped data has one competence of unknown kind, so the page grows from 1 row to 50.
    assert model.objects.filter(**{kind: Competence.Kind.UNKNOWN}).count() == 1
    url = f"{admin_url(model, 'changelist')}?{kind}__exact=unknown"
    count_queries(admin_client, url)
    before = count_queries(admin_client, url)

    add_to_profile(technician, add_competences(300))

    assert count_queries(admin_client, url) == before


def test_the_occupation_change_page_makes_the_same_queries_for_a_long_profile(
    admin_client, technician
):
    url = admin_url(Occupation, "change", technician.pk)
    count_queries(admin_client, url)
    before = count_queries(admin_client, url)

    add_to_profile(technician, add_competences(300))

    assert technician.requirements.count() == 380
    assert count_queries(admin_client, url) == before


# The profile inline on the occupation change page


def test_the_occupation_change_page_edits_adds_and_deletes_profile_lines(admin_client, technician):
    url = admin_url(Occupation, "change", technician.pk)
    data = form_data(admin_client.get(url))
    assert "requirements-0-competence" not in data  # existing lines show the competence only
    changed = Requirement.objects.get(pk=data["requirements-0-id"])
    deleted = Requirement.objects.get(pk=data["requirements-1-id"])
    tomcat = Competence.objects.get(title="Apache Tomcat")
    assert not technician.requirements.filter(competence=tomcat).exists()
    data["requirements-0-target_level"] = "4" if changed.target_level != 4 else "1"
    data["requirements-1-DELETE"] = "on"
    data["new_requirements-0-competence"] = str(tomcat.pk)
    data["new_requirements-0-relation"] = Requirement.Relation.ESSENTIAL

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    changed.refresh_from_db()
    assert changed.target_level == int(data["requirements-0-target_level"])
    assert not Requirement.objects.filter(pk=deleted.pk).exists()
    added = technician.requirements.get(competence=tomcat)
    assert added.relation == Requirement.Relation.ESSENTIAL
    assert (added.target_level, added.weight) == (2, Decimal(1))  # the scale's optional defaults
    assert technician.requirements.count() == 80


@pytest.mark.parametrize("bad_input", ["target level x", "competence already in the profile"])
def test_the_occupation_change_page_rejects_bad_profile_input_and_writes_nothing(
    admin_client, technician, bad_input
):
    url = admin_url(Occupation, "change", technician.pk)
    data = form_data(admin_client.get(url))
    data["title"] = "Renamed technician"
    data["requirements-1-DELETE"] = "on"
    if bad_input == "target level x":
        data["requirements-0-target_level"] = "x"
    else:
        data["new_requirements-0-competence"] = str(technician.requirements.first().competence_id)
    before = snapshot()

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["errors"]
    assert snapshot() == before
    technician.refresh_from_db()
    assert technician.title == "ICT technician"


@pytest.mark.parametrize("code", ["3512/9", "../x", ".x", "a b", "x?y", "ü1", 'q1.html";x='])
def test_the_admin_refuses_an_occupation_code_that_cannot_be_part_of_an_address(admin_client, code):
    url = admin_url(Occupation, "add")
    data = form_data(admin_client.get(url))
    data.update(code=code, title="Slashed", source="local")
    before = Occupation.objects.count()

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == [OCCUPATION_CODE_MESSAGE]
    assert Occupation.objects.count() == before


@pytest.mark.parametrize("model", [Occupation, OccupationGroup, Competence])
@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://example.org/x", "Enter an http:// or https:// address."),
        ("javascript:alert(1)", "Enter a valid URL."),
    ],
)
def test_the_admin_takes_only_http_addresses(admin_client, model, uri, message):
    obj = model.objects.exclude(uri=None).order_by("pk").first()
    url = admin_url(model, "change", obj.pk)
    data = form_data(admin_client.get(url))
    data["uri"] = uri

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert message in response.context["adminform"].form.errors["uri"]
    obj.refresh_from_db()
    assert obj.uri.startswith("http")


def test_the_admin_refuses_an_isco_group_code_that_is_not_1_to_4_digits(admin_client):
    group = OccupationGroup.objects.get(code="3514")
    url = admin_url(OccupationGroup, "change", group.pk)
    data = form_data(admin_client.get(url))
    data["code"] = "35/4"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == [ISCO_CODE_MESSAGE]
    group.refresh_from_db()
    assert group.code == "3514"


# Requirement actions


def run_action(client, action: str, lines: list[Requirement], value: str = ""):
    return client.post(
        admin_url(Requirement, "changelist"),
        {"action": action, "_selected_action": [line.pk for line in lines], "value": value},
        follow=True,
    )


@pytest.mark.parametrize(
    ("action", "value", "start", "changed_field", "expected"),
    [
        ("make_essential", "", {"relation": "optional"}, "relation", "essential"),
        ("make_optional", "", {"relation": "essential"}, "relation", "optional"),
        ("set_target_level", "4", {"target_level__lt": 4}, "target_level", 4),
        ("set_target_level", "0", {"target_level__gt": 0}, "target_level", 0),
        ("set_weight", "2.5", {"weight__lt": 2}, "weight", Decimal("2.50")),
        ("set_weight", "0.01", {"weight__gt": 1}, "weight", Decimal("0.01")),
    ],
)
def test_an_action_changes_exactly_the_selected_lines(
    admin_client, technician, action, value, start, changed_field, expected
):
    selected = list(technician.requirements.filter(**start)[:3])
    assert len(selected) == 3
    before = snapshot()

    response = run_action(admin_client, action, selected, value)

    assert "3 line(s)" in messages_of(response)[0]
    after = snapshot()
    fields = ["relation", "target_level", "weight"]
    for line in selected:
        assert after[line.pk][fields.index(changed_field)] == expected
        after[line.pk] = before[line.pk]
    assert after == before


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("set_target_level", "9"),
        ("set_target_level", "-1"),
        ("set_target_level", "abc"),
        ("set_target_level", ""),
        ("set_target_level", "²"),
        ("set_weight", "0"),
        ("set_weight", "-1"),
        ("set_weight", "abc"),
        ("set_weight", "NaN"),
        ("set_weight", "Infinity"),
        ("set_weight", "1000"),
        ("set_weight", "0.001"),
        ("set_weight", "999.999"),
    ],
)
def test_an_action_with_a_bad_value_shows_an_error_and_changes_nothing(
    admin_client, technician, action, value
):
    selected = list(technician.requirements.all()[:3])
    before = snapshot()

    response = run_action(admin_client, action, selected, value)

    assert response.status_code == 200
    assert "nothing was changed" in messages_of(response)[0]
    assert snapshot() == before


# The proficiency scale


def test_the_default_scale_has_five_named_described_levels(admin_client):
    scale = ProficiencyScale.current()

    data = form_data(admin_client.get(admin_url(ProficiencyScale, "change", scale.pk)))

    assert scale.name == "Gapwise 0-4"
    names = ["None", "Aware", "Practitioner", "Proficient", "Expert"]
    assert [(level.value, level.name) for level in scale.levels.all()] == list(enumerate(names))
    assert all(level.descriptor for level in scale.levels.all())
    assert [data[f"levels-{n}-name"] for n in range(5)] == names


@pytest.mark.django_db
def test_the_current_scale_is_the_first_with_levels_and_reads_them_in_one_query():
    default = ProficiencyScale.current()
    later = ProficiencyScale.objects.create(name="Later")
    later.levels.create(value=0, name="Nought", descriptor="A later scale's level.")

    with CaptureQueriesContext(connection) as queries:
        scale = ProficiencyScale.current()
        levels = [(level.value, level.name) for level in scale.ordered_levels]

    assert scale == default
    assert levels == [(level.value, level.name) for level in default.levels.order_by("value")]
    assert len(queries) == 1

    default.levels.all().delete()  # a scale no page can use gives way to one it can
    assert ProficiencyScale.current() == later
    assert ProficiencyScale.current().top_level == 0

    later.levels.all().delete()  # none has levels: the first of all, with none
    scale = ProficiencyScale.current()
    assert (scale, scale.ordered_levels, scale.top_level) == (default, [], 0)


def test_an_admin_can_rename_a_level_of_the_scale(admin_client):
    scale = ProficiencyScale.current()
    url = admin_url(ProficiencyScale, "change", scale.pk)
    data = form_data(admin_client.get(url))
    assert data["levels-1-name"] == "Aware"
    data["levels-1-name"] = "Familiar"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert [level.name for level in scale.levels.all()] == [
        "None",
        "Familiar",
        "Practitioner",
        "Proficient",
        "Expert",
    ]


# The profile figures each occupation stores (Occupation.requirement_count and friends)


def figures_as_stored_and_as_counted(occupation: Occupation) -> tuple[tuple, tuple]:
    occupation.refresh_from_db()
    lines = list(occupation.requirements.all())
    counted = (
        len(lines),
        sum(line.relation == "essential" for line in lines),
        sum(line.weight * line.target_level for line in lines),
    )
    stored = (occupation.requirement_count, occupation.essential_count, occupation.target_total)
    return stored, counted


def test_every_admin_edit_of_a_profile_keeps_the_stored_figures_true(admin_client, technician):
    stored, counted = figures_as_stored_and_as_counted(technician)
    assert stored == counted == (80, 23, stored[2])

    run_action(
        admin_client,
        "make_essential",
        list(technician.requirements.filter(relation="optional")[:2]),
    )
    run_action(admin_client, "set_weight", list(technician.requirements.all()[:5]), "3")
    url = admin_url(Occupation, "change", technician.pk)
    data = form_data(admin_client.get(url))
    data["requirements-1-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    line = technician.requirements.first()
    admin_client.post(admin_url(Requirement, "delete", line.pk), {"post": "yes"})

    stored, counted = figures_as_stored_and_as_counted(technician)
    assert stored == counted
    assert counted[0] == 78  # two lines deleted, one in the occupation page, one on its own
