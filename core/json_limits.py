"""How deep a JSON text nests, measured before Python's json recurses into it.

Python's json module recurses once per level of nesting: a body of a few megabytes of "[" exhausts
the interpreter's stack. Our deepest real value is a few levels deep, so the API's parser and the
admin's JSON fields refuse anything past MAX_DEPTH before parsing it.
"""

from typing import Any

import numpy as np
from django import forms
from django.utils.translation import gettext_lazy as _

MAX_DEPTH = 32

# Every step below runs in C (bytes methods, numpy) over the UTF-8 bytes of the text, in which
# none of these characters can be part of a longer one: the cost is linear in the body's size.
_STEP = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # +1 and -1 as signed bytes
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))


def nesting_depth(text: str) -> int:
    """How deep the JSON text nests arrays and objects; brackets inside strings do not count.

    Up to the first error json would stop at, this is the depth json would recurse to."""
    data = text.encode("utf-8", "surrogatepass")
    # An escaped backslash escapes nothing else; with those pairs gone, so can escaped quotes.
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Every other quote now opens a string: the text outside strings is every other piece.
    outside = b"".join(data.split(b'"')[::2])
    steps = np.frombuffer(outside.translate(_STEP, _NOT_BRACKET), dtype=np.int8)
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


class BoundedJSONField(forms.JSONField):
    """Django's JSON form field, refusing text nested deeper than MAX_DEPTH with a clear error
    (Django's own would end in a RecursionError, a 500)."""

    default_error_messages = {
        "too_deep": _("This value is nested more than %(depth)d levels deep."),
    }

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and nesting_depth(value) > MAX_DEPTH:
            raise forms.ValidationError(
                self.error_messages["too_deep"], code="too_deep", params={"depth": MAX_DEPTH}
            )
        return super().to_python(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        if isinstance(data, str) and nesting_depth(data) > MAX_DEPTH:
            return forms.fields.InvalidJSONInput(data)
        return super().bound_data(data, initial)
