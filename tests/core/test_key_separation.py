"""One key per purpose: the blind index, the submission digest, the extract's row key and the audit
chain each use their own key derived from the keyring's index key, and data keyed with the raw
index key before the upgrade keeps working (a resent form, an extract record found by erasure)."""

import base64
import hashlib
import hmac
import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import call_command
from django.core.management.base import CommandError

from core.crypto.blind_index import Identifier, blind_index
from core.crypto.errors import KeyringError
from core.crypto.keyring import Keyring, load_keyring, new_keyring, parse_keyring
from core.errors import DomainError
from core.models import AuditEvent, KeyWrap
from incidents.models import PerpetratorMark, Report
from incidents.services import report_erase
from insights.models import Aggregate, ExtractRecord
from insights.services import extract_key, extract_refresh
from tests.factories import UserFactory, make_report

KEYRING = Keyring(active="k1", keks={"k1": b"\x01" * 32}, index_key=b"\x02" * 32)
JANE = Identifier("handle", "janedoe")


def _hkdf(root: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(root)


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _keyring_text(**fields) -> str:
    data = {
        "active": "k1",
        "keks": {"k1": base64.b64encode(b"\x01" * 32).decode()},
        "index_key": base64.b64encode(b"\x02" * 32).decode(),
        **fields,
    }
    return json.dumps(data)


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("keyring_rotate", *args, stdout=out)
    return out.getvalue()


# The keys.


def test_each_purpose_has_its_own_key_and_none_is_the_index_key():
    keys = [
        KEYRING.index_key,
        KEYRING.audit_key,
        KEYRING.blind_index_key,
        KEYRING.submission_digest_key,
        KEYRING.extract_row_key,
    ]
    assert len(set(keys)) == 5
    assert all(len(key) == 32 for key in keys)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("audit_key", b"recourse/audit-chain/v1"),  # unchanged: existing chains still verify
        ("blind_index_key", b"recourse/blind-index/v1"),
        ("submission_digest_key", b"recourse/submission-digest/v1"),
        ("extract_row_key", b"recourse/extract-row/v1"),
    ],
)
def test_each_key_is_derived_from_the_index_key_with_hkdf_under_its_label(name, label):
    assert getattr(KEYRING, name) == _hkdf(KEYRING.index_key, label)


def test_the_blind_index_is_keyed_with_the_blind_index_key_not_the_index_key():
    digest = blind_index(JANE, keyring=KEYRING)

    assert digest == _mac(KEYRING.blind_index_key, "handle:janedoe")
    assert digest != _mac(KEYRING.index_key, "handle:janedoe")
    assert blind_index(JANE, keyring=KEYRING, generation=0) == _mac(
        KEYRING.index_key, "handle:janedoe"
    )


def test_a_new_blind_index_generation_changes_only_the_blind_index_key():
    after = KEYRING.with_next_index_generation()

    assert after.index_generation == 2
    assert after.blind_index_key == _hkdf(KEYRING.index_key, b"recourse/blind-index/v2")
    assert after.blind_index_key != KEYRING.blind_index_key
    assert blind_index(JANE, keyring=after) != blind_index(JANE, keyring=KEYRING)
    for name in ("audit_key", "submission_digest_key", "extract_row_key", "index_key"):
        assert getattr(after, name) == getattr(KEYRING, name)
    assert (after.active, after.keks) == (KEYRING.active, KEYRING.keks)


@pytest.mark.parametrize("generation", [-1, 32768])
def test_a_blind_index_generation_out_of_range_is_a_keyring_error(generation):
    with pytest.raises(KeyringError, match="generation"):
        KEYRING.blind_index_key_of(generation)


# The keyring file.


def test_an_old_keyring_file_without_a_generation_loads_as_generation_one(keyring_file):
    keyring_file.parent.mkdir(parents=True)
    keyring_file.write_text(_keyring_text())

    keyring = load_keyring()

    assert keyring.index_generation == 1
    assert keyring.blind_index_key == KEYRING.blind_index_key
    assert keyring.audit_key == KEYRING.audit_key


def test_the_keyring_json_round_trips_with_its_generation():
    keyring = new_keyring().with_next_index_generation().with_new_kek()

    text = keyring.to_json()

    assert json.loads(text)["index_generation"] == 2
    assert parse_keyring(text) == keyring
    assert parse_keyring(text).blind_index_key == keyring.blind_index_key


def test_adding_a_key_encryption_key_keeps_the_generation():
    keyring = new_keyring().with_next_index_generation()
    assert keyring.with_new_kek(activate=False).index_generation == 2
    staged = keyring.with_new_kek(activate=False)
    assert staged.with_active("k2").without_kek("k1").index_generation == 2


@pytest.mark.parametrize("generation", [0, -1, 32768, "2", 1.5, True, None, [2]])
def test_a_keyring_with_a_bad_generation_is_a_keyring_error(generation):
    with pytest.raises(KeyringError, match="index_generation"):
        parse_keyring(_keyring_text(index_generation=generation))


# Every caller uses its own key.


@pytest.mark.django_db
def test_a_filed_reports_marks_are_keyed_with_the_blind_index_key(keyring_file):
    make_report(consent_matching=True, perpetrator_identifiers=["@JaneDoe"])
    keyring = load_keyring()

    mark = PerpetratorMark.objects.get()

    assert mark.digest == _mac(keyring.blind_index_key, "handle:janedoe")
    assert mark.digest != _mac(keyring.index_key, "handle:janedoe")
    assert mark.index_generation == keyring.index_generation == 1


@pytest.mark.django_db
def test_the_submission_digest_is_keyed_with_its_own_key(keyring_file):
    report = make_report(submission_key="form-key-1")
    keyring = load_keyring()

    assert report.submission_digest == _mac(keyring.submission_digest_key, "submission|form-key-1")
    assert report.submission_digest != _mac(keyring.index_key, "submission|form-key-1")


@pytest.mark.django_db
def test_the_extract_row_key_is_keyed_with_its_own_key(keyring_file):
    report = make_report(consent_statistics=True)
    extract_refresh(report_pk=report.pk)
    keyring = load_keyring()

    record = ExtractRecord.objects.get()

    assert record.key == extract_key(report.public_id)
    assert record.key == _mac(keyring.extract_row_key, f"extract|{report.public_id}")
    assert record.key != _mac(keyring.index_key, f"extract|{report.public_id}")


# Data keyed with the raw index key before the upgrade.


@pytest.mark.django_db
def test_a_form_sent_before_the_upgrade_and_resent_after_it_files_nothing(keyring_file):
    first = make_report(submission_key="sent-before-the-upgrade")
    legacy = _mac(load_keyring().index_key, "submission|sent-before-the-upgrade")
    Report.objects.filter(pk=first.pk).update(submission_digest=legacy)  # as filed then

    with pytest.raises(DomainError, match="already sent"):
        make_report(submission_key="sent-before-the-upgrade")

    assert Report.objects.count() == 1


def _record_keyed_as_before_the_upgrade() -> Report:
    report = make_report(consent_statistics=True)
    extract_refresh(report_pk=report.pk)
    legacy = _mac(load_keyring().index_key, f"extract|{report.public_id}")
    ExtractRecord.objects.update(key=legacy)
    return report


def _rekey() -> str:
    out = StringIO()
    call_command("extract_rekey", "--batch-size", "1", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_erasing_a_report_after_the_upgrade_removes_its_extract_record(keyring_file):
    reporter = UserFactory()
    report = make_report(reporter, consent_statistics=True)
    extract_refresh(report_pk=report.pk)
    ExtractRecord.objects.update(key=_mac(load_keyring().index_key, f"extract|{report.public_id}"))
    assert sum(Aggregate.objects.values_list("count", flat=True)) > 0

    report_erase(actor=reporter, report=report)

    assert not ExtractRecord.objects.exists()
    assert sum(Aggregate.objects.values_list("count", flat=True)) == 0


@pytest.mark.django_db
def test_refreshing_a_record_made_before_the_upgrade_rekeys_it_without_a_second_record(
    keyring_file,
):
    report = _record_keyed_as_before_the_upgrade()
    counts = sorted(Aggregate.objects.values_list("dimension", "value", "count"))

    assert extract_refresh(report_pk=report.pk) == "unchanged"

    assert list(ExtractRecord.objects.values_list("key", flat=True)) == [
        extract_key(report.public_id)
    ]
    assert sorted(Aggregate.objects.values_list("dimension", "value", "count")) == counts


@pytest.mark.django_db
def test_the_rekey_command_moves_records_to_the_row_key_and_erasure_then_finds_them(
    keyring_file,
):
    report = _record_keyed_as_before_the_upgrade()
    others = [make_report(consent_statistics=False), make_report(consent_statistics=True)]
    extract_refresh(report_pk=others[1].pk)  # written after the upgrade: already right

    assert "Moved 1 extract records" in _rekey()

    assert set(ExtractRecord.objects.values_list("key", flat=True)) == {
        extract_key(report.public_id),
        extract_key(others[1].public_id),
    }
    assert AuditEvent.objects.filter(action="extract.rekey").count() == 1
    report_erase(actor=report.reporter, report=report)
    assert list(ExtractRecord.objects.values_list("key", flat=True)) == [
        extract_key(others[1].public_id)
    ]


@pytest.mark.django_db
def test_running_the_rekey_command_again_changes_nothing(keyring_file):
    _record_keyed_as_before_the_upgrade()
    _rekey()
    keys = list(ExtractRecord.objects.values_list("pk", "key"))
    events = AuditEvent.objects.count()

    assert "Moved 0 extract records" in _rekey()

    assert list(ExtractRecord.objects.values_list("pk", "key")) == keys
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_the_rekey_command_refuses_a_batch_size_below_one(keyring_file):
    with pytest.raises(CommandError, match="batch-size"):
        call_command("extract_rekey", "--batch-size", "0")


# Changing the blind-index key.


@pytest.mark.django_db
def test_keyring_rotate_starts_a_new_blind_index_generation_and_nothing_else(keyring_file):
    make_report()
    before = load_keyring()
    wraps = list(KeyWrap.objects.values_list("kek_id", "wrapped"))

    output = _rotate("--index-generation")

    on_disk = json.loads(keyring_file.read_text())
    after = load_keyring()
    assert on_disk["index_generation"] == after.index_generation == 2
    assert "blind_index_rebuild" in output
    assert (after.active, after.keks, after.index_key) == (
        before.active,
        before.keks,
        before.index_key,
    )
    assert list(KeyWrap.objects.values_list("kek_id", "wrapped")) == wraps
    event = AuditEvent.objects.get(action="keyring.index_generation")
    assert after.blind_index_key.hex() not in str(vars(event))
    assert after.index_key.hex() not in str(vars(event))


@pytest.mark.django_db
def test_a_new_generation_cannot_be_started_together_with_another_step(keyring_file):
    on_disk = load_keyring().to_json()

    with pytest.raises(CommandError):
        _rotate("--index-generation", "--stage")

    assert load_keyring().to_json() == on_disk
