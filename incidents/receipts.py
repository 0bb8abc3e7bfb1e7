"""Receipts for anonymous reports: 28 characters of Crockford base32 read aloud in groups of four.

The first 5 characters are a lookup prefix (25 bits); the other 23 are the secret (115 bits from
`secrets`), stored only as an Argon2id hash. A receipt opens exactly one report.
"""

import secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOOKUP_CHARS = 5
SECRET_CHARS = 23
LENGTH = LOOKUP_CHARS + SECRET_CHARS
SECRET_BITS = SECRET_CHARS * 5
# Letters people misread or mistype, mapped as Crockford's base32 does.
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


@dataclass(frozen=True)
class ReceiptParts:
    lookup: str
    secret: str

    @property
    def text(self) -> str:
        return self.lookup + self.secret


def receipt_generate() -> ReceiptParts:
    text = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return ReceiptParts(lookup=text[:LOOKUP_CHARS], secret=text[LOOKUP_CHARS:])


def receipt_display(receipt: str) -> str:
    return "-".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def receipt_parse(text: str) -> ReceiptParts | None:
    """Accept any spacing, dashes and case; None when it cannot be a receipt."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\n").translate(_CONFUSABLE)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return ReceiptParts(lookup=cleaned[:LOOKUP_CHARS], secret=cleaned[LOOKUP_CHARS:])
