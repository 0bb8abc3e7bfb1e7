"""SECURITY.md 2: a sealed blob moved to another row or field, truncated, or altered by one bit
fails to decrypt with a clear error, and nothing is returned.

These tests go through the real storage: reports, notes and messages are made by the services,
their stored blobs are changed in the database (evidence files on disk), and then read back by the
selectors and pages that show them. The primitives themselves are tested in tests/core."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from core.crypto import CryptoError
from core.crypto.files import CHUNK, HEADER_BYTES, TAG_BYTES
from core.models import KeyWrap
from incidents import services as report_services
from incidents.models import Evidence, Incident, Report
from incidents.selectors import evidence_open, report_open
from support import services as case_services
from support.models import Case, CaseNote, Message
from support.selectors import case_open_content
from tests.factories import incident_input, make_report
from tests.security.support import API, canary, token_client
from tests.support.factories import coordinator_user, make_case, pdf, worker_user

pytestmark = pytest.mark.django_db

CLEAR_ERROR = r"does not open|truncated|padding|no valid header"


class Stored:
    """One report as the services store it, with a second incident, notes, messages and two
    evidence files; every secret in it is a canary."""

    def __init__(self) -> None:
        self.secrets = {
            label: canary(label)
            for label in ("narrative", "narrative2", "contact", "municipality", "note", "message")
        }
        self.worker = worker_user(username="wren")
        case = make_case(
            coordinator=coordinator_user(username="cora"),
            workers=(self.worker,),
            narrative=self.secrets["narrative"],
            contact_details=self.secrets["contact"],
            municipality=self.secrets["municipality"],
        )
        self.report = case.report
        self.incidents = [
            *self.report.incidents.all(),
            report_services.incident_add(
                actor=self.report.reporter,
                report=self.report,
                data=incident_input(narrative=self.secrets["narrative2"]),
            ),
        ]
        for body in (self.secrets["note"], "a second note"):
            case_services.note_add(actor=self.worker, case=case, body=body)
        for body in (self.secrets["message"], "a second message"):
            case_services.message_send_staff(actor=self.worker, case=case, body=body)
        self.case = Case.objects.get(pk=case.pk)
        self.file_bodies = [b"%PDF-1.4\n" + os.urandom(100), b"%PDF-1.4\n" + os.urandom(100)]
        self.evidence = [
            report_services.evidence_add(
                actor=self.report.reporter, report=self.report, upload=pdf(body, f"e{n}.pdf")
            )
            for n, body in enumerate(self.file_bodies)
        ]

    def read_report(self):
        return report_open(report=Report.objects.get(pk=self.report.pk))

    def read_case(self):
        return case_open_content(actor=self.worker, case=Case.objects.get(pk=self.case.pk))


@pytest.fixture
def stored(db) -> Stored:
    return Stored()


def blob(model, pk: int, field: str) -> bytes:
    return bytes(model.objects.values_list(f"{field}_sealed", flat=True).get(pk=pk))


def store(model, pk: int, field: str, value: bytes) -> None:
    model.objects.filter(pk=pk).update(**{f"{field}_sealed": value})


def flip_bit(value: bytes, position: int, bit: int = 0) -> bytes:
    changed = bytearray(value)
    changed[position] ^= 1 << bit
    return bytes(changed)


def test_the_stored_report_opens_as_it_was_written(stored):
    """The control: untouched, everything opens; so each refusal below is the change's doing."""
    view = stored.read_report()
    case_view = stored.read_case()

    assert view.contact_details == stored.secrets["contact"]
    assert view.municipality == stored.secrets["municipality"]
    assert [i.narrative for i in view.incidents] == [
        stored.secrets["narrative"],
        stored.secrets["narrative2"],
    ]
    assert stored.secrets["note"] in [n.text for n in case_view.notes]
    assert stored.secrets["message"] in [m.text for m in case_view.messages]


# Moved: to another row, another field, another table, another report.


def test_a_narrative_moved_to_the_other_incident_of_the_same_report_does_not_open(stored):
    first, second = stored.incidents
    store(Incident, second.pk, "narrative", blob(Incident, first.pk, "narrative"))

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        stored.read_report()


def test_two_narratives_swapped_between_rows_open_in_neither(stored):
    first, second = stored.incidents
    one, two = blob(Incident, first.pk, "narrative"), blob(Incident, second.pk, "narrative")
    store(Incident, first.pk, "narrative", two)
    store(Incident, second.pk, "narrative", one)

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        stored.read_report()


@pytest.mark.parametrize(
    ("model", "source", "target"),
    [
        (Report, "contact", "municipality"),
        (Report, "municipality", "contact"),
        (Incident, "narrative", "identifiers"),
    ],
)
def test_a_blob_moved_to_another_field_of_its_row_does_not_open(stored, model, source, target):
    pk = stored.report.pk if model is Report else stored.incidents[0].pk
    store(model, pk, target, blob(model, pk, source))

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        stored.read_report()


@pytest.mark.parametrize("model", [CaseNote, Message])
def test_a_note_or_message_moved_to_another_row_of_its_table_does_not_open(stored, model):
    first, second = model.objects.filter(case=stored.case).order_by("pk")[:2]
    store(model, second.pk, "body", blob(model, first.pk, "body"))

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        stored.read_case()


def test_a_case_note_moved_into_a_message_does_not_open(stored):
    note = CaseNote.objects.filter(case=stored.case).first()
    message = Message.objects.filter(case=stored.case).first()
    store(Message, message.pk, "body", blob(CaseNote, note.pk, "body"))

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        stored.read_case()


def test_a_blob_moved_to_another_report_does_not_open(stored):
    other = make_report()
    store(Report, other.pk, "contact", blob(Report, stored.report.pk, "contact"))

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        report_open(report=Report.objects.get(pk=other.pk))


def test_a_wrapped_data_key_moved_to_another_report_does_not_open(stored):
    other = make_report()
    wrap = KeyWrap.objects.get(owner_id=stored.report.public_id)
    KeyWrap.objects.filter(owner_id=other.public_id).update(wrapped=bytes(wrap.wrapped))

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        report_open(report=Report.objects.get(pk=other.pk))


# Truncated, or altered by one bit.


@pytest.mark.parametrize("keep", ["all but the last byte", "half", "the header", "nothing"])
def test_a_truncated_blob_does_not_open(stored, keep):
    whole = blob(Report, stored.report.pk, "contact")
    cut = {
        "all but the last byte": len(whole) - 1,
        "half": len(whole) // 2,
        "the header": 13,
        "nothing": 0,
    }[keep]
    store(Report, stored.report.pk, "contact", whole[:cut])

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        stored.read_report()


def test_a_blob_altered_by_one_bit_anywhere_does_not_open(stored):
    whole = blob(Report, stored.report.pk, "contact")
    opened = []
    for position in range(len(whole)):
        store(Report, stored.report.pk, "contact", flip_bit(whole, position, bit=position % 8))
        try:
            opened.append(stored.read_report().contact_details)
        except CryptoError:
            continue
    store(Report, stored.report.pk, "contact", whole)

    assert opened == []
    assert stored.read_report().contact_details == stored.secrets["contact"]


@pytest.mark.parametrize("model", [Incident, CaseNote, Message])
def test_a_long_blob_altered_by_one_bit_in_its_middle_or_tag_does_not_open(stored, model):
    row = model.objects.order_by("pk").first()
    field = "narrative" if model is Incident else "body"
    whole = blob(model, row.pk, field)
    for position in (len(whole) // 2, len(whole) - 1):
        store(model, row.pk, field, flip_bit(whole, position))

        with pytest.raises(CryptoError, match=CLEAR_ERROR):
            stored.read_case()


# Nothing is returned: the pages show no part of a report with a broken blob.


def _shown(response, stored: Stored) -> list[str]:
    body = response.content.decode(errors="replace")
    return [label for label, text in stored.secrets.items() if text in body]


def test_a_report_with_an_altered_blob_shows_nothing_on_its_page_or_in_the_api(stored):
    page = Client(raise_request_exception=False)
    page.force_login(stored.report.reporter)
    api = token_client(stored.report.reporter)
    api.raise_request_exception = False
    requests = [
        lambda: page.get(stored.report.get_absolute_url()),
        lambda: api.get(f"{API}/reports/{stored.report.public_id}/"),
    ]
    assert all(_shown(request(), stored) for request in requests)  # the control

    whole = blob(Incident, stored.incidents[1].pk, "narrative")
    store(Incident, stored.incidents[1].pk, "narrative", flip_bit(whole, len(whole) // 2))

    for request in requests:
        response = request()
        assert response.status_code == 500
        assert "cannot be opened" in response.content.decode()
        assert _shown(response, stored) == []


def test_a_case_with_an_altered_note_shows_nothing_to_staff(stored):
    page = Client(raise_request_exception=False)
    page.force_login(stored.worker)
    assert "note" in _shown(page.get(stored.case.get_absolute_url()), stored)  # the control

    note = CaseNote.objects.filter(case=stored.case).last()
    store(CaseNote, note.pk, "body", flip_bit(blob(CaseNote, note.pk, "body"), 20))
    response = page.get(stored.case.get_absolute_url())

    assert response.status_code == 500
    assert "This record cannot be opened" in response.content.decode()
    assert _shown(response, stored) == []


# Evidence files on disk.


def evidence_path(evidence: Evidence) -> Path:
    found = list(Path(settings.MEDIA_ROOT).rglob(f"{evidence.public_id}.bin"))
    assert len(found) == 1
    return found[0]


def read_evidence(evidence: Evidence) -> list[bytes]:
    """Read the file back; every piece given out before an error is returned in the error."""
    given: list[bytes] = []
    try:
        for piece in evidence_open(evidence=Evidence.objects.get(pk=evidence.pk)).chunks:
            given.append(piece)
    except CryptoError as exc:
        exc.given = given  # type: ignore[attr-defined]
        raise
    return given


def test_the_stored_evidence_opens_as_it_was_written(stored):
    assert [b"".join(read_evidence(e)) for e in stored.evidence] == stored.file_bodies


FILE_CHANGES = {
    "one bit of its magic": lambda data: flip_bit(data, 0),
    "one bit of its stream id": lambda data: flip_bit(data, HEADER_BYTES - 1),
    "one bit of its ciphertext": lambda data: flip_bit(data, HEADER_BYTES + 5),
    "one bit of its tag": lambda data: flip_bit(data, len(data) - 1, bit=7),
    "its last byte dropped": lambda data: data[:-1],
    "its tag dropped": lambda data: data[:-TAG_BYTES],
    "only its header kept": lambda data: data[:HEADER_BYTES],
    "emptied": lambda data: b"",
    "a byte appended": lambda data: data + b"\x00",
}


@pytest.mark.parametrize("change", list(FILE_CHANGES))
def test_an_altered_evidence_file_does_not_open_and_gives_out_nothing(stored, change):
    path = evidence_path(stored.evidence[0])
    path.write_bytes(FILE_CHANGES[change](path.read_bytes()))

    with pytest.raises(CryptoError, match=CLEAR_ERROR) as refused:
        read_evidence(stored.evidence[0])
    assert refused.value.given == []


def test_evidence_files_swapped_on_disk_open_as_neither(stored):
    first, second = (evidence_path(e) for e in stored.evidence)
    one, two = first.read_bytes(), second.read_bytes()
    first.write_bytes(two)
    second.write_bytes(one)

    for evidence in stored.evidence:
        with pytest.raises(CryptoError, match=CLEAR_ERROR) as refused:
            read_evidence(evidence)
        assert refused.value.given == []


def test_an_evidence_files_sealed_metadata_moved_to_the_other_file_does_not_open(stored):
    first, second = stored.evidence
    store(Evidence, second.pk, "meta", blob(Evidence, first.pk, "meta"))

    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        read_evidence(second)


def test_a_large_evidence_file_altered_in_its_first_chunk_gives_out_nothing(stored):
    body = b"%PDF-1.4\n" + os.urandom(2 * CHUNK + 100)
    evidence = report_services.evidence_add(
        actor=stored.report.reporter, report=stored.report, upload=pdf(body, "big.pdf")
    )
    path = evidence_path(evidence)
    path.write_bytes(flip_bit(path.read_bytes(), HEADER_BYTES + 1000))

    with pytest.raises(CryptoError, match=CLEAR_ERROR) as refused:
        read_evidence(evidence)
    assert refused.value.given == []


@pytest.mark.parametrize("where", ["in its last chunk", "cut at a chunk boundary"])
def test_a_large_evidence_file_altered_later_on_never_gives_out_the_whole_or_altered_part(
    stored, where
):
    """A file is decrypted as it streams out, 64 KiB at a time, each piece checked before it is
    given out: what came before the damage is authentic; the damaged part and the rest never are."""
    body = b"%PDF-1.4\n" + os.urandom(2 * CHUNK + 100)
    evidence = report_services.evidence_add(
        actor=stored.report.reporter, report=stored.report, upload=pdf(body, "big.pdf")
    )
    path = evidence_path(evidence)
    data = path.read_bytes()
    if where == "in its last chunk":
        path.write_bytes(flip_bit(data, len(data) - 50))
    else:
        path.write_bytes(data[: HEADER_BYTES + 2 * (CHUNK + TAG_BYTES)])

    with pytest.raises(CryptoError, match=CLEAR_ERROR) as refused:
        read_evidence(evidence)
    given = b"".join(refused.value.given)
    assert len(given) <= 2 * CHUNK < len(body)
    assert body.startswith(given)


def test_an_altered_evidence_file_downloads_as_nothing(stored):
    client = Client(raise_request_exception=False)
    client.force_login(stored.report.reporter)
    url = f"{stored.report.get_absolute_url()}evidence/{stored.evidence[0].public_id}/"
    path = evidence_path(stored.evidence[0])
    path.write_bytes(flip_bit(path.read_bytes(), HEADER_BYTES + 5))

    response = client.get(url)

    assert response.status_code == 200  # the download started: headers only, so far
    with pytest.raises(CryptoError, match=CLEAR_ERROR):
        next(iter(response.streaming_content))
