"""Per-report data keys (DEKs), stored only wrapped under a key-encryption key of the keyring."""

import secrets
from uuid import UUID

from core.crypto import aead
from core.crypto.keyring import Keyring

DEK_BYTES = 32


def new_dek() -> bytes:
    return secrets.token_bytes(DEK_BYTES)


def wrap_context(owner_id: UUID | str, recipient_kind: str, recipient: str) -> str:
    return f"dek:{owner_id}:{recipient_kind}:{recipient}"


def wrap_dek(dek: bytes, *, keyring: Keyring, kek_id: str, context: str) -> bytes:
    return aead.seal(keyring.kek(kek_id), dek, context=context)


def unwrap_dek(wrapped: bytes, *, keyring: Keyring, kek_id: str, context: str) -> bytes:
    return aead.open_blob(keyring.kek(kek_id), bytes(wrapped), context=context)
