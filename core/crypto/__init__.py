"""Encryption at rest: keyring, per-report envelopes, sealed fields, streamed files, blind index."""

from core.crypto.errors import CryptoError, KeyringError

__all__ = ["CryptoError", "KeyringError"]
