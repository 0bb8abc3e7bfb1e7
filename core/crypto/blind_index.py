"""Normalized perpetrator identifiers and their blind index (HMAC-SHA256 under the keyring's
blind-index key, of its current generation unless another is asked for).

Two reporters who name the same account in different spellings ("x.com/janedoe/" and
"https://twitter.com/JaneDoe?s=20", or "@JaneDoe" and "@janedoe") produce the same index value,
without anything being decrypted. A bare handle names no platform, so it stays a kind of its own.
"""

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers

from core.crypto.keyring import Keyring

# Hosts that are the same platform; profile URLs on them normalize to one form.
HOST_ALIASES = {
    "twitter.com": "x.com",
    "mobile.twitter.com": "x.com",
    "mobile.x.com": "x.com",
    "m.facebook.com": "facebook.com",
    "fb.com": "facebook.com",
    "m.youtube.com": "youtube.com",
    "m.tiktok.com": "tiktok.com",
}
# Query parameters that track the click rather than name the page; every other one is kept
# (facebook.com/profile.php?id=N is a person's only address when they have no username).
TRACKING_PARAMS = frozenset(
    {
        "s",
        "t",
        "si",
        "ref",
        "ref_src",
        "ref_url",
        "lang",
        "hl",
        "fbclid",
        "igshid",
        "igsh",
        "mibextid",
        "feature",
        "share_id",
        "gclid",
    }
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HANDLE_RE = re.compile(r"^@[\w.\-]{1,100}$")
DOMAIN_RE = re.compile(r"^([a-z0-9-]+\.)+[a-z]{2,}(/.*)?$")
PHONE_CHARS_RE = re.compile(r"^\+?[\d\s().\-]{7,25}$")


@dataclass(frozen=True)
class Identifier:
    kind: str  # email, handle, url, phone or text
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw)
    return " ".join(text.split()).strip()


def _phone(text: str) -> Identifier | None:
    if not PHONE_CHARS_RE.match(text):
        return None
    try:
        number = phonenumbers.parse(text, "CA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return Identifier(
        "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    )


def _url(text: str) -> Identifier | None:
    lowered = text.lower()
    if not lowered.startswith(("http://", "https://")):
        if not DOMAIN_RE.match(lowered):
            return None
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.removeprefix("www.")
    host = HOST_ALIASES.get(host, host)
    # Profile paths on social platforms are case-insensitive; "@name" and "name" are one account.
    path = re.sub(r"/{2,}", "/", parts.path.strip().lower().replace("/@", "/")).rstrip("/")
    kept = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query)
        if name.lower() not in TRACKING_PARAMS and not name.lower().startswith("utm_")
    )
    query = f"?{urlencode(kept)}" if kept else ""
    return Identifier("url", host + path + query)


def normalize_identifier(raw: str) -> Identifier | None:
    """The canonical form of a handle, URL, e-mail address or phone number; None when blank."""
    text = _clean(raw)
    if not text:
        return None
    if HANDLE_RE.match(text):
        return Identifier("handle", text[1:].casefold())
    if EMAIL_RE.match(text) and "/" not in text:
        return Identifier("email", text.casefold())
    phone = _phone(text)
    if phone:
        return phone
    url = _url(text)
    if url:
        return url
    return Identifier("text", text.casefold())


def blind_index(identifier: Identifier, *, keyring: Keyring, generation: int | None = None) -> str:
    key = keyring.blind_index_key if generation is None else keyring.blind_index_key_of(generation)
    return hmac.new(key, str(identifier).encode("utf-8"), hashlib.sha256).hexdigest()


def blind_indexes(raw_identifiers: Iterable[str], *, keyring: Keyring) -> list[str]:
    """The distinct blind indexes of identifiers as a reporter typed them, in their order; blank
    ones have none. Filing and the rebuild (blind_index_rebuild) both make marks from this."""
    normalized = (normalize_identifier(raw) for raw in raw_identifiers)
    return list(dict.fromkeys(blind_index(i, keyring=keyring) for i in normalized if i is not None))
