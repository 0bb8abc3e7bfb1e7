"""Writes about accounts."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import DomainError
from core.models import Role, User


@transaction.atomic
def account_signup(*, username: str, password: str) -> User:
    """Anyone creates a reporter account. Audits account.signup."""
    username = username.strip()
    user = User(username=username, role=Role.REPORTER)
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("That username is taken. Choose another.")]
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise DomainError(errors)
    user.set_password(password)
    user.save()
    audit_record(actor=user, action="account.signup", obj=user)
    return user
