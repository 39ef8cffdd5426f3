"""Single sign-on (the OpenID Connect code flow, through mozilla-django-oidc) and the SCIM
2.0 provisioning endpoints, which a bearer token opens and every request of which is kept."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps

import requests
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from identity import oidc, scim, services
from identity.models import Identity, ScimRequest, ScimToken, hash_token
from identity.scim import ScimError
from teams.models import Team

logger = logging.getLogger(__name__)


# Single sign-on --------------------------------------------------------------------------


def _unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.warning("Single sign-on failed: %s", error)
    messages.error(request, _("Single sign-on is unavailable just now. Try again shortly."))
    return HttpResponseRedirect(reverse("login"))


class SsoStartView(OIDCAuthenticationRequestView):
    """Off to the provider, with state, nonce and a PKCE challenge kept in the session."""

    def __init__(self, **kwargs) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc.enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.provider()["authorization_endpoint"]
        except (requests.RequestException, ImproperlyConfigured, ValueError) as error:
            return _unavailable(request, error)
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: the library checks state (once only), exchanges the code with
    the PKCE verifier and the backend checks the ID token; any refusal signs no one in."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc.enabled():
            raise Http404
        try:
            return super().get(request)
        except SuspiciousOperation as error:  # a state not ours or used already, a bad token
            logger.warning("Single sign-on refused: %s", error)
            return self.login_failure()
        except (requests.RequestException, ImproperlyConfigured, ValueError) as error:
            return _unavailable(request, error)

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, "sso_refusal", "")
        messages.error(
            self.request,
            _("Single sign-on did not sign you in. %(reason)s") % {"reason": reason}
            if reason
            else _("Single sign-on did not sign you in."),
        )
        return HttpResponseRedirect(reverse("login"))


# SCIM 2.0 --------------------------------------------------------------------------------

MAX_RESULTS = 200
USER_FILTERS = {"username": "userName", "externalid": "externalId"}
GROUP_FILTERS = {"displayname": "displayName", "externalid": "externalId"}


def _scim(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, content_type="application/scim+json")


def scim_endpoint(view: Callable) -> Callable:
    """Bearer token, JSON in and out, one transaction, SCIM errors, and a ScimRequest row
    for every request (kept whatever happened to the transaction)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = None
        kind, _space, secret = request.headers.get("Authorization", "").partition(" ")
        if kind.lower() == "bearer" and secret.strip():
            token = ScimToken.objects.usable().filter(token_hash=hash_token(secret.strip())).first()
        request.scim_summary = ""
        if token is None:
            error = ScimError(401, "A valid bearer token is needed (expired or revoked?).")
            response = _scim(error.body(), 401)
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            request.scim_summary = error.detail
        else:
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
            try:
                if request.method in ("POST", "PUT", "PATCH"):
                    try:
                        request.scim_body = json.loads(request.body or b"null")
                    except (ValueError, RecursionError):  # RecursionError: nested too deep
                        raise scim.invalid("The body is not JSON.", "invalidSyntax") from None
                with transaction.atomic():
                    response = view(request, *args, **kwargs)
            except ScimError as error:
                response = _scim(error.body(), error.status)
                request.scim_summary = error.detail
        response["Cache-Control"] = "private, no-store"
        ScimRequest.objects.create(
            token=token,
            method=request.method[:10],
            path=request.get_full_path()[:500],
            status=response.status_code,
            summary=request.scim_summary[:2000],
        )
        return response

    return wrapper


def _not_allowed(allowed: str) -> ScimError:
    return ScimError(405, f"Use {allowed}.")


def _page(request: HttpRequest, queryset, render: Callable) -> JsonResponse:
    try:
        start = min(max(int(request.GET.get("startIndex", 1)), 1), 2**31)
        count = min(max(int(request.GET.get("count", MAX_RESULTS)), 0), MAX_RESULTS)
    except ValueError:
        raise scim.invalid("startIndex and count must be whole numbers.") from None
    total = queryset.count()
    items = list(queryset[start - 1 : start - 1 + count])
    return _scim(
        {
            "schemas": [scim.LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(items),
            "Resources": [render(request, item) for item in items],
        }
    )


def _people():
    return (
        services.scim_people()
        .select_related("identity", "identity__manager")
        .prefetch_related("teams")
        .order_by("pk")
    )


def _user_state(user: User) -> dict:
    identity = getattr(user, "identity", None) or Identity(user=user)
    return {
        "userName": user.username,
        "externalId": identity.scim_external_id,
        "active": user.is_active,
        "givenName": user.first_name,
        "familyName": user.last_name,
        "email": user.email,
        "manager": str(identity.manager_id) if identity.manager_id else None,
    }


def _user_resource(request: HttpRequest, user: User) -> dict:
    state = _user_state(user)
    resource = {
        "schemas": [scim.USER, scim.ENTERPRISE],
        "id": str(user.pk),
        "userName": user.username,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": user.get_full_name(),
        },
        "displayName": user.get_full_name() or user.username,
        "active": user.is_active,
        "emails": [{"value": user.email, "type": "work", "primary": True}] if user.email else [],
        "groups": [{"value": str(t.pk), "display": t.name} for t in user.teams.all()],
        scim.ENTERPRISE: {"manager": {"value": state["manager"]}} if state["manager"] else {},
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "location": request.build_absolute_uri(reverse("identity:scim-user", args=[user.pk])),
        },
    }
    if state["externalId"]:
        resource["externalId"] = state["externalId"]
    return resource


@scim_endpoint
def scim_users(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        people = _people()
        if "filter" in request.GET:
            attribute, value = scim.parse_filter(request.GET["filter"], USER_FILTERS)
            if attribute == "userName":
                people = people.filter(username__iexact=value)
            else:
                people = people.filter(identity__scim_external_id=value)
        return _page(request, people, _user_resource)
    if request.method == "POST":
        state = scim.user_from_resource(request.scim_body)
        user = services.scim_user_save(user=None, state=state)
        request.scim_summary = f"created user {user.username} (id {user.pk})"
        response = _scim(_user_resource(request, _people().get(pk=user.pk)), 201)
        response["Location"] = request.build_absolute_uri(
            reverse("identity:scim-user", args=[user.pk])
        )
        return response
    raise _not_allowed("GET or POST")


def _get_person(pk: str, *, lock: bool = False) -> User:
    people = services.scim_people()
    if lock:
        people = people.select_for_update(of=("self",))
    user = people.filter(pk=services.scim_id(pk)).first()
    if user is None:
        raise ScimError(404, f"No user {pk}.")
    return user


@scim_endpoint
def scim_user(request: HttpRequest, pk: str) -> HttpResponse:
    if request.method == "GET":
        return _scim(_user_resource(request, _people().get(pk=_get_person(pk).pk)))
    if request.method in ("PUT", "PATCH"):
        user = _get_person(pk, lock=True)
        if request.method == "PUT":
            state = scim.user_from_resource(request.scim_body)
        else:
            state = scim.patch_user(_user_state(user), request.scim_body)
        before = _user_state(user)
        services.scim_user_save(user=user, state=state)
        changed = sorted(k for k in state if state[k] != before[k])
        request.scim_summary = (
            f"{request.method} user {user.username} (id {pk}): "
            + (f"changed {', '.join(changed)}" if changed else "no change")
            + ("; deactivated" if before["active"] and not state["active"] else "")
        )
        return _scim(_user_resource(request, _people().get(pk=user.pk)))
    if request.method == "DELETE":
        user = _get_person(pk, lock=True)
        services.scim_user_delete(user=user)
        request.scim_summary = f"deleted user {user.username} (id {pk}): deactivated, history kept"
        return HttpResponse(status=204)
    raise _not_allowed("GET, PUT, PATCH or DELETE")


def _teams():
    return (
        Team.objects.select_related("scim_group")
        .prefetch_related("memberships__user")
        .order_by("pk")
    )


def _group_state(team: Team) -> dict:
    link = getattr(team, "scim_group", None)
    return {
        "displayName": team.name,
        "externalId": link.external_id if link else "",
        "members": [str(m.user_id) for m in team.memberships.all()],
    }


def _group_resource(request: HttpRequest, team: Team) -> dict:
    state = _group_state(team)
    resource = {
        "schemas": [scim.GROUP],
        "id": str(team.pk),
        "displayName": team.name,
        "members": [
            {
                "value": str(m.user_id),
                "display": m.user.username,
                "$ref": request.build_absolute_uri(reverse("identity:scim-user", args=[m.user_id])),
            }
            for m in team.memberships.all()
        ],
        "meta": {
            "resourceType": "Group",
            "location": request.build_absolute_uri(reverse("identity:scim-group", args=[team.pk])),
        },
    }
    if state["externalId"]:
        resource["externalId"] = state["externalId"]
    return resource


@scim_endpoint
def scim_groups(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        teams = _teams()
        if "filter" in request.GET:
            attribute, value = scim.parse_filter(request.GET["filter"], GROUP_FILTERS)
            if attribute == "displayName":
                teams = teams.filter(name__iexact=value)
            else:
                teams = teams.filter(scim_group__external_id=value)
        return _page(request, teams, _group_resource)
    if request.method == "POST":
        state = scim.group_from_resource(request.scim_body)
        team = services.scim_group_save(team=None, state=state)
        request.scim_summary = (
            f"created group {team.name} (id {team.pk}) with {len(state['members'])} members"
        )
        response = _scim(_group_resource(request, _teams().get(pk=team.pk)), 201)
        response["Location"] = request.build_absolute_uri(
            reverse("identity:scim-group", args=[team.pk])
        )
        return response
    raise _not_allowed("GET or POST")


def _get_team(pk: str, *, lock: bool = False) -> Team:
    teams = _teams().select_for_update(of=("self",)) if lock else _teams()
    team = teams.filter(pk=services.scim_id(pk)).first()
    if team is None:
        raise ScimError(404, f"No group {pk}.")
    return team


@scim_endpoint
def scim_group(request: HttpRequest, pk: str) -> HttpResponse:
    if request.method == "GET":
        return _scim(_group_resource(request, _get_team(pk)))
    if request.method in ("PUT", "PATCH"):
        team = _get_team(pk, lock=True)
        before = _group_state(team)
        if request.method == "PUT":
            state = scim.group_from_resource(request.scim_body)
        else:
            state = scim.patch_group(before, request.scim_body)
        services.scim_group_save(team=team, state=state)
        added = set(state["members"]) - set(before["members"])
        removed = set(before["members"]) - set(state["members"])
        request.scim_summary = (
            f"{request.method} group {team.name} (id {pk}): "
            f"{len(added)} members added, {len(removed)} removed"
            + (
                f", renamed from {before['displayName']}"
                if state["displayName"] != before["displayName"]
                else ""
            )
        )
        return _scim(_group_resource(request, _get_team(pk)))
    if request.method == "DELETE":
        team = _get_team(pk, lock=True)
        request.scim_summary = f"deleted group {team.name} (id {pk})"
        team.delete()
        return HttpResponse(status=204)
    raise _not_allowed("GET, PUT, PATCH or DELETE")


def _discovery(request: HttpRequest, body: dict) -> HttpResponse:
    if request.method != "GET":
        raise _not_allowed("GET")
    return _scim(body)


@scim_endpoint
def scim_service_provider_config(request: HttpRequest) -> HttpResponse:
    return _discovery(request, scim.SERVICE_PROVIDER_CONFIG)


@scim_endpoint
def scim_resource_types(request: HttpRequest) -> HttpResponse:
    return _discovery(request, scim.list_response(scim.RESOURCE_TYPES))


@scim_endpoint
def scim_schemas(request: HttpRequest) -> HttpResponse:
    schemas = [
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"], **s} for s in scim.SCHEMAS
    ]
    return _discovery(request, scim.list_response(schemas))
