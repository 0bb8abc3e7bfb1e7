"""A logging filter that keeps client addresses and secrets out of every log line (SECURITY.md,
property 3). It is attached to every handler in settings.LOGGING.

It works on the finished text, so it also covers what a library logs with arguments we never see:
the message is formatted once, redacted, and stored back without its arguments; a traceback is
formatted once and redacted too. What looks like a client address, a token, a receipt, a session or
CSRF cookie, or a URL's query string is replaced by a placeholder.
"""

import logging
import re

ADDRESS = "[address]"
REDACTED = "[redacted]"

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_IPV4_RE = re.compile(rf"(?<![\w.]){_IPV4}(?![\w]|\.\d)")
_HEX4 = r"[0-9a-f]{1,4}"
# Full eight groups, or a compressed form with "::", which may end in a dotted IPv4 address
# (those forms first, so the IPv4 part goes with it). Times such as 12:30:45 are neither.
_IPV6_RE = re.compile(
    rf"""(?<![\w:.])(?:
        (?:{_HEX4}:){{7}}{_HEX4}
      | (?:{_HEX4}:){{1,6}}:(?:{_HEX4}:){{0,5}}{_IPV4}
      | ::(?:{_HEX4}:){{0,5}}{_IPV4}
      | (?:{_HEX4}:){{1,7}}:(?:{_HEX4}(?::{_HEX4}){{0,6}})?
      | ::{_HEX4}(?::{_HEX4}){{0,6}}
    )(?:%[\w.-]+)?(?![\w:]|\.\d)""",
    re.IGNORECASE | re.VERBOSE,
)
# Credential headers (and a request's QUERY_STRING, as in a dump of request.META): everything
# after the name, to the closing quote when quoted, else to the end of the line.
_HEADER_RE = re.compile(
    r"""(?P<name>\b(?:
            (?:HTTP_)?(?:PROXY[_-])?(?:AUTHORIZATION|COOKIE|SET[_-]COOKIE|X[_-]CSRF[_-]?TOKEN)
          | QUERY_STRING
        )['"]?\s*[:=]\s*)
        (?P<value>'[^'\n]*'|"[^"\n]*"|[^\n]+)""",
    re.IGNORECASE | re.VERBOSE,
)
# Credentials written after their scheme, wherever they appear.
_SCHEME_TOKEN_RE = re.compile(r"\b(Token|Bearer|Basic)\s+[\w.~+/=-]{16,}", re.IGNORECASE)
# Knox tokens are 64 hexadecimal characters (a hash of one too, which may as well go).
_HEX_TOKEN_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{64,}(?![0-9a-f])", re.IGNORECASE)
# Receipts (incidents.receipts): 28 characters, as shown (seven groups of four with dashes), or
# typed in one piece or with spaces. Those two need a digit, so that a long name such as
# "CaseUserObjectPermissionBase" or seven four-letter words stay as they are.
_RECEIPT_RE = re.compile(
    r"""(?<![\w-])(?:
        [0-9a-z]{4}(?:-[0-9a-z]{4}){6}
      | (?=[a-z]{0,27}\d)[0-9a-z]{28}
      | (?=[a-z\ ]{0,33}\d)[0-9a-z]{4}(?:\ [0-9a-z]{4}){6}
    )(?![\w-])""",
    re.IGNORECASE | re.VERBOSE,
)
# Cookies and form fields named like a session or CSRF token, e.g. "sessionid=…; csrftoken=…"
# (not any "session=", which tracebacks are full of).
_COOKIE_RE = re.compile(
    r"\b([\w-]*(?:session[_-]?(?:id|key)|csrf[_-]?token|csrfmiddlewaretoken))=[^;&\s'\",)]+",
    re.IGNORECASE,
)
# A query string after a path or URL: "/reports/?q=…" becomes "/reports/?[redacted]".
_QUERY_RE = re.compile(r"(?<=[\w/.%~-])\?(?!\[redacted\])[^\s'\"<>]+")


def redact(text: str) -> str:
    """The text with client addresses, credentials, receipts and query strings replaced."""
    text = _HEADER_RE.sub(lambda m: m["name"] + _quoted(m["value"]), text)
    text = _SCHEME_TOKEN_RE.sub(rf"\1 {REDACTED}", text)
    text = _COOKIE_RE.sub(rf"\1={REDACTED}", text)
    text = _QUERY_RE.sub(f"?{REDACTED}", text)
    text = _HEX_TOKEN_RE.sub(REDACTED, text)
    text = _RECEIPT_RE.sub(REDACTED, text)
    text = _IPV6_RE.sub(ADDRESS, text)
    return _IPV4_RE.sub(ADDRESS, text)


def _quoted(value: str) -> str:
    """The placeholder, inside the value's quotes if it had them."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return f"{value[0]}{REDACTED}{value[0]}"
    return REDACTED


class RedactFilter(logging.Filter):
    """Redact each record in place before any handler formats it; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: keep what can be shown, still redacted
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        # The formatted traceback is kept; the live one (with its frames) is not passed on.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        # django.request attaches the request (headers, cookies, body); no handler needs it.
        record.__dict__.pop("request", None)
        return True
