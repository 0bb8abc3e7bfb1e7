"""Writes about accounts."""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import DomainError
from core.models import Role, User

# Sign-up adds "-" and 4 characters to the name typed (riley → riley-7QK3), so it never has to
# refuse a name and so never tells anyone which names, a staff member's included, are in use.
# Crockford's base32, as receipts use (incidents/receipts.py): no I, L, O or U to misread.
USERNAME_SUFFIX_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
USERNAME_SUFFIX_LENGTH = 4
SIGNUP_NAME_MAX_LENGTH = 150 - 1 - USERNAME_SUFFIX_LENGTH  # the name, "-" and suffix fit in 150
# 32**4 suffixes per name: ten draws that are all taken mean the name is used about a million times.
_SUFFIX_DRAWS = 10


def _username_draw(name: str) -> str:
    suffix = "".join(
        secrets.choice(USERNAME_SUFFIX_ALPHABET) for _ in range(USERNAME_SUFFIX_LENGTH)
    )
    return f"{name}-{suffix}"


def _signup_errors(name: str, user: User, password: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        # Uniqueness is the drawing's business (_save_under_a_free_name), never the person's.
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not name:
        errors["username"] = [_("Choose a name to sign in with.")]
    elif len(name) > SIGNUP_NAME_MAX_LENGTH:
        errors["username"] = [
            _("Choose a name of at most %(count)d characters.") % {"count": SIGNUP_NAME_MAX_LENGTH}
        ]
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    return errors


def _save_under_a_free_name(user: User, name: str) -> None:
    for _draw in range(_SUFFIX_DRAWS):
        # Case-insensitively free, so that no two accounts differ only in case.
        if not User.objects.filter(username__iexact=user.username).exists():
            try:
                with transaction.atomic():
                    user.save()
                return
            except IntegrityError:
                pass  # drawn by another sign-up at the same moment
        user.username = _username_draw(name)
    raise DomainError({"username": [_("That name could not be used just now. Try another.")]})


@transaction.atomic
def account_signup(*, username: str, password: str) -> User:
    """Anyone creates a reporter account named what they typed plus a random suffix (the account's
    username says which). Audits account.signup."""
    name = username.strip()
    user = User(username=_username_draw(name), role=Role.REPORTER)
    errors = _signup_errors(name, user, password)
    if errors:
        raise DomainError(errors)
    user.set_password(password)
    _save_under_a_free_name(user, name)
    audit_record(actor=user, action="account.signup", obj=user)
    return user
