"""SECURITY 1: a copy of the database and the media directory, without the keyring, holds no byte
of a canary planted in any sealed field, file name or file body."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import KeyWrap
from incidents.models import Evidence, Incident, Report
from tests.factories import UserFactory
from tests.security.support import (
    API,
    at_rest_paths,
    canary,
    find,
    incident_payload,
    read_at_rest,
    receipt_client,
    report_payload,
    token_client,
)

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = 64 * 1024


class Canaries(dict):
    """label -> canary string, one fresh canary for every place a secret is planted."""

    def plant(self, label: str) -> str:
        self[label] = canary(label)
        return self[label]


def _file_body(header: bytes, secret: str, size: int) -> bytes:
    """A body spanning several 64 KiB chunks, the canary repeated throughout (and across chunk
    boundaries, since the filler is not a divisor of the chunk size)."""
    piece = b" filler text between canaries " + secret.encode() + b"\n"
    return (header + piece * (size // len(piece) + 1))[:size]


def _report_fields(canaries: Canaries, who: str) -> dict:
    return {
        "narrative": f"They wrote {canaries.plant(f'{who}-narrative')} on my sign.",
        "municipality": canaries.plant(f"{who}-municipality"),
        "contact_details": f"Call {canaries.plant(f'{who}-contact')} after six",
        "perpetrator_identifiers": [
            f"@{canaries.plant(f'{who}-handle')}",
            f"https://x.com/{canaries.plant(f'{who}-url')}",
            f"{canaries.plant(f'{who}-email')}@example.org",
            f"the man called {canaries.plant(f'{who}-text')}",
        ],
        "consent_matching": True,
    }


def _add_incident_and_evidence(client, report_id, canaries: Canaries, who: str, header: bytes):
    incident = incident_payload(
        narrative=f"Again: {canaries.plant(f'{who}-incident-narrative')}",
        perpetrator_identifiers=[
            f"@{canaries.plant(f'{who}-incident-handle')}",
            canaries.plant(f"{who}-incident-text"),
        ],
    )
    response = client.post(f"{API}/reports/{report_id}/incidents/", incident, format="json")
    assert response.status_code == 201, response.content
    body = _file_body(header, canaries.plant(f"{who}-file-body"), 5 * CHUNK + 123)
    upload = SimpleUploadedFile(f"{canaries.plant(f'{who}-file-name')}.pdf", body)
    description = f"Screenshot of {canaries.plant(f'{who}-description')}"
    response = client.post(
        f"{API}/reports/{report_id}/evidence/",
        {"file": upload, "description": description},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return body


def _assert_reads_back(client, report_id, canaries: Canaries, who: str, body: bytes) -> None:
    """Decryption works: every canary comes back through the API, so it really was stored."""
    response = client.get(f"{API}/reports/{report_id}/")
    assert response.status_code == 200
    shown = response.content.decode()
    missing = [
        label
        for label, text in canaries.items()
        if label.startswith(f"{who}-") and label != f"{who}-file-body" and text not in shown
    ]
    assert missing == []
    evidence = response.json()["evidence"][0]
    assert evidence["sha256"] == hashlib.sha256(body).hexdigest()
    download = client.get(f"{API}/reports/{report_id}/evidence/{evidence['id']}/")
    assert b"".join(download.streaming_content) == body


def _submit_through_the_wizard(canaries: Canaries) -> None:
    client = _web_client(UserFactory())
    fields = _report_fields(canaries, "wizard")
    data = {
        "step": "5",
        "action": "submit",
        "narrative": fields["narrative"],
        "channels": ["facebook"],
        "abuse_types": ["doxxing"],
        "perpetrator_type": "unknown",
        "perpetrator_identifiers": "\n".join(fields["perpetrator_identifiers"]),
        "role": "councillor",
        "region": "central",
        "municipality": fields["municipality"],
        "contact_details": fields["contact_details"],
        "preferred_language": "en",
        "consent_matching": "on",
    }
    response = client.post(reverse("incidents:report_new"), data)
    assert response.status_code == 302, response.content
    shown = client.get(response["Location"]).content.decode()  # and it opens again
    wizard = [text for label, text in canaries.items() if label.startswith("wizard-")]
    assert len(wizard) == 7
    assert [text for text in wizard if text not in shown] == []


def _web_client(user):
    client = Client()
    client.force_login(user)
    return client


def test_no_sealed_content_or_receipt_lies_in_the_database_or_media_files(committed_db):
    canaries = Canaries()

    signed_in = token_client(UserFactory())
    response = signed_in.post(
        f"{API}/reports/", report_payload(**_report_fields(canaries, "api")), format="json"
    )
    assert response.status_code == 201, response.content
    signed_in_id = response.json()["id"]
    signed_in_body = _add_incident_and_evidence(
        signed_in, signed_in_id, canaries, "api", b"%PDF-1.4\n"
    )

    anonymous = report_payload(**_report_fields(canaries, "anon"))
    response = APIClient().post(f"{API}/anonymous/reports/", anonymous, format="json")
    assert response.status_code == 201, response.content
    anonymous_id, receipt = response.json()["id"], response.json()["receipt"]
    holder = receipt_client(receipt)
    anonymous_body = _add_incident_and_evidence(holder, anonymous_id, canaries, "anon", b"")

    _submit_through_the_wizard(canaries)

    _assert_reads_back(signed_in, signed_in_id, canaries, "api", signed_in_body)
    _assert_reads_back(holder, anonymous_id, canaries, "anon", anonymous_body)
    assert Report.objects.count() == 3
    assert Incident.objects.count() == 5
    assert Evidence.objects.count() == 2

    blobs = read_at_rest()
    assert any(path.suffix == ".bin" for path in blobs)  # the evidence files were scanned too
    receipt_parts = {"receipt": receipt, "receipt-secret": receipt[5:]}
    assert find(blobs, {**canaries, **receipt_parts}) == []


def test_the_scan_finds_a_canary_written_in_a_plaintext_column(committed_db):
    """The control: the same scan sees what is stored in the clear, so it reads the real file."""
    plain = canary("username")
    UserFactory(username=plain)

    assert find(read_at_rest(), {"username": plain}) != []


def test_the_scan_finds_a_canary_in_a_plaintext_media_file(committed_db, settings):
    """The control for the media side: a plaintext file deep under MEDIA_ROOT is seen."""
    plain = canary("media")
    deep = Path(settings.MEDIA_ROOT) / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "note.bin").write_bytes(b"xx" + plain.encode("utf-16-le") + b"yy")

    assert find(read_at_rest(), {"media": plain}) == ["media (utf-16-le) in note.bin"]


def _files_as_they_are() -> bytes:
    """On SQLite, the database and its write-ahead log read while the connection stays open (so
    the log is not folded in by closing); on PostgreSQL, a dump."""
    if connection.vendor == "postgresql":
        return b"".join(read_at_rest().values())
    return b"".join(path.read_bytes() for path in at_rest_paths())


def _holds(stored: bytes, wrap: bytes) -> bool:
    """The wrap in its stored bytes or as hex (the form a dump writes bytea in)."""
    return any(form in stored for form in (wrap, wrap.hex().encode(), wrap.hex().upper().encode()))


def test_an_erased_reports_wrapped_key_lies_nowhere_at_rest(committed_db):
    reporter_api = token_client(UserFactory())
    response = reporter_api.post(f"{API}/reports/", report_payload(), format="json")
    report_id = response.json()["id"]
    wraps = [
        bytes(w)
        for w in KeyWrap.objects.filter(owner_id=report_id).values_list("wrapped", flat=True)
    ]
    assert wraps
    before = _files_as_they_are()
    assert all(_holds(before, wrap) for wrap in wraps)  # the control: stored, and seen

    assert reporter_api.delete(f"{API}/reports/{report_id}/").status_code == 204

    stored = _files_as_they_are()
    assert not any(_holds(stored, wrap) for wrap in wraps)
