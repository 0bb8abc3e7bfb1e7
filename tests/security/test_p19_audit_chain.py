"""SECURITY 19: the audit log is append-only and hash-chained; the services write their events in
their own transaction, with no content; `audit_verify` detects edited, deleted and reordered
events."""

import hashlib
import importlib
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from core.models import AuditEvent, AuditHead, KeyWrap, User
from incidents import selectors, services
from incidents.models import Evidence, Incident, Receipt, Report
from tests.factories import UserFactory, incident_input, make_report, report_input
from tests.security.support import API, canary, stored_values, token_client

pytestmark = pytest.mark.django_db


def _events() -> list[tuple[str, str, str, str]]:
    """The reporter's own events (the staff side's case events are tested with the cases)."""
    return list(
        AuditEvent.objects.exclude(object_type="support.case")
        .order_by("seq")
        .values_list("action", "object_type", "object_id", "actor")
    )


def test_every_reporter_service_writes_its_audit_event():
    user = UserFactory()
    client = token_client(user)
    actor = str(user.public_id)

    report_id = client.post(f"{API}/reports/", _payload(), format="json").json()["id"]
    incident_id = client.post(
        f"{API}/reports/{report_id}/incidents/", {"narrative": "Again."}, format="json"
    ).json()["id"]
    upload = SimpleUploadedFile("note.txt", b"a note")
    evidence_id = client.post(
        f"{API}/reports/{report_id}/evidence/", {"file": upload}, format="multipart"
    ).json()["id"]
    assert client.delete(f"{API}/reports/{report_id}/").status_code == 204

    assert _events() == [
        ("report.submit", "incidents.report", report_id, actor),
        ("incident.add", "incidents.incident", incident_id, actor),
        ("evidence.add", "incidents.evidence", evidence_id, actor),
        ("report.erase", "incidents.report", report_id, actor),
    ]


def _payload() -> dict:
    return {"role": "candidate", "region": "eastern", "narrative": "It happened."}


def _snapshot() -> dict:
    media = Path(settings.MEDIA_ROOT)
    return {
        "reports": Report.objects.count(),
        "incidents": Incident.objects.count(),
        "evidence": Evidence.objects.count(),
        "keys": KeyWrap.objects.count(),
        "accounts": User.objects.count(),
        "receipts": Receipt.objects.count(),
        "events": AuditEvent.objects.count(),
        "files": sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else [],
    }


def _submit(user, report):
    services.report_submit(actor=user, data=report_input())


def _submit_anonymously(user, report):
    services.report_submit_anonymous(data=report_input())


def _add_incident(user, report):
    services.incident_add(actor=user, report=report, data=incident_input())


def _add_evidence(user, report):
    upload = SimpleUploadedFile("note.txt", b"a note")
    services.evidence_add(actor=user, report=report, upload=upload)


def _erase(user, report):
    services.report_erase(actor=user, report=report)


@pytest.mark.parametrize(
    "action", [_submit, _submit_anonymously, _add_incident, _add_evidence, _erase]
)
def test_a_failed_audit_write_undoes_the_whole_change(monkeypatch, action):
    user = UserFactory()
    report = make_report(user)
    _add_evidence(user, report)
    before = _snapshot()

    def broken_audit(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError, match="audit log"):
        action(user, Report.objects.get(pk=report.pk))

    assert _snapshot() == before
    assert selectors.report_open(report=Report.objects.get(pk=report.pk)).evidence


def test_audit_rows_hold_no_content():
    user = UserFactory()
    planted = {name: canary(name) for name in ("narrative", "place", "contact", "who", "again")}
    planted |= {name: canary(name) for name in ("file-name", "description", "body")}
    report = services.report_submit(
        actor=user,
        data=report_input(
            narrative=planted["narrative"],
            municipality=planted["place"],
            contact_details=planted["contact"],
            perpetrator_identifiers=[f"@{planted['who']}"],
            consent_matching=True,
        ),
    )
    services.incident_add(
        actor=user, report=report, data=incident_input(narrative=planted["again"])
    )
    upload = SimpleUploadedFile(planted["file-name"], planted["body"].encode())
    services.evidence_add(
        actor=user, report=report, upload=upload, description=planted["description"]
    )

    audit = b"\n".join(value for table, value in stored_values() if table.startswith("core_audit"))
    assert str(report.public_id).encode() in audit  # the scan does read the audit rows
    found = [
        name
        for name, text in planted.items()
        if any(form.encode() in audit for form in (text, text.lower()))
    ]
    assert found == []


# Tampering: the triggers that make the table append-only are dropped inside the test's
# transaction, which is rolled back afterwards (SQLite DDL is transactional).


def _chain(length: int = 5) -> None:
    user = UserFactory()
    report = make_report(user)
    while AuditEvent.objects.count() < length:
        _add_incident(user, report)
    call_command("audit_verify", stdout=_Sink())


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def _sql(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _drop_triggers() -> None:
    """As an attacker with the database owner's rights would (rolled back with the test)."""
    migration = importlib.import_module("core.migrations.0002_audit_append_only")
    _sql(
        *{"sqlite": migration.SQLITE_REVERSE, "postgresql": migration.POSTGRES_REVERSE}[
            connection.vendor
        ]
    )


def test_an_intact_chain_verifies():
    _chain(5)
    out = _Sink()

    call_command("audit_verify", stdout=out)

    assert "Audit chain intact: 5 events verified." in out.text


def test_the_database_refuses_to_change_or_delete_an_event():
    _chain(3)
    for statement in (
        "UPDATE core_auditevent SET action = 'report.view' WHERE seq = 2",
        "DELETE FROM core_auditevent WHERE seq = 2",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _sql(statement)
    event = AuditEvent.objects.get(seq=2)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    call_command("audit_verify", stdout=_Sink())


TAMPERING = {
    "edited action": (
        ["UPDATE core_auditevent SET action = 'report.view' WHERE seq = 3"],
        "event 3: the event was altered",
    ),
    "edited actor": (
        ["UPDATE core_auditevent SET actor = '' WHERE seq = 3"],
        "event 3: the event was altered",
    ),
    "edited time": (
        [
            "UPDATE core_auditevent SET at = at - interval '1 day' WHERE seq = 3"
            if connection.vendor == "postgresql"
            else "UPDATE core_auditevent SET at = datetime(at, '-1 day') WHERE seq = 3"
        ],
        "event 3: the event was altered",
    ),
    "deleted in the middle": (
        ["DELETE FROM core_auditevent WHERE seq = 3"],
        "event 3: an event is missing or out of order",
    ),
    "reordered": (
        [
            "UPDATE core_auditevent SET seq = -1 WHERE seq = 2",
            "UPDATE core_auditevent SET seq = 2 WHERE seq = 3",
            "UPDATE core_auditevent SET seq = 3 WHERE seq = -1",
        ],
        "event 2: the link to the previous event is broken",
    ),
    "deleted last": (
        ["DELETE FROM core_auditevent WHERE seq = 5"],
        "event 5: events at the end of the chain are missing",
    ),
    "deleted first": (
        ["DELETE FROM core_auditevent WHERE seq = 1"],
        "event 1: an event is missing or out of order",
    ),
}


@pytest.mark.parametrize("tampering", TAMPERING)
def test_audit_verify_detects_tampering(tampering):
    statements, message = TAMPERING[tampering]
    _chain(5)
    _drop_triggers()

    _sql(*statements)

    with pytest.raises(CommandError, match=message):
        call_command("audit_verify", stdout=_Sink())


def _forge_from(seq: int) -> None:
    """Recompute every hash from event `seq` on, as anyone who can read the code can."""
    previous = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        record = json.dumps(
            [
                event.seq,
                event.at.isoformat(),
                event.actor,
                event.action,
                event.object_type,
                event.object_id,
            ],
            separators=(",", ":"),
        )
        digest = hashlib.sha256(f"{previous}|{record}".encode()).hexdigest()
        _sql(
            f"UPDATE core_auditevent SET prev_hash = '{previous}', hash = '{digest}' "  # noqa: S608
            f"WHERE seq = {event.seq}"
        )
        previous = digest
    length = AuditEvent.objects.count()
    AuditHead.objects.filter(id=1).update(last_hash=previous, length=length)


def test_an_edit_with_the_chain_recomputed_after_it_is_still_detected():
    """Whoever can drop the triggers can also recompute an unkeyed SHA-256 chain. (Fails today:
    the chain needs a key the database does not hold, e.g. HMAC under a keyring key.)"""
    _chain(5)
    _drop_triggers()
    _sql("UPDATE core_auditevent SET action = 'report.view' WHERE seq = 3")
    _forge_from(3)

    with pytest.raises(CommandError):
        call_command("audit_verify", stdout=_Sink())


def test_deleting_the_last_event_and_rewinding_the_head_is_still_detected():
    """The head row is not protected: rewind it with the tail and nothing is missing. (Fails
    today: the head needs a keyed seal, or an anchor outside the database.)"""
    _chain(5)
    _drop_triggers()
    fourth = AuditEvent.objects.get(seq=4)
    _sql("DELETE FROM core_auditevent WHERE seq = 5")
    AuditHead.objects.filter(id=1).update(last_hash=fourth.hash, length=4)

    with pytest.raises(CommandError):
        call_command("audit_verify", stdout=_Sink())
