"""SCIM 2.0 (RFC 7643, RFC 7644) as Gapwise reads it: resources in, changes out.

Pure Python, no Django: what a request body means for a person or a group, checked
attribute by attribute, in the shapes Entra ID and Okta send. The views apply the result.
Attribute names are case-insensitive, as the RFC says.
"""

from __future__ import annotations

import re
from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

# Attributes of the schemas we answer to but do not keep: accepted, checked for type, ignored.
IGNORED_STRINGS = {
    "displayname", "nickname", "profileurl", "title", "usertype", "preferredlanguage",
    "locale", "timezone", "password", "name.formatted", "name.middlename",
    "name.honorificprefix", "name.honorificsuffix",
}  # fmt: skip
IGNORED_LISTS = {
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509certificates",
    "groups",  # a person's groups are read-only: groups are changed through /Groups
}
ENTERPRISE_STRINGS = {"employeenumber", "costcenter", "organization", "division", "department"}
READ_ONLY = {"id", "meta", "schemas"}


class ScimError(Exception):
    """A refusal in SCIM's error format (RFC 7644 §3.12)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def body(self) -> dict:
        body: dict[str, Any] = {
            "schemas": [ERROR],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def invalid(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


FILTER = re.compile(r'^\s*([A-Za-z][\w.:]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def parse_filter(text: str, allowed: dict[str, str]) -> tuple[str, str]:
    """`attribute eq "value"`, the one filter identity providers send: (the key `allowed`
    gives the attribute, the value). Anything else is refused with invalidFilter."""
    match = FILTER.match(text)
    if not match or match.group(1).lower() not in allowed:
        raise invalid(
            f'Only {" or ".join(sorted(set(allowed.values())))} eq "..." filters are supported.',
            "invalidFilter",
        )
    return allowed[match.group(1).lower()], re.sub(r"\\(.)", r"\1", match.group(2))


# The longest each kept attribute may be: what its column holds.
MAX_LENGTH = {
    "userName": 150,
    "externalId": 255,
    "name.givenName": 150,
    "name.familyName": 150,
    "emails.value": 254,
}
TEAM_NAME_LENGTH = 100


def _string(value: Any, name: str, *, required: bool = False, limit: int = 0) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"{name} must be {'a non-empty' if required else 'a'} string.")
    limit = limit or MAX_LENGTH.get(name, 1000)
    if len(value.strip()) > limit:
        raise invalid(f"{name} is longer than {limit} characters.")
    return value.strip()


def _boolean(value: Any, name: str) -> bool:
    # Entra ID sends "True" and "False" as strings in PATCH.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(f"{name} must be true or false.")


def _email(value: Any) -> str:
    """The address to keep from `emails`: the primary, else the work one, else the first."""
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise invalid("emails must be a list of objects.")
    for item in value:
        _string(item.get("value"), "emails.value")
        if not isinstance(item.get("primary", False), bool):
            raise invalid("emails.primary must be true or false.")
        _string(item.get("type"), "emails.type")
    if not value:
        return ""
    chosen = (
        next((e for e in value if e.get("primary") is True), None)
        or next((e for e in value if str(e.get("type", "")).lower() == "work"), None)
        or value[0]
    )
    return _string(chosen.get("value"), "emails.value")


def _reference(value: Any, name: str) -> str | None:
    """An id given as "id", {"value": "id"} or nothing (null, "" or {})."""
    if isinstance(value, dict):
        value = value.get("value")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise invalid(f"{name} must be an id (a string).")
    return value


EMAIL_PATH = re.compile(r'^emails(\[type eq "\w+"\])?(\.value)?$', re.IGNORECASE)
# phoneNumbers[type eq "work"].value, addresses[type eq "work"].formatted: Entra ID's shapes.
MULTI_VALUED_PATH = re.compile(r'^(\w+)\[\w+ eq "[^"]*"\](\.\w+)?$', re.IGNORECASE)


def new_user() -> dict:
    return {
        "userName": "",
        "externalId": "",
        "active": True,
        "givenName": "",
        "familyName": "",
        "email": "",
        "manager": None,
    }


def _set_user(state: dict, path: str, value: Any, *, patch: bool) -> None:
    """Set one attribute of a person, named by its path (`name.givenName`, the enterprise
    `urn:...:manager`, `emails[type eq "work"].value`); value None removes it."""
    key = path.lower()
    if key.startswith(ENTERPRISE.lower() + ":"):
        key = "enterprise." + key[len(ENTERPRISE) + 1 :]
    elif key.startswith(USER.lower() + ":"):
        key = key[len(USER) + 1 :]
    if key == "username":
        state["userName"] = _string(value, "userName", required=True)
    elif key == "externalid":
        state["externalId"] = _string(value, "externalId")
    elif key == "active":
        state["active"] = _boolean(value, "active") if value is not None else False
    elif key == "name.givenname":
        state["givenName"] = _string(value, "name.givenName")
    elif key == "name.familyname":
        state["familyName"] = _string(value, "name.familyName")
    elif key == "name":
        if value is not None and not isinstance(value, dict):
            raise invalid("name must be an object.")
        for sub, v in (value or {"givenName": None, "familyName": None}).items():
            _set_user(state, f"name.{sub}", v, patch=patch)
    elif EMAIL_PATH.match(key):
        if value is None:
            state["email"] = ""
        elif isinstance(value, str) and key != "emails":  # emails[type eq "work"].value
            state["email"] = _string(value, "emails.value")
        else:
            state["email"] = _email(value)
    elif key == "enterprise.manager":
        state["manager"] = _reference(value, "manager")
    elif key.startswith("enterprise.") and key[len("enterprise.") :] in ENTERPRISE_STRINGS:
        _string(value, path)
    elif key == ENTERPRISE.lower():
        if value is not None and not isinstance(value, dict):
            raise invalid(f"{ENTERPRISE} must be an object.")
        for sub, v in (value or {}).items():
            _set_user(state, f"{ENTERPRISE}:{sub}", v, patch=patch)
    elif key in IGNORED_STRINGS:
        _string(value, path)
    elif key in IGNORED_LISTS:
        if value is not None and not isinstance(value, list):
            raise invalid(f"{path} must be a list.")
    elif patch and (match := MULTI_VALUED_PATH.match(key)) and match.group(1) in IGNORED_LISTS:
        pass  # one value of a list we do not keep
    elif key in READ_ONLY and not patch:
        pass  # sent back as they were read
    else:
        raise (
            invalid(f"No attribute {path!r} here.", "invalidPath")
            if patch
            else invalid(f"Unknown attribute {path!r}.", "invalidSyntax")
        )


def _check_schemas(body: Any, wanted: set[str], allowed: set[str]) -> dict:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.", "invalidSyntax")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or not all(isinstance(x, str) for x in schemas):
        raise invalid("schemas must be a list of schema URNs.", "invalidSyntax")
    if not wanted <= set(schemas):
        raise invalid(f"schemas must list {', '.join(sorted(wanted))}.", "invalidSyntax")
    if unknown := set(schemas) - allowed:
        raise invalid(f"Unknown schema {sorted(unknown)[0]!r}.", "invalidSyntax")
    return body


def user_from_resource(body: Any) -> dict:
    """A person as a POST or PUT describes them, whole (what it leaves out is empty)."""
    _check_schemas(body, {USER}, {USER, ENTERPRISE})
    state = new_user()
    for key, value in body.items():
        _set_user(state, key, value, patch=False)
    if not state["userName"]:
        raise invalid("userName is required.", "invalidValue")
    return state


def _operations(body: Any) -> list[tuple[str, str | None, Any]]:
    """A PatchOp's operations as (op in lower case, path or None, value), checked."""
    _check_schemas(body, {PATCH_OP}, {PATCH_OP})
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise invalid("Operations must be a list of operations.", "invalidSyntax")
    result = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise invalid("Each operation must be an object.", "invalidSyntax")
        op = operation.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid(f"op must be add, replace or remove, not {op!r}.", "invalidSyntax")
        path = operation.get("path")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            raise invalid("path must be a string.", "invalidPath")
        if op.lower() == "remove" and path is None:
            raise invalid("A remove operation needs a path.", "noTarget")
        if op.lower() != "remove" and "value" not in operation:
            raise invalid(f"The {op} operation needs a value.", "invalidValue")
        if path is None and not isinstance(operation["value"], dict):
            raise invalid("Without a path, the value must be an object.", "invalidValue")
        result.append((op.lower(), path and path.strip(), operation.get("value")))
    return result


def patch_user(state: dict, body: Any) -> dict:
    """The person after a PatchOp, from `state` (new_user()'s keys); `state` is left alone."""
    state = dict(state)
    for op, path, value in _operations(body):
        if op == "remove":
            if path.lower() == "username":
                raise invalid("userName cannot be removed.", "mutability")
            _set_user(state, path, None, patch=True)
        elif path is None:
            for key, v in value.items():
                _set_user(state, key, v, patch=True)
        else:
            _set_user(state, path, value, patch=True)
    return state


def new_group() -> dict:
    return {"displayName": "", "externalId": "", "members": []}


def _members(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise invalid('members must be a list of {"value": id}.')
    ids = [_reference(m, "members.value") for m in value]
    if None in ids or not all(isinstance(m, dict) for m in value):
        raise invalid('Each member must be {"value": id}.')
    return list(dict.fromkeys(ids))


def _set_group(state: dict, path: str, value: Any, *, patch: bool) -> None:
    key = path.lower()
    if key.startswith(GROUP.lower() + ":"):
        key = key[len(GROUP) + 1 :]
    if key == "displayname":
        state["displayName"] = _string(value, "displayName", required=True, limit=TEAM_NAME_LENGTH)
    elif key == "externalid":
        state["externalId"] = _string(value, "externalId")
    elif key == "members":
        state["members"] = _members(value) if value is not None else []
    elif (key in READ_ONLY and not patch) or key == "id":
        pass  # Okta repeats the id in a PATCH's value
    else:
        raise (
            invalid(f"No attribute {path!r} here.", "invalidPath")
            if patch
            else invalid(f"Unknown attribute {path!r}.", "invalidSyntax")
        )


def group_from_resource(body: Any) -> dict:
    _check_schemas(body, {GROUP}, {GROUP})
    state = new_group()
    for key, value in body.items():
        _set_group(state, key, value, patch=False)
    if not state["displayName"]:
        raise invalid("displayName is required.")
    return state


MEMBER_FILTER = re.compile(r'^members\[value eq "([^"]+)"\]$', re.IGNORECASE)


def patch_group(state: dict, body: Any) -> dict:
    state = {**state, "members": list(state["members"])}
    for op, path, value in _operations(body):
        one = MEMBER_FILTER.match(path or "")
        if one and op == "remove":
            state["members"] = [m for m in state["members"] if m != one.group(1)]
        elif (path or "").lower() == "members" and op == "add":
            state["members"] = list(dict.fromkeys(state["members"] + _members(value)))
        elif (path or "").lower() == "members" and op == "remove" and value is not None:
            gone = set(_members(value))
            state["members"] = [m for m in state["members"] if m not in gone]
        elif op == "remove":
            if path.lower() == "displayname":
                raise invalid("displayName cannot be removed.", "mutability")
            _set_group(state, path, None, patch=True)
        elif path is None:
            for key, v in value.items():
                _set_group(state, key, v, patch=True)
        else:
            _set_group(state, path, value, patch=True)
    return state


# What the discovery endpoints answer (RFC 7643 §5-7, RFC 7644 §4).
SERVICE_PROVIDER_CONFIG = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "documentationUri": "https://github.com/gapwise/gapwise#provisioning-people-with-scim",
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": True, "maxResults": 200},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": False},
    "authenticationSchemes": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A token made in admin or by `manage.py scim_token NAME`.",
            "primary": True,
        }
    ],
}


def _attribute(name: str, type_: str = "string", **more: Any) -> dict:
    return {
        "name": name,
        "type": type_,
        "multiValued": more.pop("multiValued", False),
        "required": more.pop("required", False),
        "caseExact": False,
        "mutability": more.pop("mutability", "readWrite"),
        "returned": "default",
        "uniqueness": more.pop("uniqueness", "none"),
        **more,
    }


SCHEMAS = [
    {
        "id": USER,
        "name": "User",
        "description": "A person who assesses themselves, or manages a team.",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server"),
            _attribute(
                "name",
                "complex",
                subAttributes=[_attribute("givenName"), _attribute("familyName")],
            ),
            _attribute("displayName", mutability="readOnly"),
            _attribute("active", "boolean"),
            _attribute(
                "emails",
                "complex",
                multiValued=True,
                subAttributes=[
                    _attribute("value"),
                    _attribute("type"),
                    _attribute("primary", "boolean"),
                ],
            ),
            _attribute("groups", "complex", multiValued=True, mutability="readOnly"),
        ],
    },
    {
        "id": ENTERPRISE,
        "name": "EnterpriseUser",
        "description": "The manager of a person manages their teams.",
        "attributes": [
            _attribute("manager", "complex", subAttributes=[_attribute("value")]),
        ],
    },
    {
        "id": GROUP,
        "name": "Group",
        "description": "A team.",
        "attributes": [
            _attribute("displayName", required=True, uniqueness="server"),
            _attribute(
                "members",
                "complex",
                multiValued=True,
                subAttributes=[_attribute("value", mutability="immutable")],
            ),
        ],
    },
]

RESOURCE_TYPES = [
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": USER,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
    },
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "schema": GROUP,
    },
]


def list_response(resources: list[dict]) -> dict:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
