"""The API's pages: your tokens (made, shown once, revoked) and the reference built from
the schema. The API itself is api/endpoints.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api.endpoints import api
from api.errors import error_response
from api.forms import TokenForm
from api.models import ApiToken
from api.services import api_token_create, api_token_revoke


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """Your tokens; a new one is shown on the answer to the POST that made it, once."""
    form, secret = TokenForm(), None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            _token, secret = api_token_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
            )
            form = TokenForm()
    tokens = ApiToken.objects.filter(owner=request.user)
    status = 400 if form.errors else 200
    return render(
        request,
        "api/token_list.html",
        {"form": form, "secret": secret, "tokens": tokens},
        status=status,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(owner=request.user), pk=pk)
    api_token_revoke(token=token)
    messages.success(request, _("Revoked %(name)s: it is refused from now on.") % {"name": token})
    return redirect("api:token-list")


METHODS = ("get", "put", "post", "patch", "delete")


def _ref_name(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_ref_name(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_ref_name(schema.get('items', {}))}"
    return schema.get("type", "")


def _text(markdown: str) -> SafeString:
    """A description of the schema as HTML: of Markdown, they use only `code`."""
    parts = markdown.split("`")
    if len(parts) % 2 == 0:  # a backtick left open: shown as it is
        return escape(markdown)
    pairs = format_html_join("", "{}<code>{}</code>", zip(parts[:-1:2], parts[1::2], strict=True))
    return pairs + escape(parts[-1])


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """Every operation, its parameters and answers, from the schema itself: a page in the
    site's layout that needs no script from anywhere (the CSP allows none)."""
    schema = api.get_openapi_schema()
    operations = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": _text(op.get("description", "")),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _ref_name(p.get("schema", {})),
                            "description": _text(
                                p.get("description", "")
                                or p.get("schema", {}).get("description", "")
                            ),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _ref_name(body["schema"]) if body else "",
                    "responses": [
                        {
                            "status": status,
                            "description": answer.get("description", ""),
                            "type": _ref_name(
                                answer.get("content", {})
                                .get("application/json", {})
                                .get("schema", {})
                            ),
                        }
                        for status, answer in op["responses"].items()
                    ],
                    "tags": op.get("tags", []),
                }
            )
    return render(
        request,
        "api/docs.html",
        {
            "info": schema["info"],
            "introduction": _text(schema["info"].get("description", "")),
            "operations": operations,
            "schemas": [
                (
                    name,
                    [
                        (f, _text(spec.get("description", "")))
                        for f, spec in spec.get("properties", {}).items()
                    ],
                )
                for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items())
            ],
        },
    )


@require_GET
def api_root(request: HttpRequest) -> HttpResponse:
    """Where the schema and its reference are."""
    return JsonResponse(
        {
            "schema": request.build_absolute_uri("/api/schema"),
            "docs": request.build_absolute_uri("/api/docs"),
        }
    )


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a 404 in the API's shape, not the site's page."""
    return error_response(404, "No such operation.")


def operation(view: Callable) -> Callable:
    """An operation's view, answering a method the path has no operation for with a 405 in
    the API's shape, not ninja's plain text."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "application/json" not in response.get(
            "Content-Type", ""
        ):
            answer = error_response(405, "This path does not take this method.")
            answer["Allow"] = response["Allow"]
            return answer
        return response

    return wrapped
