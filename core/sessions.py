"""Browser sessions under one policy, and ending a person's sessions and API tokens on the server.

SESSION_ENGINE names this module: its SessionStore is Django's database store with our own
session model (core.models.UserSession), extended the documented way, so that each session row
knows its account and a person's sessions are found without decoding everyone's.
"""

import time
import uuid
from datetime import UTC, datetime
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from knox.models import AuthToken

from core.models import STAFF_ROLES, User, UserSession

# Kept in the session's own data (core.middleware.SessionPolicyMiddleware reads and writes the
# first two); the store copies them to the row's columns.
SESSION_STARTED = "recourse.started"
SESSION_SEEN = "recourse.seen"
SESSION_ID = "recourse.id"


def idle_limit(user: Any) -> int:
    """Seconds without activity after which a sign-in of `user` ends: sooner for staff."""
    staff = user.role in STAFF_ROLES or user.is_staff
    return settings.RECOURSE_STAFF_IDLE_SECONDS if staff else settings.RECOURSE_IDLE_SECONDS


def _stamp(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=UTC) if isinstance(seconds, int) else None


class SessionStore(DatabaseStore):
    """Django's database session store, writing core.models.UserSession rows."""

    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def cycle_key(self) -> None:
        # The new row is written while the old one still exists, so it takes a public id of
        # its own (a unique column: the same one would fail, and Django's create() retries).
        self.pop(SESSION_ID, None)
        super().cycle_key()

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        # Every save writes every column, so what must stay put (the public id, when it
        # started) lives in the session's data and is copied from there. The data is the
        # session's own dictionary: what is added here is also what gets encoded.
        user_id = data.get(SESSION_KEY)
        if user_id is not None:
            data.setdefault(SESSION_ID, str(uuid.uuid4()))
            data.setdefault(SESSION_STARTED, int(time.time()))
        obj = cast(UserSession, super().create_model_instance(data))
        obj.user_id = int(str(user_id)) if str(user_id or "").isdigit() else None
        if SESSION_ID in data:
            obj.public_id = uuid.UUID(data[SESSION_ID])
        obj.created_at = _stamp(data.get(SESSION_STARTED)) or obj.created_at
        obj.last_seen = _stamp(data.get(SESSION_SEEN)) or obj.created_at
        return obj


def end_sessions(user: User) -> int:
    """Delete every session and API token of `user`; returns how many live sessions ended."""
    AuthToken.objects.filter(user=user).delete()
    sessions = UserSession.objects.filter(user=user)
    live = sessions.filter(expire_date__gt=timezone.now()).count()
    sessions.delete()
    return live


@receiver(pre_save, sender=User)
def _end_sessions_of_disabled_account(sender: type[User], instance: User, **kwargs: object) -> None:
    """Disabling an account ends its sessions and tokens at once, wherever it is disabled."""
    if instance.pk is None or instance.is_active:
        return
    if User.objects.filter(pk=instance.pk, is_active=True).exists():
        end_sessions(instance)
