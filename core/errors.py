"""The one domain error type. Views turn it into form errors; the API turns it into a 400."""

from typing import Any

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A rule of the domain refused the request; nothing was changed.

    It is a ValidationError, so a message can name a field (`{"file": ["Too large."]}`) and forms
    can show it next to that field.
    """


# Exclude from `validated` on a new row: its public_id is a fresh random UUID, so asking the
# database whether it is taken (a query per row) is pointless; the unique constraint still holds.
FRESH_ID = ("public_id",)


def validated(instance: Any, *, exclude: list[str] | None = None) -> Any:
    """Run the model's own validation, refusing with a DomainError (so every edge shows it)."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise DomainError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
    return instance
