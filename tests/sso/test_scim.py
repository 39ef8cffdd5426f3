"""identity/scim.py, without a database: what a body means, and that nothing else escapes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity import scim as s
from identity.scim import ScimError

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
USER = {**s.new_user(), "userName": "alice"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "alice@example.com"', ("userName", "alice@example.com")),
        ('USERNAME EQ "Alice"', ("userName", "Alice")),
        ('externalId eq "00u1\\"x"', ("externalId", '00u1"x')),
    ],
)
def test_the_filters_identity_providers_send_are_read(text, expected):
    assert s.parse_filter(text, {"username": "userName", "externalid": "externalId"}) == expected


@given(st.text(max_size=60))
def test_any_filter_is_read_or_refused_as_invalid_filter(text):
    try:
        attribute, _value = s.parse_filter(text, {"username": "userName"})
    except ScimError as error:
        assert error.status == 400 and error.scim_type == "invalidFilter"
    else:
        assert attribute == "userName"


@pytest.mark.parametrize(
    "body",
    [
        {"schemas": [{}], "userName": "x"},
        {"schemas": [[]], "userName": "x"},
        {"schemas": "urn", "userName": "x"},
        {"schemas": [s.USER], "userName": "x", "name": {"givenName": ["A"]}},
        {"schemas": [s.USER], "userName": "x", "emails": [{"value": "a", "primary": []}]},
        {"schemas": [s.USER], "userName": "x", s.ENTERPRISE: {"manager": ["1"]}},
        {"schemas": [s.USER], "userName": "x", s.ENTERPRISE: {"manager": {"value": {}}}},
    ],
)
def test_odd_shapes_are_refused_in_scim_terms(body):
    with pytest.raises(ScimError):
        s.user_from_resource(body)


@given(JSON)
def test_any_user_body_is_read_or_refused_in_scim_terms(body):
    try:
        state = s.user_from_resource(body)
    except ScimError as error:
        assert error.status == 400 and error.scim_type
    else:
        assert state["userName"]


@given(st.lists(JSON, max_size=3), JSON)
def test_any_patch_is_applied_or_refused_in_scim_terms(operations, extra):
    body = {"schemas": [s.PATCH_OP], "Operations": operations}
    for patch in (body, extra):
        try:
            state = s.patch_user(USER, patch)
        except ScimError as error:
            assert error.status == 400 and error.scim_type
        else:
            assert set(state) == set(USER) and state["userName"]
        try:
            s.patch_group({**s.new_group(), "displayName": "Desk"}, patch)
        except ScimError as error:
            assert error.status == 400


@pytest.mark.parametrize("value", [True, "True", "true", "TRUE"])
def test_active_is_true_as_a_boolean_or_a_string(value):
    patched = s.patch_user(
        {**USER, "active": False},
        {
            "schemas": [s.PATCH_OP],
            "Operations": [{"op": "Replace", "path": "active", "value": value}],
        },
    )
    assert patched["active"] is True


def test_a_patch_leaves_the_state_it_was_given_alone():
    before = dict(USER)
    s.patch_user(
        USER,
        {"schemas": [s.PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert before == USER


def test_the_error_body_is_scims():
    error = ScimError(409, "taken", "uniqueness")
    assert error.body() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "detail": "taken",
        "scimType": "uniqueness",
    }
