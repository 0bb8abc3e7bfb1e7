"""Who holds which role, and how it changes (SECURITY.md 8).

Losing access takes effect at once; gaining a role that reads cases waits until an active
coordinator other than the person confirms it. Nobody changes their own role or active flag, and
administrators, who ask for roles, never confirm them. Receipt accounts have no role to change.
Every change writes its audit event in the same transaction, on the account it concerns.
"""

from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import DomainError
from core.models import Role, User
from core.sessions import end_sessions
from support.models import CaseEventKind, CaseUserObjectPermission, RoleRequest
from support.models import RoleRequestStatus as Status
from support.notifications import coordinators, notify
from support.services import record_event

CASE_ROLES = frozenset({Role.COORDINATOR, Role.SUPPORT_WORKER})


def is_administrator(actor: User) -> bool:
    """An active administrator, or a superuser (made only on the server)."""
    return bool(
        actor.is_authenticated
        and actor.is_active
        and (actor.role == Role.ADMINISTRATOR or actor.is_superuser)
    )


def _require_administrator(actor: User) -> None:
    if not is_administrator(actor):
        raise DomainError(_("Only an administrator can do this."))


def _require_coordinator(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.role == Role.COORDINATOR):
        raise DomainError(_("Only coordinators can do this."))


def _check_target(actor: User, user: User) -> None:
    if user.pk == actor.pk:
        raise DomainError(_("Nobody can change their own role or account: ask a colleague."))
    if user.is_receipt_account:
        raise DomainError(_("Receipt accounts have no role to change."))


def _grants_case_access(current: str, role: str) -> bool:
    """Whether `role` reads cases `current` does not. A coordinator who becomes a support worker
    gains nothing: they read only the cases a coordinator assigns to them, and have none yet."""
    return role in CASE_ROLES and current != Role.COORDINATOR


# Selectors


def role_pending(user: User) -> RoleRequest | None:
    """The account's request waiting for a coordinator, if any."""
    return RoleRequest.objects.filter(user=user, status=Status.PENDING).first()


def role_request_list(*, actor: User) -> QuerySet[RoleRequest]:
    """Coordinators (who decide) and administrators (who ask): the requests waiting, oldest
    first. Anyone else: none."""
    if not (is_administrator(actor) or (actor.is_active and actor.role == Role.COORDINATOR)):
        return RoleRequest.objects.none()
    return (
        RoleRequest.objects.filter(status=Status.PENDING)
        .select_related("user", "requested_by")
        .order_by("requested_at", "pk")
    )


def role_request_get(*, actor: User, public_id: UUID | str) -> RoleRequest:
    """One waiting request the actor may see, or 404."""
    try:
        return role_request_list(actor=actor).get(public_id=public_id)
    except (RoleRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# Services


def role_change_check(*, actor: User, user: User, role: str) -> None:
    """Refuse, with a DomainError, what role_set would refuse (forms show it next to the field).
    Writes nothing."""
    _require_administrator(actor)
    _check_target(actor, user)
    if role not in Role.values:
        raise DomainError({"role": [_("Choose a role from the list.")]})
    pending = role_pending(user)
    if pending is not None and pending.role == role:
        raise DomainError(
            {"role": [_("This role already waits for a coordinator's confirmation.")]}
        )
    if role == user.role and pending is None:
        raise DomainError({"role": [_("The account already has this role.")]})
    if role in CASE_ROLES and not user.is_active:
        raise DomainError({"role": [_("Enable the account before asking for a role.")]})


@transaction.atomic
def role_set(*, actor: User, user: User, role: str) -> RoleRequest | None:
    """An administrator gives another account a role. One that reads cases becomes a request
    (returned) for a coordinator to confirm; others, and any loss of case access, take effect at
    once. A request waiting for the account is withdrawn. Audits role.requested, role.changed or
    role.removed (and role.withdrawn)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    role_change_check(actor=actor, user=user, role=role)
    _withdraw(actor, user)
    if role == user.role:
        return None  # the administrator only took back what they had asked for
    if _grants_case_access(user.role, role):
        return _request(actor, user, role)
    _apply(actor, user, role)
    return None


def _request(actor: User, user: User, role: str) -> RoleRequest:
    request = RoleRequest(user=user, role=role, requested_by=actor)
    request.save()
    audit_record(actor=actor, action="role.requested", obj=user)
    # The person and the coordinators are told that something waits; the e-mail says no more.
    notify(
        recipients=[user, *coordinators()],
        kind="role_requested",
        case=None,
        key=f"role:{request.public_id}",
    )
    return request


def _apply(actor: User | None, user: User, role: str) -> None:
    """Give `user` the role now (the caller has checked it may). Losing a case role ends the
    person's case work with it: their assignments are removed, each on its case's timeline."""
    old = user.role
    user.role = role
    user.is_staff = role == Role.ADMINISTRATOR or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    end_sessions(user)  # the new role starts with a new sign-in (see role_confirm)
    if old in CASE_ROLES and role != old:
        _end_case_work(actor, user)
        audit_record(actor=actor, action="role.removed", obj=user)
    else:
        audit_record(actor=actor, action="role.changed", obj=user)


def _end_case_work(actor: User | None, user: User) -> None:
    rows = CaseUserObjectPermission.objects.filter(user=user).select_related(
        "content_object__report"
    )
    for case in {row.content_object for row in rows}:
        record_event(case, kind=CaseEventKind.UNASSIGNED, old=user.username)
        audit_record(actor=actor, action="case.unassign", obj=case)
    rows.delete()


def _withdraw(actor: User | None, user: User) -> None:
    request = RoleRequest.objects.select_for_update().filter(user=user, status=Status.PENDING)
    for pending in request:
        pending.status, pending.decided_by, pending.decided_at = (
            Status.WITHDRAWN,
            actor,
            timezone.now(),
        )
        pending.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(actor=actor, action="role.withdrawn", obj=user)


@transaction.atomic
def role_withdraw(*, actor: User, user: User) -> None:
    """An administrator takes back the request waiting for an account. Audits role.withdrawn."""
    _require_administrator(actor)
    _check_target(actor, user)
    if role_pending(user) is None:
        raise DomainError(_("No role waits for this account."))
    _withdraw(actor, user)


def _decidable(actor: User, request: RoleRequest) -> RoleRequest:
    """The request, locked, if the actor may decide it now."""
    _require_coordinator(actor)
    request = RoleRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
    if request.status != Status.PENDING:
        raise DomainError(_("This request has already been decided or withdrawn."))
    if request.user_id == actor.pk:
        raise DomainError(_("Nobody can decide on a role for themselves."))
    return request


def _decide(actor: User, request: RoleRequest, status: str) -> None:
    request.status, request.decided_by, request.decided_at = status, actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    notify(
        recipients=[request.user],
        kind="role_decided",
        case=None,
        key=f"role:{request.public_id}:decided",
    )


@transaction.atomic
def role_confirm(*, actor: User, request: RoleRequest) -> RoleRequest:
    """An active coordinator, not the person, confirms a waiting request: the role takes effect.
    Audits role.confirmed."""
    request = _decidable(actor, request)
    user = User.objects.select_for_update().get(pk=request.user_id)
    if not user.is_active or user.is_receipt_account:
        raise DomainError(_("The account is disabled: it cannot be given a role."))
    _decide(actor, request, Status.CONFIRMED)
    user.role, user.is_staff = request.role, user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    # A session or token made under the old role never carries the new one: the person signs in
    # again, and a staff role then asks for its second factor, also over the API.
    end_sessions(user)
    audit_record(actor=actor, action="role.confirmed", obj=user)
    return request


@transaction.atomic
def role_decline(*, actor: User, request: RoleRequest) -> RoleRequest:
    """An active coordinator, not the person, declines a waiting request: nothing changes for
    the account. Audits role.declined."""
    request = _decidable(actor, request)
    _decide(actor, request, Status.DECLINED)
    audit_record(actor=actor, action="role.declined", obj=request.user)
    return request


def account_active_check(*, actor: User, user: User, active: bool) -> None:
    """Refuse what account_set_active would refuse. Writes nothing."""
    _require_administrator(actor)
    _check_target(actor, user)
    if user.is_active == active:
        already = (
            _("The account is already enabled.")
            if active
            else _("The account is already disabled.")
        )
        raise DomainError({"is_active": [already]})


@transaction.atomic
def account_set_active(*, actor: User, user: User, active: bool) -> None:
    """An administrator disables another account (its sessions and tokens end, a case role is
    removed with its assignments, a waiting request withdrawn) or enables it again, with the role
    it was left with. Audits account.disabled or account.enabled (and role.removed)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    account_active_check(actor=actor, user=user, active=active)
    if not active:
        _withdraw(actor, user)
        if user.role in CASE_ROLES:
            _apply(actor, user, Role.REPORTER)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        end_sessions(user)
    audit_record(actor=actor, action="account.enabled" if active else "account.disabled", obj=user)


@transaction.atomic
def coordinator_create(*, username: str) -> User:
    """On the server only (manage.py coordinator_create): an existing active account becomes a
    coordinator, so that the first coordinator exists to confirm others. Audits role.confirmed
    with an empty actor."""
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise DomainError(_("No account has this username."))
    if user.is_receipt_account:
        raise DomainError(_("A receipt account cannot be given a role."))
    if not user.is_active:
        raise DomainError(_("The account is disabled."))
    if user.role == Role.COORDINATOR:
        raise DomainError(_("The account is already a coordinator."))
    _withdraw(None, user)
    user.role, user.is_staff = Role.COORDINATOR, user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    audit_record(actor=None, action="role.confirmed", obj=user)
    return user
