"""The schema documents every status each operation may answer; the reference lists them all
and runs without a script from anywhere."""

from __future__ import annotations

import pytest

from api.views import _text

pytestmark = pytest.mark.django_db

EVERY_OPERATION = {"400", "401", "404", "405", "413", "415", "422", "429", "500"}
WRITES = {"assessment_start", "assessment_ratings", "assessment_submit"}


def operations(client) -> list[tuple[str, str, dict]]:
    schema = client.get("/api/schema").json()
    return [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]


def test_every_operation_documents_its_refusals(client):
    for path, method, op in operations(client):
        statuses = set(op["responses"])
        assert statuses >= EVERY_OPERATION, (method, path)
        if op["operationId"] in WRITES:
            assert "403" in statuses, (method, path)
        assert op["security"] == [{"BearerToken": []}], (method, path)


def test_the_reference_lists_every_operation_and_loads_nothing_from_elsewhere(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    body = response.content.decode()
    for path, method, op in operations(client):
        assert f'id="{op["operationId"]}"' in body
        assert f"{method.upper()} {path}</code>" in body
    assert "cdn" not in body.lower() and "<script>" not in body


def test_the_api_root_says_where_the_schema_is(client):
    body = client.get("/api/").json()
    assert body["schema"].endswith("/api/schema") and body["docs"].endswith("/api/docs")


def test_the_reference_shows_the_schemas_code_as_code(client):
    body = client.get("/api/docs").content.decode()

    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in body
    assert "`" not in body
    assert "Start Op" not in body and "Submit Op" not in body


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("send `a<b>` now", "send <code>a&lt;b&gt;</code> now"),
        ("an open ` backtick <i>", "an open ` backtick &lt;i&gt;"),
        ("", ""),
    ],
)
def test_a_description_is_escaped_and_only_its_code_marked_up(markdown, html):
    assert _text(markdown) == html
