"""The one domain error type. Views turn it into form errors; the API turns it into a 400."""

from typing import Any

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A rule of the domain refused the request; nothing was changed.

    It is a ValidationError, so a message can name a field (`{"file": ["Too large."]}`) and forms
    can show it next to that field.
    """


def validated(instance: Any, *, exclude: list[str] | None = None) -> Any:
    """Run the model's own validation, refusing with a DomainError (so every edge shows it)."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise DomainError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
    return instance
