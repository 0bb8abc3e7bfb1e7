"""Rebuilding the blind index: marks made before the upgrade (raw index key, generation 0) or under
an earlier generation are recomputed from the sealed identifiers, in resumable batches; matching
compares only marks of the current generation, so it never matches across keys, and finds the
same perpetrator again once the marks are rebuilt."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.crypto.blind_index import blind_index, normalize_identifier
from core.crypto.keyring import load_keyring
from core.models import AuditEvent
from incidents.models import Incident, PerpetratorMark, Report
from incidents.services import incident_add
from support.models import PatternAlert, PatternLink
from tests.factories import UserFactory, incident_input, make_report

# Each test has a writable keyring of its own: the tests start new generations in it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keyring_file")]


@pytest.fixture
def file(django_capture_on_commit_callbacks):
    """File a consenting report naming `identifiers`; its triage (pattern check) runs as after
    the commit."""

    def filing(*identifiers: str, reporter=None) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            return make_report(
                reporter or UserFactory(),
                consent_matching=True,
                perpetrator_identifiers=list(identifiers),
            )

    return filing


def _digest(raw: str, generation: int | None = None) -> str:
    return blind_index(normalize_identifier(raw), keyring=load_keyring(), generation=generation)


def _as_before_the_upgrade(report: Report, raw: str) -> None:
    """The report's one mark as the release before this one made it: under the raw index key."""
    report.marks.update(digest=_digest(raw, generation=0), index_generation=0)


def _rebuild(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("blind_index_rebuild", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _new_generation() -> None:
    call_command("keyring_rotate", "--index-generation", stdout=StringIO())


def _recheck() -> None:
    call_command("pattern_recheck", stdout=StringIO())


def _marks() -> list[tuple[int, str, int]]:
    rows = PerpetratorMark.objects.order_by("report_id", "digest")
    return list(rows.values_list("report_id", "digest", "index_generation"))


def _linked(alert: PatternAlert) -> set[int]:
    return set(PatternLink.objects.filter(alert=alert).values_list("case__report_id", flat=True))


def test_marks_made_before_the_upgrade_are_rebuilt_under_the_blind_index_key(file):
    one, two = file("@Jane_Doe"), file("x.com/janedoe")
    _as_before_the_upgrade(one, "@jane_doe")
    _as_before_the_upgrade(two, "https://x.com/janedoe")

    out, err = _rebuild()

    assert _marks() == [
        (one.pk, _digest("@jane_doe"), 1),
        (two.pk, _digest("https://x.com/janedoe"), 1),
    ]
    assert "Rebuilt the marks of 2 reports (2 marks) under blind-index generation 1" in out
    assert "Every mark is of generation 1" in out
    assert err == ""
    assert "jane" not in (out + err).lower()  # no identifier in the output
    assert AuditEvent.objects.filter(action="blind_index.rebuild").count() == 1


def test_a_report_with_marks_of_both_generations_is_rebuilt_whole(file):
    report = file("@first_name")
    _as_before_the_upgrade(report, "@first_name")
    incident_add(
        actor=report.reporter,
        report=report,
        data=incident_input(perpetrator_identifiers=["@second_name", "@FIRST_NAME"]),
    )

    _rebuild()

    assert sorted(report.marks.values_list("digest", "index_generation")) == sorted(
        [(_digest("@first_name"), 1), (_digest("@second_name"), 1)]
    )


def test_matching_finds_the_same_perpetrator_after_a_new_generation_and_a_rebuild(file):
    one, two = file("@same_handle"), file("@Same_Handle")
    alert = PatternAlert.objects.get()
    assert _linked(alert) == {one.pk, two.pk}
    _new_generation()

    three = file("@SAME_HANDLE")  # its mark is of generation 2, the others' of generation 1

    assert PatternAlert.objects.get() == alert
    assert _linked(alert) == {one.pk, two.pk}

    _rebuild()
    _recheck()

    assert {mark.index_generation for mark in PerpetratorMark.objects.all()} == {2}
    assert PatternAlert.objects.get() == alert  # carried over, not duplicated
    assert PatternAlert.objects.get().digest == _digest("@same_handle")
    assert _linked(alert) == {one.pk, two.pk, three.pk}


def test_marks_of_another_generation_are_matched_with_nothing_until_rebuilt(file):
    first = file("@same_handle", "@other_handle")
    _new_generation()

    second = file("@same_handle")  # filed under the new key: no match across keys, no error

    assert not PatternAlert.objects.exists()
    assert first.marks.filter(index_generation=1).count() == 2

    _rebuild()
    _recheck()

    alert = PatternAlert.objects.get()
    assert _linked(alert) == {first.pk, second.pk}
    assert alert.digest == _digest("@same_handle")


def test_only_marks_of_the_current_generation_are_compared(file):
    one = file("@same_handle")
    one.marks.update(index_generation=0)  # recorded as made under another key

    two = file("@same_handle")

    assert PerpetratorMark.objects.filter(digest=_digest("@same_handle")).count() == 2
    assert not PatternAlert.objects.exists()
    assert two.marks.get().index_generation == 1


def test_the_rebuild_recomputes_marks_from_the_identifiers_not_from_the_old_digests(file):
    report = file("@jane_doe")
    report.marks.update(digest="0" * 64, index_generation=0)  # nothing to derive it from

    _rebuild()

    assert _marks() == [(report.pk, _digest("@jane_doe"), 1)]


def test_an_interrupted_rebuild_is_finished_by_running_it_again(file):
    reports = [file(f"@handle_{n}") for n in range(3)]
    for n, report in enumerate(reports):
        _as_before_the_upgrade(report, f"@handle_{n}")

    out, _err = _rebuild("--batch-size", "1", "--max-batches", "1")

    assert PerpetratorMark.objects.filter(index_generation=1).count() == 1
    assert PerpetratorMark.objects.filter(index_generation=0).count() == 2
    assert "2 reports still have marks of another generation" in out

    out, _err = _rebuild()

    assert "Rebuilt the marks of 2 reports" in out
    assert _marks() == [(r.pk, _digest(f"@handle_{n}"), 1) for n, r in enumerate(reports)]
    assert AuditEvent.objects.filter(action="blind_index.rebuild").count() == 2  # one per run


def test_running_the_rebuild_again_changes_nothing(file):
    report = file("@jane_doe", "jane@example.org")
    report.marks.update(index_generation=0)
    _rebuild()
    marks = list(PerpetratorMark.objects.order_by("pk").values_list("pk", "digest"))
    events = AuditEvent.objects.count()

    out, _err = _rebuild()

    assert "Rebuilt the marks of 0 reports" in out
    assert list(PerpetratorMark.objects.order_by("pk").values_list("pk", "digest")) == marks
    assert AuditEvent.objects.count() == events  # nothing opened, nothing to audit


def test_a_damaged_identifier_row_fails_clearly_and_the_other_reports_are_rebuilt(file):
    reports = [file(f"@handle_{n}") for n in range(3)]
    for n, report in enumerate(reports):
        _as_before_the_upgrade(report, f"@handle_{n}")
    damaged = reports[1]
    incident = Incident.objects.get(report=damaged)
    blob = bytearray(incident.identifiers_sealed)
    blob[-1] ^= 1
    Incident.objects.filter(pk=incident.pk).update(identifiers_sealed=bytes(blob))

    with pytest.raises(CommandError, match="could not be rebuilt: 1") as refused:
        call_command("blind_index_rebuild", stdout=StringIO(), stderr=(err := StringIO()))

    assert str(damaged.public_id) in err.getvalue()
    assert "left as they were" in err.getvalue()
    assert "still with marks of another generation: 1" in str(refused.value)
    assert list(damaged.marks.values_list("digest", "index_generation")) == [
        (_digest("@handle_1", generation=0), 0)
    ]
    for n in (0, 2):
        assert list(reports[n].marks.values_list("digest", "index_generation")) == [
            (_digest(f"@handle_{n}"), 1)
        ]


def test_a_damaged_row_does_not_stop_the_batches_after_it(file):
    reports = [file(f"@handle_{n}") for n in range(3)]
    for n, report in enumerate(reports):
        _as_before_the_upgrade(report, f"@handle_{n}")
    Incident.objects.filter(report=reports[0]).update(identifiers_sealed=b"\x00" * 40)

    with pytest.raises(CommandError):
        _rebuild("--batch-size", "1")

    assert PerpetratorMark.objects.filter(index_generation=1).count() == 2


@pytest.mark.parametrize("args", [("--batch-size", "0"), ("--max-batches", "0")])
def test_the_rebuild_refuses_a_batch_count_below_one(file, args):
    report = file("@jane_doe")
    _as_before_the_upgrade(report, "@jane_doe")
    marks = _marks()

    with pytest.raises(CommandError, match="at least 1"):
        _rebuild(*args)

    assert _marks() == marks
    assert not AuditEvent.objects.filter(action="blind_index.rebuild").exists()


def test_a_host_with_an_older_keyring_file_refuses_to_take_the_marks_back(file):
    report = file("@jane_doe")
    report.marks.update(index_generation=2)  # made by a host whose keyring is one generation on
    marks = _marks()

    with pytest.raises(CommandError, match="copy the current keyring file"):
        _rebuild()

    assert _marks() == marks
    assert not AuditEvent.objects.filter(action="blind_index.rebuild").exists()
