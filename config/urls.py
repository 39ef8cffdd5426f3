from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from mozilla_django_oidc.views import OIDCLogoutView

from config import views
from config.accounts import ThrottledPasswordChangeView

handler400 = "config.views.bad_request"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", include("taxonomy.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    # Ends the session, and the identity provider's too for someone who signed in through it
    # (OIDC_OP_LOGOUT_URL_METHOD). POST only.
    path("accounts/logout/", OIDCLogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        ThrottledPasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # A manager's pages keep the paths they had when they lived in assessments.
    path("assessments/teams/", include("teams.urls")),
    path("assessments/", include("assessments.urls")),
    path("", include("identity.urls")),  # single sign-on, SCIM provisioning
    path("", include("api.urls")),  # the JSON API, its reference and the token page
    path("admin/", admin.site.urls),
]
