"""Writing the statistical extract. Only reports whose reporter consented are counted; their
record holds coarse dimensions, and the writer finds it again by a keyed hash of the report id,
which no reader of the extract can reverse or follow."""

import hashlib
import hmac
from collections import Counter
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.crypto.keyring import load_keyring
from incidents.models import Report
from insights.models import Aggregate, ExtractRecord, ExtractValue
from support.models import Case, CaseStatus

Contribution = tuple[str, str, str, str, str]  # month, region, role, dimension, value


def extract_key(report_id: UUID | str) -> str:
    return _row_key(load_keyring().extract_row_key, report_id)


def _legacy_extract_key(report_id: UUID | str) -> str:
    """The key records were written under before the keys were separated (see extract_rekey)."""
    return _row_key(load_keyring().legacy_key, report_id)


def _row_key(key: bytes, report_id: UUID | str) -> str:
    return hmac.new(key, f"extract|{report_id}".encode(), hashlib.sha256).hexdigest()


def _record_locked(report_id: UUID | str) -> ExtractRecord | None:
    """The report's record, found by its key; one still under the legacy key is rekeyed first,
    so erasure and refreshes work before `manage.py extract_rekey` has run."""
    key = extract_key(report_id)
    record = ExtractRecord.objects.select_for_update().filter(key=key).first()
    if record is None:
        legacy = _legacy_extract_key(report_id)
        record = ExtractRecord.objects.select_for_update().filter(key=legacy).first()
        if record is not None:
            ExtractRecord.objects.filter(pk=record.pk).update(key=key)
            record.key = key
    return record


@transaction.atomic
def extract_rekey_batch(*, after_pk: int, batch_size: int) -> tuple[int, int]:
    """Only the upgrade command (extract_rekey, which audits the run): move the records of up to
    `batch_size` reports after `after_pk` from the legacy key to the extract row key.
    Returns (the last report pk looked at, how many records moved). Idempotent."""
    reports = Report.objects.filter(pk__gt=after_pk).order_by("pk").values_list("pk", "public_id")
    batch = list(reports[:batch_size])
    moved = 0
    for _pk, report_id in batch:
        legacy = ExtractRecord.objects.filter(key=_legacy_extract_key(report_id))
        moved += legacy.update(key=extract_key(report_id))
    return (batch[-1][0] if batch else after_pk), moved


def _response_bucket(case: Case | None) -> str:
    if case is None or case.first_response_at is None:
        return "none"
    waited = case.first_response_at - case.created_at
    for bucket, limit in (("under_1h", 1), ("1_4h", 4), ("4_24h", 24), ("1_3d", 72)):
        if waited <= timedelta(hours=limit):
            return bucket
    return "over_3d"


def _was_escalated(case: Case | None) -> bool:
    """Escalated at any point: a staff response later clears `escalated_at`, not the steps."""
    if case is None:
        return False
    return case.escalated_at is not None or case.escalation_steps.filter(level__gte=2).exists()


def _outcome(case: Case | None) -> str:
    if case is not None and case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return str(case.status)
    return "open"


def dimensions_of(report: Report) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The record's fixed fields and its (dimension, value) pairs."""
    case = getattr(report, "case", None)
    local = timezone.localtime(report.created_at)
    fields = {
        "month": f"{local.year:04d}-{local.month:02d}",
        "quarter": f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}",
        "region": report.region,
        "role": report.role,
    }
    values = [(name, value) for name, value in fields.items()]
    values += [("channel", code) for code in report.channels]
    values += [("abuse_type", code) for code in report.abuse_types]
    values += [("bias_ground", code) for code in report.bias_grounds]
    values += [
        ("perpetrator_type", report.perpetrator_type),
        ("severity", case.severity if case else "low"),
        ("response_time", _response_bucket(case)),
        ("escalated", "yes" if _was_escalated(case) else "no"),
        ("outcome", _outcome(case)),
    ]
    return fields, values


def _contributions(record: ExtractRecord | None, values: list[tuple[str, str]]) -> Counter:
    if record is None:
        return Counter()
    return Counter((record.month, record.region, record.role, dim, val) for dim, val in values)


def _apply(delta: Counter) -> None:
    for (month, region, role, dimension, value), change in delta.items():
        if not change:
            continue
        cell, _ = Aggregate.objects.get_or_create(
            month=month, region=region, role=role, dimension=dimension, value=value
        )
        Aggregate.objects.filter(pk=cell.pk).update(count=F("count") + change)


def _stored_values(record: ExtractRecord) -> list[tuple[str, str]]:
    return list(record.values.values_list("dimension", "value"))


@transaction.atomic
def extract_remove(*, report_id: UUID | str) -> bool:
    """Remove a report's record (erasure, withdrawn consent); idempotent."""
    record = _record_locked(report_id)
    if record is None:
        return False
    delta: Counter[Contribution] = Counter()
    delta.subtract(_contributions(record, _stored_values(record)))
    _apply(delta)
    record.delete()
    return True


@transaction.atomic
def extract_refresh(*, report_pk: int) -> str:
    """Write, update or remove one report's record to match the report now. Idempotent."""
    report = Report.objects.select_related("case").filter(pk=report_pk).first()
    if report is None:
        return "gone"
    if not report.consent_statistics:
        return "removed" if extract_remove(report_id=report.public_id) else "absent"
    fields, values = dimensions_of(report)
    record = _record_locked(report.public_id)
    old = _contributions(record, _stored_values(record)) if record else Counter()
    if record is None:
        record = ExtractRecord.objects.create(key=extract_key(report.public_id), **fields)
    else:
        ExtractRecord.objects.filter(pk=record.pk).update(**fields)
        for name, value in fields.items():
            setattr(record, name, value)
    new = _contributions(record, values)
    if new == old:
        return "unchanged"
    record.values.all().delete()
    ExtractValue.objects.bulk_create(
        [ExtractValue(record=record, dimension=d, value=v) for d, v in sorted(set(values))]
    )
    delta = Counter(new)
    delta.subtract(old)
    _apply(delta)
    return "written"


@transaction.atomic
def extract_rebuild() -> int:
    """Throw the extract away and write it again from the reports (refresh_insights)."""
    ExtractValue.objects.all().delete()
    ExtractRecord.objects.all().delete()
    Aggregate.objects.all().delete()
    written = 0
    for pk in Report.objects.filter(consent_statistics=True).values_list("pk", flat=True):
        written += extract_refresh(report_pk=pk) == "written"
    return written
