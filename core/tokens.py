"""API tokens under the session policy (SECURITY.md 22), and a person's own list of sign-ins.

A knox token lives as a browser session does: it ends after the idle limit of its account's role
and, however busy, at the absolute limit (RECOURSE_SESSION_MAX_SECONDS; a receipt's token after
an hour). knox's own fields carry it: `expiry` is the idle deadline, moved to "now + idle limit"
on each use (AUTO_REFRESH, at most once per MIN_REFRESH_INTERVAL), so the last use is
`expiry - idle limit`; `created` starts the absolute limit. knox names a token only by its
digest, so pages name it by a hash of that: it opens nothing and shows nothing of the token.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from knox import auth
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework.exceptions import AuthenticationFailed

from core.audit import audit_record
from core.errors import DomainError
from core.models import User, UserSession
from core.sessions import end_sessions, idle_limit

RECEIPT_TOKEN_LIFETIME = timedelta(hours=1)


def token_lifetime(user: Any) -> timedelta:
    """How long a token of `user` may live however much it is used."""
    if user.is_receipt_account:
        return RECEIPT_TOKEN_LIFETIME
    return timedelta(seconds=settings.RECOURSE_SESSION_MAX_SECONDS)


def _idle(user: Any) -> timedelta:
    return timedelta(seconds=idle_limit(user))


def token_ends(token: AuthToken, user: Any) -> datetime:
    """When `token` (of `user`) stops working if it is not used before."""
    lifetime_end = token.created + token_lifetime(user)
    return min(token.expiry, lifetime_end) if token.expiry else lifetime_end


def token_public_id(token: AuthToken) -> uuid.UUID:
    """The name pages and the API give a token: a hash of knox's digest, which opens nothing."""
    digest = hashlib.sha256(f"recourse.token|{token.digest}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


@transaction.atomic
def token_create(*, user: User) -> tuple[AuthToken, str]:
    """A new API token for `user`, already signed in by the caller (an API sign-in view):
    the token and its secret. Ends the person's dead tokens; refuses past TOKEN_LIMIT_PER_USER
    live ones. Audits nothing, as no sign-in does."""
    mine = AuthToken.objects.filter(user=user)
    now = timezone.now()
    dead = [token.digest for token in mine.all() if token_ends(token, user) <= now]
    mine.filter(digest__in=dead).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and mine.count() >= limit:
        raise DomainError(
            _(
                "You are signed in to the API in too many places. End some on your account "
                "security page, or sign out everywhere, then try again."
            )
        )
    return AuthToken.objects.create(user=user, expiry=min(_idle(user), token_lifetime(user)))


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token authentication with the session policy: each use puts the idle deadline off
    (whatever `expiry` a token was made with), and past the absolute limit a token is gone."""

    def renew_token(self, auth_token: AuthToken) -> None:
        new_expiry = timezone.now() + _idle(auth_token.user)
        moved = abs((new_expiry - auth_token.expiry).total_seconds())
        if moved > knox_settings.MIN_REFRESH_INTERVAL:
            auth_token.expiry = new_expiry
            auth_token.save(update_fields=["expiry"])

    def validate_user(self, auth_token: AuthToken) -> tuple[Any, AuthToken]:
        if auth_token.created + token_lifetime(auth_token.user) <= timezone.now():
            auth_token.delete()
            raise AuthenticationFailed(_("Invalid token."))
        return super().validate_user(auth_token)


@dataclass(frozen=True)
class SignIn:
    """One place a person is signed in: a browser session or an API token. No secret."""

    id: uuid.UUID
    kind: str  # "browser" or "api"
    created: datetime
    last_used: datetime
    ends: datetime
    current: bool


def _session_sign_in(session: UserSession, user: User, current_key: str | None) -> SignIn:
    lifetime = timedelta(seconds=settings.RECOURSE_SESSION_MAX_SECONDS)
    ends = min(session.last_seen + _idle(user), session.created_at + lifetime)
    return SignIn(
        id=session.public_id,
        kind="browser",
        created=session.created_at,
        last_used=session.last_seen,
        ends=ends,
        current=session.session_key == current_key,
    )


def _token_sign_in(token: AuthToken, user: User, current: AuthToken | None) -> SignIn:
    last_used = token.created
    if token.expiry:
        last_used = min(max(token.created, token.expiry - _idle(user)), timezone.now())
    return SignIn(
        id=token_public_id(token),
        kind="api",
        created=token.created,
        last_used=last_used,
        ends=token_ends(token, user),
        current=current is not None and current.digest == token.digest,
    )


def sign_in_list(
    *, user: User, session_key: str | None = None, token: AuthToken | None = None
) -> list[SignIn]:
    """The person's own live sessions and tokens, last used first; `session_key` or `token`
    marks the one the request came with. For the person themselves; audits nothing."""
    now = timezone.now()
    sessions = UserSession.objects.filter(user=user, expire_date__gt=now).only(
        "session_key", "public_id", "created_at", "last_seen"
    )
    tokens = AuthToken.objects.filter(user=user).filter(Q(expiry__gt=now) | Q(expiry=None))
    found = [_session_sign_in(s, user, session_key) for s in sessions]
    found += [_token_sign_in(t, user, token) for t in tokens]
    live = [sign_in for sign_in in found if sign_in.ends > now]
    return sorted(live, key=lambda sign_in: sign_in.last_used, reverse=True)


def sign_in_get(*, user: User, public_id: uuid.UUID) -> UserSession | AuthToken:
    """One of the person's own sessions or tokens by its public id; anyone else's is a 404."""
    session = UserSession.objects.filter(user=user, public_id=public_id).first()
    if session is not None:
        return session
    for token in AuthToken.objects.filter(user=user):
        if token_public_id(token) == public_id:
            return token
    raise Http404


@transaction.atomic
def sign_in_end(*, actor: User, sign_in: UserSession | AuthToken) -> None:
    """The person ends one of their own sessions or tokens (from sign_in_get).
    Audits account.sign_in_ended."""
    if sign_in.user_id != actor.pk:
        raise DomainError(_("This is not one of your sign-ins."))
    sign_in.delete()
    audit_record(actor=actor, action="account.sign_in_ended", obj=actor)


@transaction.atomic
def sign_out_everywhere(*, actor: User) -> None:
    """The person ends every session and token of their own account.
    Audits account.signed_out_everywhere."""
    end_sessions(actor)
    audit_record(actor=actor, action="account.signed_out_everywhere", obj=actor)
