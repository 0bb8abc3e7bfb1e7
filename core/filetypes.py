"""Decide a file's type from its first bytes, never from its name or the browser's claim."""

import filetype
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

ACCEPTED = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/x-wav",
        "audio/ogg",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/plain",
    }
)
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/x-wav": "wav",
    "audio/ogg": "ogg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "txt",
}


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character may be cut at the end of the sample.
        return exc.start >= len(head) - 3
    return True


def sniff(head: bytes) -> str | None:
    """The MIME type of an accepted kind of file, or None when it is not one we accept."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ACCEPTED else None
    return "text/plain" if head and _looks_like_text(head) else None


def _bytes(size: int) -> str:
    return ngettext("%(size)d byte", "%(size)d bytes", size) % {"size": size}


def human_size(size: int) -> str:
    """Bytes in binary units, as people read file sizes: 512 bytes, 64 KiB, 1.5 MiB, 50 MiB."""
    if size < 1024:
        return _bytes(size)
    units = (
        (_("%(value)s GiB"), 1024**3),
        (_("%(value)s MiB"), 1024**2),
        (_("%(value)s KiB"), 1024),
    )
    for unit, scale in units:
        if size >= scale:
            value = size / scale
            # In the reader's language: 1.5 MiB in English, 1,5 Mio in French.
            number = number_format(value, decimal_pos=0 if value == int(value) else 1)
            return unit % {"value": number}
    return _bytes(size)
