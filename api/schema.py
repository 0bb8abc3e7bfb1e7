"""OpenAPI pieces the views share: the error bodies, and the error responses by status code.

Each view method names the errors it can return with `errors(...)`, so the schema lists every status
a client may see; the contract tests (tests/api/test_contract.py) hold the views to it."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers

_MESSAGES = {"type": "array", "items": {"type": "string"}}


class Detail(serializers.Serializer):
    """DRF's error body: one message."""

    detail = serializers.CharField()


class FieldErrors(serializers.Serializer):
    """Documentation only: its schema is FieldErrorsSchema's."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrors

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {
            "type": "object",
            "description": "Messages by field name, `non_field_errors` for the request as a "
            "whole; a list field's messages are keyed by the position of the item refused.",
            "additionalProperties": {
                "oneOf": [_MESSAGES, {"type": "object", "additionalProperties": _MESSAGES}]
            },
        }


BAD_REQUEST = PolymorphicProxySerializer(
    component_name="BadRequest",
    serializers=[FieldErrors, Detail],
    resource_type_field_name=None,
)

_DEFAULTS: dict[int, tuple[Any, str]] = {
    400: (BAD_REQUEST, "The request was refused: field errors, or a body that could not be read."),
    401: (Detail, "No valid credentials: no token or session, or an invalid or expired token."),
    403: (Detail, "Signed in, but not allowed; or, with a session cookie, the CSRF check failed."),
    404: (Detail, "No such object, or not one the caller may see."),
    413: (Detail, "The request body is larger than the server accepts."),
    415: (Detail, "The body is not in a media type the endpoint accepts."),
    429: (Detail, "Too many requests: try again after the number of seconds in Retry-After."),
}


def errors(*codes: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """The error responses for `codes`; `descriptions` replaces the general wording of one, keyed
    like `e403="Only reporter accounts."`."""
    found: dict[int, OpenApiResponse] = {}
    for code in codes:
        body, text = _DEFAULTS[code]
        found[code] = OpenApiResponse(body, descriptions.get(f"e{code}", text))
    return found
