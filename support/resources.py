"""The resource directory: loading it from the data file, and finding resources by filters."""

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from incidents.taxonomy import BiasGround, Language, Need, Region, ReporterRole
from support.models import Resource, ResourceKind

KIND_ORDER = {
    ResourceKind.CRISIS_LINE: 0,
    ResourceKind.PATHWAY: 1,
    ResourceKind.ORGANIZATION: 2,
    ResourceKind.PROGRAM: 3,
}
DATA_FILE = Path(__file__).resolve().parent / "data" / "resources.json"

SERVICES: dict[str, Any] = {
    **dict(Need.choices),
    "emergency": _("Emergency help"),
    "report_to_authority": _("Reporting to an authority"),
    "human_rights": _("Human rights"),
    "code_of_conduct": _("Council code of conduct"),
    "criminal_law": _("Criminal law"),
    "civil_law": _("Civil law"),
    "candidate_training": _("Training for candidates"),
    "mentoring": _("Mentoring"),
    "advocacy": _("Advocacy"),
    "research": _("Research"),
}
FIELDS = (
    "name",
    "name_fr",
    "kind",
    "description",
    "description_fr",
    "services",
    "grounds_served",
    "audience",
    "audience_fr",
    "regions",
    "languages",
    "roles_served",
    "cost",
    "hours",
    "hours_fr",
    "phone",
    "website",
    "email",
)
CODE_LISTS = {
    "services": set(SERVICES),
    "grounds_served": set(BiasGround.values),
    "regions": set(Region.values) - {Region.UNDISCLOSED},
    "languages": set(Language.values),
    "roles_served": set(ReporterRole.values),
}
# Checked to be strings before full_clean, which would quietly turn a list or number into text.
TEXT_FIELDS = tuple(field for field in FIELDS if field not in CODE_LISTS)


def _check_codes(slug: str, entry: dict[str, Any]) -> None:
    for field, allowed in CODE_LISTS.items():
        value = entry.get(field, [])
        if not isinstance(value, list) or not set(value) <= allowed:
            raise DomainError(f"Resource {slug!r}: {field} has codes outside its vocabulary.")


def _check_text(slug: str, entry: dict[str, Any]) -> None:
    for field in TEXT_FIELDS:
        value = entry.get(field, "")
        if not isinstance(value, str):
            given = type(value).__name__
            raise DomainError(f"Resource {slug!r}: {field} must be text, not {given}.")


def resources_load(*, path: Path = DATA_FILE) -> tuple[int, int]:
    """Create or update every resource in the data file, by slug; all or nothing.
    Returns (created, updated)."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DomainError(f"Cannot read the resource file: {exc}") from exc
    if not isinstance(entries, list):
        raise DomainError("The resource file must hold a list of resources.")
    created = updated = 0
    with transaction.atomic():
        for entry in entries:
            slug = entry.get("slug") if isinstance(entry, dict) else None
            if not slug:
                raise DomainError("Every resource needs a slug.")
            _check_codes(slug, entry)
            _check_text(slug, entry)
            resource = Resource.objects.filter(slug=slug).first() or Resource(slug=slug)
            is_new = resource.pk is None
            for field in FIELDS:
                setattr(resource, field, entry.get(field, getattr(resource, field)))
            try:
                resource.full_clean()
            except ValidationError as exc:
                raise DomainError(f"Resource {slug!r}: {exc.messages}") from exc
            resource.save()
            created, updated = created + is_new, updated + (not is_new)
    return created, updated


@dataclass(frozen=True)
class ResourceFilters:
    service: str = ""
    region: str = ""
    language: str = ""
    role: str = ""
    ground: str = ""
    kind: str = ""
    q: str = ""


def resource_search(*, filters: ResourceFilters) -> list[Resource]:
    """Active resources that serve the filters, for anyone. Regions, roles and languages left
    empty on a resource mean it serves everyone; the filtering is in Python because the
    directory is small (tens of rows) and JSON containment differs between databases. Words
    match the name or description in English or French, ignoring case and accents."""
    rows: QuerySet[Resource] = Resource.objects.filter(active=True)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    words = _folded(filters.q.strip())
    found = [
        resource
        for resource in rows.order_by("name")
        if _serves(resource, filters) and (not words or words in _searchable(resource))
    ]
    # Emergency help first, then crisis lines and recourse pathways, then organizations; by
    # name, as shown in the active language, within each.
    return sorted(
        found,
        key=lambda r: (
            "emergency" not in r.services,
            KIND_ORDER.get(r.kind, 9),
            _folded(r.shown_name),
        ),
    )


def _serves(resource: Resource, filters: ResourceFilters) -> bool:
    if filters.service and filters.service not in resource.services:
        return False
    if filters.ground and filters.ground not in resource.grounds_served:
        return False
    if filters.region and resource.regions and filters.region not in resource.regions:
        return False
    if filters.language and resource.languages and filters.language not in resource.languages:
        return False
    return not (
        filters.role and resource.roles_served and filters.role not in resource.roles_served
    )


def _searchable(resource: Resource) -> str:
    texts = (resource.name, resource.description, resource.name_fr, resource.description_fr)
    return _folded("\n".join(texts))


def _folded(text: str) -> str:
    """Lower case, without accents, with one kind of apostrophe: "sécurité" finds "Sécurité"
    and "securite" too, since people often type French without its accents."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
