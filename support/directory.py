"""Administrators' edits of the resource directory, each in the audit chain (SECURITY.md 8)."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import DomainError, validated
from core.models import User
from support.models import Match, Resource
from support.roles import is_administrator


def _require_administrator(actor: User) -> None:
    if not is_administrator(actor):
        raise DomainError(_("Only an administrator can change the resource directory."))


@transaction.atomic
def resource_save(*, actor: User, resource: Resource) -> Resource:
    """An administrator adds a resource (no primary key yet) or saves their changes to one.
    Audits resource.created or resource.changed."""
    _require_administrator(actor)
    created = resource.pk is None
    validated(resource)
    resource.save()
    audit_record(
        actor=actor, action="resource.created" if created else "resource.changed", obj=resource
    )
    return resource


def resource_in_use(resource: Resource) -> bool:
    """Whether some case's suggestions name the resource."""
    return Match.objects.filter(resource=resource).exists()


@transaction.atomic
def resource_delete(*, actor: User, resource: Resource) -> None:
    """An administrator removes a resource that no case's suggestions name (one that some do is
    made inactive instead, so that no case loses its history). Audits resource.deleted."""
    _require_administrator(actor)
    if resource_in_use(resource):
        raise DomainError(
            _("Cases' suggestions name this resource: make it inactive instead of deleting it.")
        )
    audit_record(actor=actor, action="resource.deleted", obj=resource)
    resource.delete()
