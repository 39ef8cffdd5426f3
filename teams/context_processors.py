from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def teams(request: HttpRequest) -> dict:
    """`manages_teams` for the navigation; queried only when a template reads it."""
    # An error page rendered before the authentication middleware ran (a 400 for a host
    # not served) has no user: nobody manages anything there.
    user = getattr(request, "user", None)
    if user is None:
        return {"manages_teams": False}
    return {
        "manages_teams": SimpleLazyObject(
            lambda: (
                user.is_authenticated
                and user.managed_teams.exists()
                and user.has_perm("teams.manage_team")
            )
        )
    }
