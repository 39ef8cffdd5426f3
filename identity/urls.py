from __future__ import annotations

from django.urls import path

from identity import views

app_name = "identity"

urlpatterns = [
    path("accounts/sso/start/", views.SsoStartView.as_view(), name="sso-start"),
    path("accounts/sso/callback/", views.SsoCallbackView.as_view(), name="sso-callback"),
    path("scim/v2/Users", views.scim_users, name="scim-users"),
    path("scim/v2/Users/<str:pk>", views.scim_user, name="scim-user"),
    path("scim/v2/Groups", views.scim_groups, name="scim-groups"),
    path("scim/v2/Groups/<str:pk>", views.scim_group, name="scim-group"),
    path(
        "scim/v2/ServiceProviderConfig",
        views.scim_service_provider_config,
        name="scim-service-provider-config",
    ),
    path("scim/v2/ResourceTypes", views.scim_resource_types, name="scim-resource-types"),
    path("scim/v2/Schemas", views.scim_schemas, name="scim-schemas"),
]
