"""The comparison model of bench/submission.py and bench/upload.py: the same requests with
sealing switched off.

Filing a report (incidents.services.report_submit, from api.views.ReportListView) seals through
five names, and only through them: `incidents.services.data_key_new` (a new data key, wrapped
under the keyring as a KeyWrap row), `incidents.services.insert_together` (the report's row
stored with that KeyWrap row, in one statement on PostgreSQL), `incidents.services.seal_field`
(the report's municipality and contact details, the incident's narrative and identifiers), and,
when the case is opened, `support.services.data_key` (the data key kept on the report) and
`support.services.seal_field` (the opening event's reason). Adding evidence
(incidents.services.evidence_add) seals through `incidents.services.data_key`,
`incidents.services.seal_stream` (the file, as it is written to the vault) and `seal_field` (its
name, type, size and hash).

Inside `sealing_off()` those names are replaced: no data key is made, stored or read, the report's
row is inserted alone by the same function, each field is stored as the JSON text
`core.crypto.sealed` would have padded and encrypted, in the same column, and a file goes to the
vault as it came. Everything else — the view, its serializer, validation, every other row, the
audit chain, the case, notifications, queued tasks, the transaction — runs unchanged, so the
difference is what sealing costs a request. (The upload handler that encrypts an upload while it
arrives is a setting: bench/upload.py swaps it for Django's own handlers.) Benchmark-only: nothing
stored this way can be read by the app.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from core.inserts import insert_together
from incidents import services as incident_services
from support import services as support_services

NO_KEY = b""


def plain_field(key: bytes, obj: Any, field: str, value: Any) -> bytes:
    """What seal_field seals, as it is: the same JSON (core.crypto.sealed.seal_value)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def no_data_key(owner: Any) -> bytes:
    return NO_KEY


def no_new_data_key(owner: Any) -> tuple[bytes, None]:
    return NO_KEY, None


def insert_alone(first: Any, *rest: Any) -> None:
    """The filing's own row without the wrap that no_new_data_key did not make."""
    insert_together(first)


def plain_stream(key: bytes, chunks: Iterable[bytes], **kwargs: Any) -> Iterator[bytes]:
    """What seal_stream encrypts, as it is."""
    yield from chunks


REPLACED = (
    (incident_services, "data_key_new", no_new_data_key),
    (incident_services, "insert_together", insert_alone),
    (incident_services, "data_key", no_data_key),
    (incident_services, "seal_field", plain_field),
    (incident_services, "seal_stream", plain_stream),
    (support_services, "data_key", no_data_key),
    (support_services, "seal_field", plain_field),
)


@contextmanager
def sealing_off() -> Iterator[None]:
    """In this process only (the benches call the app from a single thread)."""
    saved = [(module, name, getattr(module, name)) for module, name, _new in REPLACED]
    for module, name, new in REPLACED:
        setattr(module, name, new)
    try:
        yield
    finally:
        for module, name, old in saved:
            setattr(module, name, old)
