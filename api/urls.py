from __future__ import annotations

from django.urls import URLPattern, include, path, re_path

from api import views
from api.endpoints import api

app_name = "api"


def _operations() -> list[URLPattern]:
    patterns, _app, _namespace = api.urls
    for pattern in patterns:
        if pattern.name == "api-root":  # ninja's is a 404 that names its docs
            pattern.callback = views.api_root
        else:
            pattern.callback = views.operation(pattern.callback)
    return patterns


urlpatterns = [
    path("api/docs", views.api_docs, name="docs"),
    path("api/", include(_operations())),
    re_path(r"^api/(?P<rest>.*)$", views.not_found),
    path("accounts/tokens/", views.token_list, name="token-list"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
