"""Writes that follow what the identity provider says: a sign-in, a provisioning request."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.models import Identity, ScimGroup
from identity.scim import ScimError
from taxonomy.models import Occupation
from teams.models import Membership, Team
from teams.services import assignment_join

ROLES = ("technician", "manager", "taxonomy-admin")


class SignInRefused(Exception):
    """The provider vouched for someone we will not sign in as the account they match."""


def _claimed_groups(claims: dict) -> list[str]:
    value = claims.get(settings.OIDC_ROLES_CLAIM) or []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return [str(v) for v in value] if isinstance(value, list) else []


def roles_from_claims(claims: dict) -> set[str]:
    """The roles OIDC_ROLE_MAP gives the provider's groups (none when none maps)."""
    return {
        settings.OIDC_ROLE_MAP[g] for g in _claimed_groups(claims) if g in settings.OIDC_ROLE_MAP
    }


def user_set_roles(*, user: User, roles: Iterable[str]) -> None:
    """Make the user's roles exactly `roles` (their other groups stay); the taxonomy
    admin role opens the admin, so it carries is_staff (a superuser keeps theirs)."""
    roles = set(roles)
    user.groups.remove(*Group.objects.filter(name__in=set(ROLES) - roles))
    user.groups.add(*Group.objects.filter(name__in=roles))
    staff = "taxonomy-admin" in roles or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def unique_username(wanted: str) -> str:
    """`wanted`, or with a number after it when someone has it already: a provider's name
    never takes over a local account of the same name."""
    base = wanted.strip()[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _verified(claims: dict) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


@transaction.atomic
def sso_sign_in(*, issuer: str, claims: dict) -> User:
    """The person the provider signed in: found by its subject; else a person SCIM
    provisioned from the same provider, by user name; else an account with the same
    e-mail when the provider says the address is verified; else a new account. Their
    names, e-mail and roles then follow the claims."""
    subject = str(claims["sub"])
    email = str(claims.get("email") or "")
    identity = (
        Identity.objects.select_for_update()
        .select_related("user")
        .filter(oidc_issuer=issuer, oidc_subject=subject)
        .first()
    )
    user = identity.user if identity else None
    if user is None:
        names = [str(claims[c]) for c in ("preferred_username", "email", "upn") if claims.get(c)]
        same_name = models.Q(pk__in=[])
        for name in names:
            same_name |= models.Q(user__username__iexact=name)
        provisioned = (
            Identity.objects.filter(same_name, scim_provisioned=True, oidc_subject="")
            .filter(scim_deleted_at__isnull=True)
            .select_related("user")
            .first()
        )
        user = provisioned.user if provisioned else None
    if user is None and email:
        same_email = list(User.objects.filter(email__iexact=email))
        if same_email and not _verified(claims):
            raise SignInRefused(
                _("The provider has not verified %(email)s, which an account here has.")
                % {"email": email}
            )
        if len(same_email) > 1:
            raise SignInRefused(
                _("Several accounts here have the e-mail %(email)s.") % {"email": email}
            )
        user = same_email[0] if same_email else None
    if user is None:
        username = claims.get("preferred_username") or email or f"sso-{subject}"
        user = User(username=unique_username(str(username)))
        user.set_unusable_password()
    identity = Identity.objects.filter(user=user).first() if user.pk else None
    if identity is not None and identity.oidc_subject and identity.oidc_subject != subject:
        raise SignInRefused(_("This account is linked to another identity at the provider."))

    user.first_name = str(claims.get("given_name") or user.first_name)[:150]
    user.last_name = str(claims.get("family_name") or user.last_name)[:150]
    if email and (not user.email or _verified(claims)):
        user.email = email
    user.save()
    Identity.objects.update_or_create(
        user=user, defaults={"oidc_issuer": issuer, "oidc_subject": subject}
    )
    roles = roles_from_claims(claims)
    if Identity.objects.filter(manager=user, user__is_active=True).exists():
        roles.add("manager")  # provisioning names them someone's manager: keep them one
    user_set_roles(user=user, roles=roles or {"technician"})
    return user


def team_sync_managers(*, team: Team, dropped: Iterable[User | None] = ()) -> None:
    """The managers the provider names for the team's active members (the enterprise
    extension's manager) manage it, in the manager role; a manager no member names any
    more (`dropped`, who was named before a change) stops managing it."""
    named = set(
        Identity.objects.filter(
            user__memberships__team=team, user__is_active=True, manager__isnull=False
        ).values_list("manager", flat=True)
    )
    managers = User.objects.filter(pk__in=named, is_active=True)
    role = Group.objects.get(name="manager")
    for manager in managers:
        manager.groups.add(role)
    team.managers.add(*managers)
    gone = [u.pk for u in dropped if u is not None and u.pk not in named]
    if gone:
        team.managers.remove(*gone)


def scim_people() -> models.QuerySet[User]:
    """The people provisioning may see and change: not superusers (the break-glass
    accounts stay out of the provider's reach), not those it deleted."""
    return User.objects.filter(is_superuser=False).exclude(identity__scim_deleted_at__isnull=False)


def scim_user_save(*, user: User | None, state: dict) -> User:
    """Create (user None) or change a person to be `state` (identity.scim's keys): their
    account, identity, and the managers of their teams. One transaction with the request."""
    name = state["userName"]
    taken = User.objects.filter(username__iexact=name)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    revived = None
    if user is None:
        # A person the provider deleted comes back under the same name: their history too.
        revived = taken.filter(identity__scim_deleted_at__isnull=False, is_superuser=False).first()
        taken = taken.exclude(pk=revived.pk) if revived else taken
    if taken.exists():
        raise ScimError(409, f"userName {name!r} is taken.", "uniqueness")
    manager = None
    if state["manager"] is not None:
        manager = scim_people().filter(pk=scim_id(state["manager"])).first()
        if manager is None:
            raise ScimError(400, f"No user {state['manager']!r} to be the manager.", "invalidValue")
        if user is not None and manager.pk == user.pk:
            raise ScimError(400, "A person cannot be their own manager.", "invalidValue")

    user = user or revived or User(username=name)
    if user.pk is None:
        user.set_unusable_password()
    user.username = name
    user.first_name = state["givenName"]
    user.last_name = state["familyName"]
    user.email = state["email"]
    user.is_active = state["active"]
    user.save()
    if not user.groups.filter(name__in=ROLES).exists():
        user.groups.add(Group.objects.get(name="technician"))
    identity, _created = Identity.objects.get_or_create(user=user)
    before = identity.manager
    identity.scim_external_id = state["externalId"]
    identity.scim_provisioned = True
    identity.scim_deleted_at = None
    identity.manager = manager
    identity.save()
    for team in Team.objects.filter(memberships__user=user):
        team_sync_managers(team=team, dropped=[before])
    return user


def scim_user_delete(*, user: User) -> None:
    """Deleted by the provider: deactivated and out of its sight; assessments stay."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    identity, _created = Identity.objects.get_or_create(user=user)
    identity.scim_deleted_at = timezone.now()
    identity.scim_provisioned = True
    identity.save()
    for team in Team.objects.filter(memberships__user=user):
        team_sync_managers(team=team, dropped=[identity.manager])


def scim_id(value: str) -> int:
    """Our id as SCIM gives it (a string); 0, which nothing has, when it is no number."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


def scim_group_save(*, team: Team | None, state: dict) -> Team:
    """Create (team None) or change a team to be `state`: its name, the provider's id
    for it, its members (every one must exist) and the managers they name."""
    name = state["displayName"]
    taken = Team.objects.filter(name__iexact=name)
    if team is not None:
        taken = taken.exclude(pk=team.pk)
    if taken.exists():
        raise ScimError(409, f"A team named {name!r} exists.", "uniqueness")
    current = set(team.memberships.values_list("user_id", flat=True)) if team else set()
    # A new member must be someone provisioning sees; one already there stays even when
    # it does not (deleted by the provider, kept with their history).
    ids = {scim_id(m) for m in state["members"]}
    known = current | set(scim_people().filter(pk__in=ids).values_list("pk", flat=True))
    if missing := [m for m in state["members"] if scim_id(m) not in known]:
        raise ScimError(400, f"No user {missing[0]!r} to be a member.", "invalidValue")
    if team is None:
        occupation = Occupation.objects.filter(code=settings.SCIM_TEAM_OCCUPATION).first()
        if occupation is None:
            raise ScimError(
                400,
                f"SCIM_TEAM_OCCUPATION={settings.SCIM_TEAM_OCCUPATION!r} names no occupation.",
                "invalidValue",
            )
        team = Team(occupation=occupation)
    team.name = name
    team.save()
    ScimGroup.objects.update_or_create(team=team, defaults={"external_id": state["externalId"]})
    wanted = ids
    gone = current - wanted
    dropped = [i.manager for i in Identity.objects.filter(user__in=gone).select_related("manager")]
    team.memberships.filter(user__in=gone).delete()
    for pk in wanted - current:  # one by one, so the audit trail records each
        assignment_join(membership=Membership.objects.create(team=team, user_id=pk))
    team_sync_managers(team=team, dropped=dropped)
    return team
