"""The API's JSON parser: DRF's, with the cost of a body bounded before Python's json sees it.

Python's json module recurses once per level of nesting: a 2 MiB body of "[" (well within the
size limit) exhausts the interpreter's stack and would end in a 500. Our deepest real body is a
few levels deep, so anything past MAX_DEPTH is refused with a 400 before it is parsed. The size of
the body is bounded by Django's DATA_UPLOAD_MAX_MEMORY_SIZE (a 413, see api.errors): DRF reads a
JSONParser's body through request.body, which enforces it.
"""

import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from core.json_limits import MAX_DEPTH, nesting_depth


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 is valid JSON but has no value in any of our fields
        raise ValueError(f"Out of range float value: {text[:20]}")
    return value


class BoundedJSONParser(JSONParser):
    """JSON with at most MAX_DEPTH levels of nesting and finite numbers only; else a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = stream.read().decode(encoding)
        except (LookupError, UnicodeError) as exc:  # LookupError: not a text encoding
            raise ParseError(
                _("The request body is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from exc
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(
                _("JSON parse error - the body is nested more than %(depth)d levels deep.")
                % {"depth": MAX_DEPTH}
            )
        try:
            return json.loads(
                text,
                # NaN and Infinity are not JSON (DRF's strict mode also refuses them).
                parse_constant=json.strict_constant,
                parse_float=_finite_float,
            )
        except (ValueError, RecursionError) as exc:
            # RecursionError cannot happen after the depth check; kept so that a gap in it
            # would still be a 400. ValueError includes ints past Python's 4,300-digit limit.
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
