class CryptoError(Exception):
    """A blob could not be opened: wrong key, wrong place, truncated or altered."""


class KeyringError(Exception):
    """The keyring is missing, unreadable or malformed."""
