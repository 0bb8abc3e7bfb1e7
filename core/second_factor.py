"""The second factor: TOTP from an authenticator app, with a few single-use backup codes.

Every staff role must have one (SECURITY.md 11); a reporter may choose to. A person enrols only
their own device, and nobody, administrators included, is ever shown another person's secret:
an administrator can only remove a person's devices so that they enrol again.
"""

import secrets
from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import audit_record
from core.errors import DomainError
from core.models import STAFF_ROLES, Role, User
from core.sessions import end_sessions

BACKUP_CODE_COUNT = 8
TOTP_NAME = "authenticator"
BACKUP_NAME = "backup"


def required_for(user: User) -> bool:
    """Staff must use a second factor; so must anyone who enrolled one."""
    if user.role in STAFF_ROLES or user.is_staff or user.is_superuser:
        return True
    return has_device(user)


def has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret for the person's own app, on their screen only.
    `key` (hex) waits in their session until a code confirms it; nothing is stored before."""

    key: str
    secret: str  # base32, as authenticator apps take it
    uri: str  # otpauth:// for the QR code


def _pending_device(user: User, key: str | None) -> TOTPDevice:
    """An unsaved device for `user`: with `key` if it is a well-formed pending key, else new."""
    if not (key and len(key) == 40 and all(c in "0123456789abcdef" for c in key)):
        key = secrets.token_hex(20)
    return TOTPDevice(user=user, name=TOTP_NAME, key=key, confirmed=False)


def totp_begin(user: User, pending: str | None = None) -> Enrolment:
    """Start (or resume, with the pending key) the user's own enrolment. Writes nothing; refused
    once a device is confirmed."""
    if has_device(user):
        raise DomainError(_("You already have an authenticator app set up."))
    device = _pending_device(user, pending)
    return Enrolment(
        key=device.key, secret=b32encode(device.bin_key).decode(), uri=device.config_url
    )


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@transaction.atomic
def totp_confirm(user: User, pending: str | None, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending key with a current code from the app: the device is saved, with fresh
    backup codes, which are returned. Audits second_factor.enrolled."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time
    if has_device(user):
        raise DomainError(_("You already have an authenticator app set up."))
    if not pending:
        raise DomainError(_("Start again: there is no authenticator app waiting to be set up."))
    device = _pending_device(user, pending)
    if device.key != pending:
        raise DomainError(_("Start again: there is no authenticator app waiting to be set up."))
    token = _normalise(code)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not (token.isdigit() and totp.verify(int(token), tolerance=device.tolerance)):
        raise DomainError(
            {"code": [_("That code is not right. Check the time on your phone and try again.")]}
        )
    TOTPDevice.objects.filter(user=user).delete()
    device.confirmed, device.last_t, device.drift = True, totp.t(), totp.drift
    device.save()
    codes = _new_backup_codes(user)
    audit_record(actor=user, action="second_factor.enrolled", obj=user)
    return device, codes


def _new_backup_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


@transaction.atomic
def backup_codes_renew(user: User) -> list[str]:
    """Replace the user's backup codes (the old ones stop working). Audits
    second_factor.backup_codes_renewed."""
    if not has_device(user):
        raise DomainError(_("Set up an authenticator app first."))
    codes = _new_backup_codes(user)
    audit_record(actor=user, action="second_factor.backup_codes_renewed", obj=user)
    return codes


class Throttled(DomainError):
    """Too many wrong codes in a row: the device refuses codes for a while."""


def verify(user: User, code: str) -> Device | None:
    """The user's confirmed device that accepts `code` (each code works once), or None.
    Raises Throttled while wrong codes have the devices waiting."""
    token = _normalise(code or "")
    if not token:
        return None
    devices = list(devices_for_user(user, confirmed=True))
    allowed = [d for d in devices if d.verify_is_allowed()[0]]
    if devices and not allowed:
        raise Throttled(_("Too many wrong codes. Wait a minute, then try again."))
    with transaction.atomic():
        for device in allowed:
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(token):
                return locked
    return None


@transaction.atomic
def second_factor_reset(*, actor: User, user: User) -> None:
    """An administrator removes a person's devices so that they enrol again at next sign-in;
    the secret itself is never shown. Their open sessions and tokens end. Audits
    second_factor.reset."""
    if not (actor.role == Role.ADMINISTRATOR and actor.is_active):
        raise DomainError(_("Only an administrator can reset a second factor."))
    if actor.pk == user.pk:
        raise DomainError(_("Ask another administrator to reset your own second factor."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    end_sessions(user)
    audit_record(actor=actor, action="second_factor.reset", obj=user)
