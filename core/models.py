import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    SUPPORT_WORKER = "support_worker", _("Support worker")
    COORDINATOR = "coordinator", _("Coordinator")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")


STAFF_ROLES = frozenset({Role.SUPPORT_WORKER, Role.COORDINATOR, Role.ANALYST, Role.ADMINISTRATOR})


class User(AbstractUser):
    """An account. `role` decides what the person may do; case access also needs a case grant."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REPORTER)
    # An account made for one anonymous report: it signs in with that report's receipt only.
    is_receipt_account = models.BooleanField(default=False)

    class Meta:
        db_table = "core_user"

    def __str__(self) -> str:
        return self.username

    @property
    def is_reporter(self) -> bool:
        return self.role == Role.REPORTER


class AuditEvent(models.Model):
    """One append-only, hash-chained record: who did what to which object, when. Never content."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditHead(models.Model):
    """The chain's latest hash and length, one row, locked while appending (serializes writers)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)
    length = models.BigIntegerField(default=0)
    seal = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head {self.length}"


class RecipientKind(models.TextChoices):
    # Phase 1 wraps every data key to the keyring's active KEK. Phase 2 adds wraps to people's keys.
    KEYRING = "keyring", _("Keyring")


class KeyWrap(models.Model):
    """One wrapping of an owner's data key for one recipient; the data key is never stored."""

    owner_type = models.CharField(max_length=64)
    owner_id = models.UUIDField()
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    recipient = models.CharField(max_length=64)
    kek_id = models.CharField(max_length=16, db_index=True)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "recipient_kind", "recipient"],
                name="keywrap_one_per_recipient",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_type}:{self.owner_id} → {self.recipient_kind}:{self.recipient}"


class UserSession(AbstractBaseSession):
    """A browser session (Django's database session) with the account it belongs to, so that a
    person's sessions are listed and ended without decoding everyone's. The session key stays
    the only secret; `public_id` names a session on pages and in URLs instead. The columns are
    filled from the session's own data on every save (core.sessions.SessionStore)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta(AbstractBaseSession.Meta):
        db_table = "core_usersession"

    @classmethod
    def get_session_store_class(cls) -> type[Any]:
        from core.sessions import SessionStore  # the store imports this model

        return SessionStore
