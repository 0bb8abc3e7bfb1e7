from django import template

from incidents.taxonomy import VOCABULARIES

register = template.Library()


@register.filter
def labels(codes: list[str] | str, vocabulary: str) -> str:
    """Human labels for stored codes: {{ report.abuse_types|labels:"abuse_types" }}."""
    if not codes:
        return "—"
    names = dict(VOCABULARIES[vocabulary].choices)
    values = [codes] if isinstance(codes, str) else codes
    return ", ".join(str(names.get(code, code)) for code in values)


@register.filter
def filesize(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)
