"""Free text people wrote (case notes, messages) shown with its line breaks and with web and
e-mail addresses made into links; everything else is escaped (SECURITY.md, property 18)."""

import re
from urllib.parse import urlsplit

import bleach
from bleach.linkifier import Linker
from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ALLOWED_TAGS = frozenset({"a", "br", "p"})
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Only addresses written with http:// or https:// become links (a bare "notes.md" stays text).
# The linker reads the already escaped text, so an address ends where escape() left a quote or an
# angle bracket: `"https://example.org/help"` links to the address, not to `help&quot;`.
_ESCAPED_STOP = r"&(?:quot|#x27|lt|gt);"
_URL_RE = re.compile(
    r"\(*\bhttps?://"  # the linker trims parentheses and trailing punctuation itself
    r"[\w-]+(?:\.[\w-]+)*(?::\d+)?"  # host and port
    rf"(?:[/?#](?:(?!{_ESCAPED_STOP})[^\s<>\"'`{{}}|\\^])*)?",  # path, query, fragment
    re.IGNORECASE,
)
_HREF = (None, "href")
_REL = (None, "rel")


def _safe_link(attrs: dict, new: bool = False) -> dict | None:
    """Keep a link only when it goes to an allowed scheme, and never pass on who sent the reader
    there or give the opened page a handle on this one."""
    scheme = urlsplit(attrs.get(_HREF, "")).scheme.lower()
    if scheme not in ALLOWED_PROTOCOLS:
        return None
    attrs[_REL] = LINK_REL
    return attrs


@register.filter
def richtext(text: object) -> SafeString:
    """{{ note.text|richtext }}: escaped text in paragraphs, with clickable links."""
    if text is None:
        return mark_safe("")  # noqa: S308 (an empty string)
    # Escape first, so nothing the writer typed can be markup; only our <p>, <br> and <a> are.
    html = linebreaks(escape(str(text)))
    # Bleach's linker and cleaner keep parser state: a new one per call is thread-safe.
    linked = Linker(callbacks=[_safe_link], parse_email=True, url_re=_URL_RE).linkify(html)
    cleaned = bleach.clean(
        linked,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=False,
    )
    return mark_safe(cleaned)  # noqa: S308 (escaped, then sanitized to the allow-list above)
