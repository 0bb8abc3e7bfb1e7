"""Sealed fields: padded, AEAD-encrypted values bound to their table, public id and field name."""

import json
from typing import Any
from uuid import UUID

from core.crypto import aead
from core.crypto.errors import CryptoError

# Plaintext is padded up to one of these sizes (then to whole 4 KiB blocks) so lengths leak little.
BUCKETS = (64, 256, 1024, 4096)
LARGE_BLOCK = 4096
_MARK = b"\x80"


def padded_length(length: int) -> int:
    needed = length + 1  # room for the end mark
    for bucket in BUCKETS:
        if needed <= bucket:
            return bucket
    return -(-needed // LARGE_BLOCK) * LARGE_BLOCK


def pad(data: bytes) -> bytes:
    return data + _MARK + b"\x00" * (padded_length(len(data)) - len(data) - 1)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(_MARK):
        raise CryptoError("The sealed value's padding is malformed.")
    return stripped[:-1]


def field_context(table: str, public_id: UUID | str, field: str) -> str:
    return f"field:{table}:{public_id}:{field}"


def seal_bytes(key: bytes, data: bytes, *, table: str, public_id: UUID | str, field: str) -> bytes:
    return aead.seal(key, pad(data), context=field_context(table, public_id, field))


def open_bytes(key: bytes, blob: bytes, *, table: str, public_id: UUID | str, field: str) -> bytes:
    return unpad(aead.open_blob(key, bytes(blob), context=field_context(table, public_id, field)))


def seal_value(key: bytes, value: Any, *, table: str, public_id: UUID | str, field: str) -> bytes:
    """Seal any JSON-serializable value (text, list of identifiers, ...)."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return seal_bytes(key, data, table=table, public_id=public_id, field=field)


def open_value(key: bytes, blob: bytes, *, table: str, public_id: UUID | str, field: str) -> Any:
    data = open_bytes(key, blob, table=table, public_id=public_id, field=field)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CryptoError("The sealed value is not valid JSON.") from exc
