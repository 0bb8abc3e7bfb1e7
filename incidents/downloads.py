from pathlib import PurePosixPath

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from core.filetypes import EXTENSIONS
from incidents.selectors import EvidenceContent


def download_name(name: str, content_type: str) -> str:
    """The stored name with the extension of the sniffed type, so `page.html` kept as text is
    saved as `page.txt` and never opens as a web page."""
    stem = PurePosixPath(name).stem or "evidence"
    return f"{stem}.{EXTENSIONS.get(content_type, 'bin')}"


def evidence_response(content: EvidenceContent) -> StreamingHttpResponse:
    """A decrypted evidence file as a download, never rendered inline, never cached."""
    meta = content.meta
    response = StreamingHttpResponse(content.chunks, content_type=meta.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=download_name(meta.name, meta.content_type)
    )
    response["Content-Length"] = str(meta.size)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
