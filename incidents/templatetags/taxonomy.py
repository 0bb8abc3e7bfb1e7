from django import template

from core.filetypes import human_size
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
    return human_size(size)
