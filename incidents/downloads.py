from django.http import FileResponse

from incidents.selectors import EvidenceContent


def evidence_response(content: EvidenceContent) -> FileResponse:
    """A decrypted evidence file as a download, never rendered inline, never cached."""
    response = FileResponse(
        content.chunks,
        as_attachment=True,
        filename=content.meta.name,
        content_type=content.meta.content_type,
    )
    response["Content-Length"] = str(content.meta.size)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
