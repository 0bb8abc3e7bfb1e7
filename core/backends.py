"""The one authentication backend for accounts (SECURITY.md 8).

- A receipt account never signs in with a password, even if one was set in the database: it opens
  only with its receipt (incidents.services.receipt_authenticate), whose session this backend still
  loads.
- Django permissions (what the admin site lets someone do) follow the account's role alone: no
  per-user permission or group stored in the database counts, so nobody can grant themselves
  powers by editing those rows. Superusers are made only on the server (`createsuperuser`).
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest

from core.models import Role, User

# What an administrator manages in the admin site: accounts (role and active flag only, through
# support.admin), the resource directory, failed notification e-mails, and the task cluster's
# failures, read-only. Nothing that opens a case: administrators have no case role.
ADMINISTRATOR_PERMISSIONS = frozenset(
    {
        "core.view_user",
        "core.change_user",
        "support.view_resource",
        "support.add_resource",
        "support.change_resource",
        "support.delete_resource",
        "support.view_notification",
        "django_q.view_failure",
        "django_q.view_success",
        "django_q.view_schedule",
        "django_q.view_ormq",
    }
)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {Role.ADMINISTRATOR: ADMINISTRATOR_PERMISSIONS}

AnyUser = AbstractBaseUser | AnonymousUser


class RecourseBackend(ModelBackend):
    """ModelBackend with receipt accounts refused a password sign-in and permissions by role."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # The password is checked first either way, so a refusal takes as long as a wrong one.
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or getattr(user, "is_receipt_account", False):
            return None
        return user

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = await super().aauthenticate(request, username=username, password=password, **kwargs)
        if user is None or getattr(user, "is_receipt_account", False):
            return None
        return user

    def get_user_permissions(self, user_obj: AnyUser, obj: Any = None) -> set[str]:
        """The permissions of the account's role; rows in user_permissions are ignored."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), frozenset()))

    async def aget_user_permissions(self, user_obj: AnyUser, obj: Any = None) -> set[str]:
        return self.get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj: AnyUser, obj: Any = None) -> set[str]:
        """Groups grant nothing here (and cannot be edited on the site)."""
        return set()

    async def aget_group_permissions(self, user_obj: AnyUser, obj: Any = None) -> set[str]:
        return set()

    def with_perm(
        self,
        perm: Any,
        is_active: bool = True,
        include_superusers: bool = True,
        obj: Any = None,
    ) -> QuerySet[User]:
        """The accounts whose role carries `perm` (and superusers), as has_perm answers."""
        name = perm if isinstance(perm, str) else f"{perm.content_type.app_label}.{perm.codename}"
        roles = [role for role, perms in ROLE_PERMISSIONS.items() if name in perms]
        if obj is not None:
            return User.objects.none()
        found = User.objects.filter(role__in=roles)
        if include_superusers:
            found = found | User.objects.filter(is_superuser=True)
        if is_active is not None:
            found = found.filter(is_active=is_active)
        return found
