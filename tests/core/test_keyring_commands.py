"""Data keys, KEK rotation, retirement and crypto-shredding (core.keys and the keyring commands)."""

import json
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.crypto import envelope, sealed
from core.crypto import keyring as keyring_module
from core.crypto.errors import CryptoError, KeyringError
from core.crypto.keyring import load_keyring, new_keyring
from core.keys import data_key, data_key_create, data_key_destroy
from core.models import AuditEvent, KeyWrap
from incidents.models import Report
from incidents.selectors import report_open
from incidents.services import report_erase
from tests.factories import UserFactory, make_anonymous_report, make_report

pytestmark = pytest.mark.django_db


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("keyring_rotate", *args, stdout=out)
    return out.getvalue()


def _retire(kek_id: str) -> str:
    out = StringIO()
    call_command("keyring_retire", kek_id, stdout=out)
    return out.getvalue()


def _narrative(report: Report) -> str:
    return report_open(report=Report.objects.get(pk=report.pk)).incidents[0].narrative


def _wrap_context(wrap: KeyWrap) -> str:
    return envelope.wrap_context(
        f"{wrap.owner_type}:{wrap.owner_id}", wrap.recipient_kind, wrap.recipient
    )


def _reports(count: int) -> list[Report]:
    return [make_report(narrative=f"Narrative number {n}.") for n in range(count)]


def test_a_data_key_is_stored_only_wrapped(keyring_file):
    owner = Report()
    dek = data_key_create(owner)
    wrap = KeyWrap.objects.get(owner_id=owner.public_id)
    stored = b"".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for value in KeyWrap.objects.filter(pk=wrap.pk).values_list().get()
    )
    assert len(dek) == 32
    assert dek not in stored
    assert dek.hex().encode() not in stored
    assert wrap.owner_type == "incidents.report"
    assert wrap.kek_id == load_keyring().active == "k1"
    assert data_key(owner) == dek


def test_a_wrap_does_not_open_for_another_owner(keyring_file):
    first, second = Report(), Report()
    data_key_create(first)
    data_key_create(second)
    wrap = KeyWrap.objects.get(owner_id=first.public_id)
    wrap.owner_id = second.public_id
    with pytest.raises(CryptoError):
        envelope.unwrap_dek(
            wrap.wrapped, keyring=load_keyring(), kek_id="k1", context=_wrap_context(wrap)
        )


def test_every_report_has_its_own_data_key(keyring_file):
    first, second = _reports(2)
    assert data_key(first) != data_key(second)


def test_rotation_adds_a_new_active_kek_and_rewraps_every_data_key(keyring_file):
    reports = _reports(2)
    before = {wrap.pk: bytes(wrap.wrapped) for wrap in KeyWrap.objects.all()}
    keys_before = {report.pk: data_key(report) for report in reports}

    output = _rotate()

    keyring = load_keyring()
    assert keyring.active == "k2"
    assert set(keyring.keks) == {"k1", "k2"}
    assert "k2" in output
    wraps = list(KeyWrap.objects.all())
    assert len(wraps) == len(before) == 2
    assert {wrap.kek_id for wrap in wraps} == {"k2"}
    assert all(bytes(wrap.wrapped) != before[wrap.pk] for wrap in wraps)
    assert {report.pk: data_key(report) for report in reports} == keys_before


def test_reports_made_before_a_rotation_still_open(keyring_file):
    report = make_report(narrative="They followed me home after the debate.")
    _rotate()
    assert _narrative(report) == "They followed me home after the debate."
    assert report_open(report=report).municipality == "Smallville"


def test_rotation_persists_the_new_keyring_with_mode_0600(keyring_file):
    make_report()
    _rotate()
    on_disk = json.loads(keyring_file.read_text())
    assert on_disk["active"] == "k2"
    assert set(on_disk["keks"]) == {"k1", "k2"}
    assert stat.S_IMODE(keyring_file.stat().st_mode) == 0o600
    keyring_module.clear_keyring_cache()
    assert load_keyring().active == "k2"


def test_rotation_is_audited_without_key_material(keyring_file):
    make_report()
    _rotate()
    event = AuditEvent.objects.get(action="keyring.rotate")
    keyring = load_keyring()
    for key in [*keyring.keks.values(), keyring.index_key]:
        assert key.hex() not in str(vars(event))


def test_reports_made_after_a_rotation_use_the_new_kek(keyring_file):
    _rotate()
    report = make_report(narrative="After the rotation.")
    assert KeyWrap.objects.get(owner_id=report.public_id).kek_id == "k2"
    assert _narrative(report) == "After the rotation."


def test_an_interrupted_rotation_is_finished_by_resume_without_a_new_kek(keyring_file):
    reports = _reports(3)

    _rotate("--max-batches", "1", "--batch-size", "1")

    assert KeyWrap.objects.filter(kek_id="k2").count() == 1
    assert KeyWrap.objects.filter(kek_id="k1").count() == 2
    assert [_narrative(report) for report in reports] == [
        f"Narrative number {n}." for n in range(3)
    ]

    output = _rotate("--resume")

    assert "Rewrapped 2" in output
    assert set(load_keyring().keks) == {"k1", "k2"}
    assert set(KeyWrap.objects.values_list("kek_id", flat=True)) == {"k2"}
    assert [_narrative(report) for report in reports] == [
        f"Narrative number {n}." for n in range(3)
    ]
    assert AuditEvent.objects.filter(action="keyring.rotate").count() == 1


def test_resume_with_nothing_left_to_rewrap_changes_nothing(keyring_file):
    make_report()
    _rotate()
    wrapped = list(KeyWrap.objects.values_list("wrapped", flat=True))
    assert "Rewrapped 0" in _rotate("--resume")
    assert list(KeyWrap.objects.values_list("wrapped", flat=True)) == wrapped
    assert set(load_keyring().keks) == {"k1", "k2"}


def test_rotation_refuses_a_batch_size_below_one(keyring_file):
    with pytest.raises(CommandError, match="batch-size"):
        _rotate("--batch-size", "0")
    assert set(load_keyring().keks) == {"k1"}


# Several hosts: stage a key, copy the file everywhere, then activate it.


def test_staging_adds_a_key_that_wraps_nothing_until_it_is_activated(keyring_file):
    before = make_report(narrative="Filed before the key was staged.")

    output = _rotate("--stage")
    after = make_report(narrative="Filed while the key was staged.")

    keyring = load_keyring()
    assert (keyring.active, set(keyring.keks)) == ("k1", {"k1", "k2"})
    assert "--activate k2" in output
    assert set(KeyWrap.objects.values_list("kek_id", flat=True)) == {"k1"}
    assert AuditEvent.objects.filter(action="keyring.stage").count() == 1
    assert _narrative(before) == "Filed before the key was staged."
    assert _narrative(after) == "Filed while the key was staged."


def test_activating_a_staged_key_makes_it_active_and_rewraps_every_data_key(keyring_file):
    reports = _reports(2)
    keys_before = {report.pk: data_key(report) for report in reports}
    _rotate("--stage")

    output = _rotate("--activate", "k2")

    assert load_keyring().active == "k2"
    assert "Rewrapped 2" in output
    assert set(KeyWrap.objects.values_list("kek_id", flat=True)) == {"k2"}
    assert {report.pk: data_key(report) for report in reports} == keys_before
    assert AuditEvent.objects.filter(action="keyring.rotate").count() == 1


@pytest.mark.parametrize(
    ("key", "message"),
    [("k9", "no key 'k9'"), ("k2", "already the active key"), ("k1", "older than")],
)
def test_activating_a_key_that_is_not_a_newer_staged_one_changes_nothing(
    keyring_file, key, message
):
    make_report()
    _rotate()  # k2 active, k1 still there
    on_disk = keyring_file.read_text()

    with pytest.raises(CommandError, match=message):
        _rotate("--activate", key)

    assert keyring_file.read_text() == on_disk
    assert set(KeyWrap.objects.values_list("kek_id", flat=True)) == {"k2"}


def test_staging_and_activating_in_one_run_is_refused(keyring_file):
    on_disk = load_keyring().to_json()

    with pytest.raises(CommandError):
        _rotate("--stage", "--activate", "k2")

    assert load_keyring().to_json() == on_disk


def test_retiring_a_kek_still_in_use_is_refused(keyring_file):
    _reports(3)
    _rotate("--max-batches", "1", "--batch-size", "1")
    with pytest.raises(CommandError, match="still wraps 2"):
        _retire("k1")
    assert "k1" in load_keyring().keks
    assert "k1" in json.loads(keyring_file.read_text())["keks"]


def test_retiring_the_active_kek_is_refused(keyring_file):
    make_report()
    _rotate()
    KeyWrap.objects.all().delete()  # even with no wrap under it, the active key stays
    with pytest.raises(CommandError, match="active"):
        _retire("k2")
    assert load_keyring().active == "k2"


def test_retiring_an_unknown_kek_is_refused(keyring_file):
    load_keyring()
    with pytest.raises(CommandError, match="k9"):
        _retire("k9")


def test_a_kek_no_wrap_uses_is_retired_from_the_keyring(keyring_file):
    reports = _reports(3)
    _rotate("--max-batches", "1", "--batch-size", "1")
    _rotate("--resume")

    assert "Retired k1" in _retire("k1")

    assert set(load_keyring().keks) == {"k2"}
    assert set(json.loads(keyring_file.read_text())["keks"]) == {"k2"}
    assert AuditEvent.objects.filter(action="keyring.retire").count() == 1
    assert _narrative(reports[0]) == "Narrative number 0."
    keyring_module.clear_keyring_cache()
    assert _narrative(reports[2]) == "Narrative number 2."


def test_an_inline_keyring_cannot_be_rotated(settings):
    settings.RECOURSE_KEYRING = new_keyring().to_json()
    settings.RECOURSE_KEYRING_FILE = None
    try:
        with pytest.raises(CommandError, match="RECOURSE_KEYRING"):
            _rotate()
        assert set(load_keyring().keks) == {"k1"}
        assert not AuditEvent.objects.filter(action="keyring.rotate").exists()
    finally:
        keyring_module.clear_keyring_cache()


def test_a_process_that_loaded_the_keyring_earlier_still_opens_reports_after_a_rotation(
    keyring_file,
):
    """Web and task workers are separate processes (DESIGN.md): a rotation run from
    `manage.py keyring_rotate` must not leave them unable to open what it rewrapped."""
    report = make_report(narrative="Opened by a long-running worker.")
    loaded_by_the_worker = load_keyring(), keyring_module._cache_stamp
    _rotate()  # as the operator's separate process would: the new keyring is on disk
    # The worker still holds what it loaded, and the file stamp it loaded it from.
    keyring_module._cache, keyring_module._cache_stamp = loaded_by_the_worker
    try:
        assert _narrative(report) == "Opened by a long-running worker."
    finally:
        keyring_module.clear_keyring_cache()


def test_a_report_filed_by_a_process_that_loaded_the_keyring_earlier_survives_retirement(
    keyring_file,
):
    """A worker that loaded the keyring before a rotation and a retirement must not wrap new data
    keys under the retired KEK: once it restarts, nothing could open those reports."""
    loaded_by_the_worker = load_keyring(), keyring_module._cache_stamp
    _rotate()
    _retire("k1")  # no wrap uses k1, so the operator may retire it
    keyring_module._cache, keyring_module._cache_stamp = loaded_by_the_worker
    try:
        report = make_report(narrative="Filed by a long-running worker.")
    finally:
        keyring_module.clear_keyring_cache()  # the worker restarts
    assert _narrative(report) == "Filed by a long-running worker."


def test_an_erased_report_cannot_be_opened_even_with_the_keyring(keyring_file):
    reporter = UserFactory()
    report = make_report(reporter, narrative="CANARY narrative to be erased.")
    others = [make_report(), make_anonymous_report()[0]]
    incident = report.incidents.get()
    saved = {
        ("incidents_report", report.public_id, "contact"): bytes(report.contact_sealed),
        ("incidents_report", report.public_id, "municipality"): bytes(report.municipality_sealed),
        ("incidents_incident", incident.public_id, "narrative"): bytes(incident.narrative_sealed),
    }
    assert KeyWrap.objects.filter(owner_id=report.public_id).count() == 1

    report_erase(actor=reporter, report=report)

    assert not KeyWrap.objects.filter(owner_id=report.public_id).exists()
    with pytest.raises(KeyWrap.DoesNotExist):
        data_key(report)
    keyring = load_keyring()
    remaining = list(KeyWrap.objects.all())
    assert len(remaining) == len(others)
    for wrap in remaining:
        dek = envelope.unwrap_dek(
            wrap.wrapped, keyring=keyring, kek_id=wrap.kek_id, context=_wrap_context(wrap)
        )
        for (table, public_id, field), blob in saved.items():
            with pytest.raises(CryptoError):
                sealed.open_value(dek, blob, table=table, public_id=public_id, field=field)
        erased_context = envelope.wrap_context(
            f"incidents.report:{report.public_id}", wrap.recipient_kind, wrap.recipient
        )
        with pytest.raises(CryptoError):
            envelope.unwrap_dek(
                wrap.wrapped, keyring=keyring, kek_id=wrap.kek_id, context=erased_context
            )
    for kek in keyring.keks.values():
        for (table, public_id, field), blob in saved.items():
            with pytest.raises(CryptoError):
                sealed.open_value(kek, blob, table=table, public_id=public_id, field=field)


def test_erasing_a_report_removes_its_rows_and_keeps_the_others_readable(keyring_file):
    reporter = UserFactory()
    report = make_report(reporter)
    other = make_report(narrative="Someone else's report.")

    report_erase(actor=reporter, report=report)

    assert not Report.objects.filter(pk=report.pk).exists()
    assert _narrative(other) == "Someone else's report."
    assert AuditEvent.objects.filter(
        action="report.erase", object_id=str(report.public_id)
    ).exists()


def test_data_key_of_an_unknown_kek_is_a_keyring_error(keyring_file):
    report = make_report()
    KeyWrap.objects.filter(owner_id=report.public_id).update(kek_id="k7")
    with pytest.raises(KeyringError, match="k7"):
        data_key(type(report).objects.get(pk=report.pk))


def test_the_key_just_made_is_not_read_back_but_a_loaded_owner_reads_it(keyring_file):
    report = make_report()
    loaded = type(report).objects.get(pk=report.pk)
    assert data_key(report) == data_key(loaded)
    data_key_destroy(report)
    with pytest.raises(KeyWrap.DoesNotExist):
        data_key(report)
