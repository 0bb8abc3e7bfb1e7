"""AES-256-GCM blobs whose associated data names the place they belong to.

A blob is: version byte (1) | 96-bit random nonce | ciphertext and tag. The context string (table,
public id, field, ...) is bound as associated data, so a blob moved anywhere else fails to open.
"""

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.crypto.errors import CryptoError

VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
_PREFIX = b"recourse:v1:"


def _aad(context: str) -> bytes:
    return _PREFIX + context.encode("utf-8")


def seal(key: bytes, plaintext: bytes, *, context: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, _aad(context))


def open_blob(key: bytes, blob: bytes, *, context: str) -> bytes:
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != VERSION:
        raise CryptoError("The sealed value is truncated or of an unknown version.")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, _aad(context))
    except InvalidTag:
        raise CryptoError(
            "The sealed value does not open here: wrong key, place or content."
        ) from None
