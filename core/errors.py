"""The one domain error type. Views turn it into form errors; the API turns it into a 400."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A rule of the domain refused the request; nothing was changed.

    It is a ValidationError, so a message can name a field (`{"file": ["Too large."]}`) and forms
    can show it next to that field.
    """
