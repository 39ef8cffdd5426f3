"""Whatever arrives, the app answers with data or a clear refusal, never a crash.

Hypothesis feeds the form readers, the file readers, the search and filter parameters, the
people import and the request's content type and body with arbitrary text; each either
works or refuses with its own error type (ValidationError, DataError, a 4xx, a
CommandError), and a refused import writes nothing.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils.http import parse_header_parameters
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assessments.forms import DONT_KNOW, read_answers
from config import wsgi
from config.http import unsupported_content_type
from taxonomy import crosswalk, esco, onet
from taxonomy.profiles import read_profile
from taxonomy.tabular import DataError, Source, read_table
from teams.forms import read_validations
from teams.models import Membership, Team

PROFILE = {11, 12, 13}
LEVELS = {0, 1, 2, 3, 4}
DB_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

field_names = st.one_of(
    st.sampled_from(["c-11", "c-12", "c-13", "c-99", "seq", "c-11-confidence", "c-12-evidence"]),
    st.sampled_from(["v-11", "v-12", "v-99", "v-13-comment"]),
    st.text(max_size=12),
)
values = st.one_of(
    st.sampled_from(["0", "3", "4", "5", "-1", DONT_KNOW, "", "high", "low", "１", "٣"]),
    st.text(max_size=600),
)
posts = st.lists(st.tuples(field_names, values), max_size=8)


def query(pairs: list[tuple[str, str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in pairs:
        data.appendlist(name, value)
    return data


def test_a_nul_character_in_a_note_is_refused_before_the_database_sees_it():
    for reader, name, kwargs in [
        (read_answers, "c-11-evidence", {"profile": PROFILE}),
        (read_validations, "v-11-comment", {"competences": PROFILE}),
    ]:
        with pytest.raises(ValidationError, match="NUL"):
            reader(query([(name, "ticket\x0042")]), levels=LEVELS, **kwargs)


@given(posts)
def test_rating_posts_give_answers_within_the_profile_or_a_validation_error(pairs):
    try:
        answers = read_answers(query(pairs), profile=PROFILE, levels=LEVELS)
    except ValidationError:
        return
    for answer in answers:
        assert answer.competence_id in PROFILE
        assert "\x00" not in answer.evidence
        assert answer.level is None or answer.level in LEVELS
        assert answer.confidence in {"", "low", "medium", "high"}
        assert len(answer.evidence) <= 500


@given(posts)
def test_review_posts_give_validations_within_the_assessment_or_a_validation_error(pairs):
    try:
        validations = read_validations(query(pairs), competences=PROFILE, levels=LEVELS)
    except ValidationError:
        return
    for validation in validations:
        assert validation.competence_id in PROFILE
        assert "\x00" not in validation.comment
        assert validation.level is None or validation.level in LEVELS
        assert len(validation.comment) <= 500


@given(st.binary(max_size=400))
def test_any_bytes_read_as_a_table_give_rows_or_a_data_error(data):
    try:
        rows = list(read_table("f.csv", data, ["a", "b"], optional=["c"]))
    except DataError as error:
        assert str(error).startswith("f.csv")
        return
    assert all(set(row) == {"a", "b", "c"} for _, row in rows)


esco_cells = st.text(alphabet=st.characters(codec="utf-8"), max_size=15)


@given(st.lists(st.lists(esco_cells, min_size=3, max_size=8), max_size=6))
def test_any_esco_skills_file_gives_skills_or_a_data_error(rows):
    header = "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description"
    lines = [header] + [",".join(f'"{cell.replace(chr(34), "")}"' for cell in row) for row in rows]
    data = "\n".join(lines).encode()
    source = Source("skills_en.csv", "", lambda: io.BytesIO(data), len(data))
    try:
        skills = esco.read_skills(source)
    except DataError as error:
        assert "skills_en.csv" in str(error)
        return
    assert len(skills) <= len(rows)


# Every parser, by the name of a file it reads, with that file's header.
PARSERS = {
    "ISCOGroups_en.csv": (esco.read_groups, "conceptType,conceptUri,code,preferredLabel"),
    "occupations_en.csv": (
        esco.read_occupations,
        "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,description,code",
    ),
    "skills_en.csv": (
        esco.read_skills,
        "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description",
    ),
    "occupationSkillRelations.csv": (
        esco.read_relations,
        "occupationUri,relationType,skillType,skillUri",
    ),
    "Occupation Data.txt": (onet.read_occupations, "O*NET-SOC Code\tTitle\tDescription"),
    "Skills.txt": (
        lambda source: onet.read_profiles(source, "skill", (), {}),
        "\t".join(onet.PROFILE_COLUMNS),
    ),
    "profile.csv": (
        lambda source: read_profile("profile.csv", source.read()),
        "competence_uri,competence,kind,reuse_level,relation,target_level,weight",
    ),
    "isco08_to_soc2010.csv": (
        None,  # read from a path
        "ISCO-08 Code,ISCO-08 Title EN,part,2010 SOC Code,2010 SOC Title",
    ),
}
# Cells no error may quote whole: longer than the 20 characters a message may show.
long_cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters='\r\n\t",'), min_size=21, max_size=30
).map(lambda text: "§" + text)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(PARSERS)),
    st.booleans(),
    st.lists(st.lists(long_cells, min_size=1, max_size=8), min_size=1, max_size=3),
)
def test_no_parser_error_quotes_more_than_20_characters_of_the_file(name, own_header, rows):
    """Whatever a file holds, a parser's error names what it expected and where, and quotes
    at most 20 characters of a value: the file may be /etc/passwd, queued by mistake."""
    parse, header = PARSERS[name]
    delimiter = "\t" if name.endswith(".txt") else ","
    lines = ([] if own_header else [header]) + [delimiter.join(row) for row in rows]
    data = "\n".join(lines).encode()
    try:
        if parse is None:
            with tempfile.TemporaryDirectory() as directory:
                path = Path(directory) / name
                path.write_bytes(data)
                crosswalk.read_pairs(path)
        else:
            parse(Source(name, "", lambda: io.BytesIO(data), len(data)))
    except DataError as error:
        for cell in (cell for row in rows for cell in row):
            assert cell not in str(error)


@pytest.mark.django_db
@DB_SETTINGS
@given(st.text(max_size=200))
@example("\x00")  # found by this test on PostgreSQL, which refuses NUL in a query
def test_search_takes_any_text_and_shows_it_as_text(alice_client, text):
    q = text + "<b>bold</b>"
    response = alice_client.get(reverse("taxonomy:occupation-list"), {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html


@pytest.fixture
def team_client(client, alice, technician_occupation):
    manager = User.objects.create_user("mo")
    team = Team.objects.create(name="Fuzz", occupation=technician_occupation)
    team.managers.add(manager)
    Membership.objects.create(team=team, user=alice)
    client.force_login(manager)
    return client, team


@pytest.mark.django_db
@DB_SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "m-sort",
                "m-page",
                "m-state",
                "m-gaps",
                "m-occupation",
                "c-sort",
                "c-kind",
                "c-relation",
                "c-reuse",
                "heat_page",
                "occupation",
                "export",
                "format",
            ]
        ),
        st.text(max_size=30),
        max_size=4,
    )
)
def test_team_report_parameters_take_any_text_without_a_server_error(team_client, params):
    client, team = team_client
    response = client.get(reverse("teams:team-report", args=[team.pk]), params)
    assert response.status_code in (200, 400, 404)


people_cells = st.one_of(
    st.sampled_from(["gus", "ops", "member", "manager", "3512.4", "", "a@b.org", "=1+1"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters='\r\n"'), max_size=20),
)


@pytest.mark.django_db
@DB_SETTINGS
@given(st.lists(st.lists(people_cells, min_size=6, max_size=6), min_size=1, max_size=4))
def test_a_people_file_imports_or_is_refused_with_nothing_written(tmp_path, rows):
    text = "username,email,full_name,team,role,occupation_code\n" + "".join(
        ",".join(f'"{cell}"' for cell in row) + "\n" for row in rows
    )
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    before = (User.objects.count(), Team.objects.count(), Membership.objects.count())
    try:
        call_command("import_people", str(path), stdout=io.StringIO())
    except CommandError as error:
        assert str(error).startswith("people.csv")
        assert (User.objects.count(), Team.objects.count(), Membership.objects.count()) == before


TOKEN = "k" * 32  # a CSRF secret of the right shape, as cookie and header alike
CHARSETS = ["utf-16", "UTF-16LE", "utf-32", "latin-1", "cp1252", "shift_jis", "utf-7", "utf8"]
CHARSETS += ["ascii", "utf_8_sig", "zlib", "rot13", "base64", "hex", "uu", "idna", "undefined"]
CONTENT_TYPES = [
    *(f"application/x-www-form-urlencoded; charset={charset}" for charset in CHARSETS),
    *(f"multipart/form-data; boundary=BB; charset={charset}" for charset in CHARSETS),
    *(f"text/plain; charset={charset}" for charset in CHARSETS),
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=" + "x" * 80,  # longer than a boundary may be
    'multipart/form-data; boundary="BB',
    "multipart/form-data; boundary=BB; boundary=CC",
    "multipart/form-data; boundary=\x00",
    "multipart/form-data; boundary=é",
    "application/x-www-form-urlencoded; charset",
    ";;;",
    "/",
]
BODIES = [
    b"username=nobody&password=a-long-password-1",
    "username=nobody&password=a-long-password-1".encode("utf-16"),
    b'--BB\r\nContent-Disposition: form-data; name="username"\r\n\r\nnobody\r\n--BB--\r\n',
    b'--BB\r\nContent-Disposition: form-data; name="username"\r\n\r\nno end',
    b"--BB\r\n\r\n\r\n--BB--",
    b"--BB\r\nContent-Disposition: form-data\r\n\r\n\xff\xfe\r\n--BB--\r\n",
    b"\xff\xfe\x00",
    b"&".join(b"f%d=1" % i for i in range(10_001)),  # more fields than Django reads
]


def post_as_a_stranger(content_type: str, body: bytes):
    """A POST to the sign-in page with a CSRF cookie and token, so the CSRF check reads the
    body, as Django's error pages do again; an exception escaping Django fails the test."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=True)
    client.cookies["csrftoken"] = TOKEN
    return client.generic(
        "POST", reverse("login"), body, content_type=content_type, headers={"X-CSRFToken": TOKEN}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_odd_charsets_and_malformed_bodies_get_a_clear_refusal_with_the_headers(content_type):
    for body in BODIES:
        response = post_as_a_stranger(content_type, body)

        assert response.status_code in (200, 400, 403, 415), (content_type, body[:40])
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "zlib", "rot13"])
def test_a_charset_other_than_utf_8_is_refused_415(charset):
    response = post_as_a_stranger(
        f"application/x-www-form-urlencoded; charset={charset}", b"username=nobody"
    )
    assert response.status_code == 415
    assert response.content == b"Send the request in UTF-8."


@given(
    st.one_of(st.text(max_size=80), st.builds("text/plain; a*={}''{}".format, st.text(), st.text()))
)
@example("text/plain; a*=undefined''%ff")
@example("text/plain; charset*=utf-16''utf-8")
def test_a_content_type_is_refused_or_read_by_django_as_utf_8(content_type):
    if unsupported_content_type(content_type) is None:
        _, params = parse_header_parameters(content_type)
        assert params.get("charset", "utf-8").lower() == "utf-8"


@pytest.mark.parametrize("charset", ["utf-16", "zlib", "rot13", "undefined"])
def test_a_charset_other_than_utf_8_is_refused_before_django_builds_the_request(charset):
    # Django decodes the query string with the charset while it builds the request, before
    # any middleware: "zlib" raised there. The test client builds its request the same way,
    # so this calls the served application itself.
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/about/",
        "QUERY_STRING": "a=%C3%A9",
        "CONTENT_TYPE": f"text/plain; charset={charset}",
    }
    setup_testing_defaults(environ)
    answer = {}

    body = b"".join(
        wsgi.application(
            environ, lambda status, headers: answer.update(status=status, headers=headers)
        )
    )

    assert answer["status"] == "415 Unsupported Media Type"
    assert body == b"Send the request in UTF-8."
    assert "frame-ancestors 'none'" in dict(answer["headers"])["Content-Security-Policy"]


@pytest.mark.django_db
@DB_SETTINGS
@given(
    st.one_of(
        st.sampled_from(CONTENT_TYPES),
        st.text(max_size=60),
        st.builds(
            "{}; {}".format,
            st.sampled_from(["multipart/form-data", "application/x-www-form-urlencoded"]),
            st.text(max_size=40),
        ),
    ),
    st.one_of(st.sampled_from(BODIES), st.binary(max_size=300)),
)
def test_any_content_type_and_body_get_an_answer_with_the_headers(content_type, body):
    response = post_as_a_stranger(content_type, body)

    assert response.status_code < 500
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
