"""Writes on the reporter's side. Each service checks the actor, writes its audit event in the
same transaction, and never receives a request."""

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import audit_record, audit_together
from core.crypto.blind_index import blind_indexes
from core.crypto.files import seal_stream
from core.crypto.keyring import load_keyring
from core.errors import FRESH_ID, DomainError, validated
from core.filetypes import human_size, sniff
from core.inserts import insert_together
from core.keys import data_key, data_key_destroy, data_key_new
from core.models import Role, User
from core.vault import vault_delete, vault_write
from incidents import receipts
from incidents.inputs import (
    DESCRIPTION_MAX,
    IncidentInput,
    ReportInput,
    check_incident,
    check_report,
    clean_identifiers,
)
from incidents.models import (
    EVIDENCE_VAULT,
    Evidence,
    Incident,
    PerpetratorMark,
    Receipt,
    Report,
)
from incidents.sealing import seal_field
from incidents.taxonomy import AbuseType, BiasGround, Channel, Need, RiskFlag, code_order
from insights.services import extract_remove
from support.services import case_open, case_reassess

SNIFF_BYTES = 8192


def _require_reporter(actor: User, *, may_be_receipt: bool = False) -> None:
    if not actor.is_authenticated or actor.role != Role.REPORTER:
        raise DomainError(_("Only reporter accounts can file reports."))
    if actor.is_receipt_account and not may_be_receipt:
        raise DomainError(_("A receipt opens one report; file a new report without signing in."))


def _ordered_union(vocabulary: type[models.TextChoices], *lists: list[str]) -> list[str]:
    """Codes of one vocabulary, once each, in the vocabulary's order. Unknown codes are kept (at
    the end) so that model validation refuses them rather than dropping them silently."""
    chosen = dict.fromkeys(code for codes in lists for code in codes)
    order = code_order(vocabulary)
    return sorted(chosen, key=lambda code: order.get(code, len(order)))


def _incident_create(report: Report, key: bytes, data: IncidentInput) -> Incident:
    incident = Incident(
        report=report,
        occurred_on=data.occurred_on,
        channels=_ordered_union(Channel, data.channels),
        abuse_types=_ordered_union(AbuseType, data.abuse_types),
    )
    identifiers = clean_identifiers(data.perpetrator_identifiers)
    incident.narrative_sealed = seal_field(key, incident, "narrative", data.narrative.strip())
    incident.identifiers_sealed = seal_field(key, incident, "identifiers", identifiers)
    validated(incident, exclude=["report", *FRESH_ID])
    incident.save()
    if report.consent_matching:
        _marks_add(report, identifiers)
    return incident


def _marks_add(report: Report, identifiers: list[str]) -> None:
    """One insert for all of them; a mark the report already has is left as it is."""
    keyring = load_keyring()
    generation = keyring.index_generation
    PerpetratorMark.objects.bulk_create(
        [
            PerpetratorMark(report=report, digest=digest, index_generation=generation)
            for digest in blind_indexes(identifiers, keyring=keyring)
        ],
        ignore_conflicts=True,
    )


def _submission_digest(data: ReportInput) -> str | None:
    """None without a key; a DomainError when a report with the same key was already filed."""
    if not data.submission_key:
        return None
    keyring = load_keyring()
    message = f"submission|{data.submission_key}".encode()
    digest = hmac.new(keyring.submission_digest_key, message, hashlib.sha256).hexdigest()
    # A form opened before the keys were separated carries a key digested with the legacy key;
    # resent after the upgrade it must still be recognized (drop this in a later release).
    legacy = hmac.new(keyring.legacy_key, message, hashlib.sha256).hexdigest()
    if Report.objects.filter(submission_digest__in=[digest, legacy]).exists():
        raise DomainError(_("This report was already sent. It was filed once; nothing was added."))
    return digest


def _report_create(*, actor: User, data: ReportInput) -> Report:
    check_report(data)
    report = Report(
        reporter=actor,
        submission_digest=_submission_digest(data),
        role=data.role,
        region=data.region,
        channels=_ordered_union(Channel, data.incident.channels),
        abuse_types=_ordered_union(AbuseType, data.incident.abuse_types),
        bias_grounds=_ordered_union(BiasGround, data.bias_grounds),
        perpetrator_type=data.perpetrator_type,
        risk_flags=_ordered_union(RiskFlag, data.risk_flags),
        needs=_ordered_union(Need, data.needs),
        preferred_language=data.preferred_language,
        consent_statistics=data.consent_statistics,
        consent_matching=data.consent_matching,
    )
    key, wrap = data_key_new(report)
    report.municipality_sealed = seal_field(key, report, "municipality", data.municipality.strip())
    report.contact_sealed = seal_field(key, report, "contact", data.contact_details.strip())
    validated(report, exclude=["reporter", *FRESH_ID])
    # report.submit and case.open are appended as one, last, so that concurrent filings hold
    # the chain's head only from there to the commit.
    with audit_together():
        insert_together(report, wrap)  # on PostgreSQL one statement: the wrap costs no round trip
        _incident_create(report, key, data.incident)
        audit_record(actor=actor, action="report.submit", obj=report)
        case_open(report=report)  # queues the one task a filing needs
    return report


@transaction.atomic
def report_submit(*, actor: User, data: ReportInput) -> Report:
    """A signed-in reporter files a report with its first incident. Audits report.submit."""
    _require_reporter(actor)
    return _report_create(actor=actor, data=data)


@dataclass(frozen=True)
class AnonymousSubmission:
    report: Report
    receipt: str  # shown once, never stored


@dataclass(frozen=True)
class _DrawnReceipt:
    parts: receipts.ReceiptParts
    secret_hash: str


def _receipt_draw() -> _DrawnReceipt:
    parts = receipts.receipt_generate()
    return _DrawnReceipt(parts=parts, secret_hash=make_password(parts.secret))


def report_submit_anonymous(*, data: ReportInput) -> AnonymousSubmission:
    """Anyone files without an account and gets a receipt. Audits report.submit."""
    check_report(data)
    # Hashing the receipt (Argon2, a tenth of a second) before the transaction opens: on SQLite
    # every other writer would wait for it.
    drawn = _receipt_draw()
    with transaction.atomic():
        _submission_digest(data)  # refuse a resent form before making its account
        account = User(
            username=f"receipt-{secrets.token_hex(12)}",
            role=Role.REPORTER,
            is_receipt_account=True,
        )
        account.set_unusable_password()
        account.save()
        report = _report_create(actor=account, data=data)
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    Receipt.objects.create(
                        report=report, lookup=drawn.parts.lookup, secret_hash=drawn.secret_hash
                    )
            except IntegrityError:
                drawn = _receipt_draw()  # the lookup prefix is taken: draw again
                continue
            return AnonymousSubmission(report=report, receipt=drawn.parts.text)
        raise RuntimeError("Could not draw an unused receipt prefix.")  # rolls it all back


def receipt_authenticate(*, receipt: str) -> User | None:
    """The account of the one report this receipt opens, or None. Same cost whether found or not."""
    parts = receipts.receipt_parse(receipt)
    record = (
        Receipt.objects.select_related("report__reporter").filter(lookup=parts.lookup).first()
        if parts
        else None
    )
    if record is None or parts is None:
        make_password(secrets.token_hex(12))  # spend the same time as a real check
        return None
    if not check_password(parts.secret, record.secret_hash):
        return None
    account = record.report.reporter
    return account if account.is_active else None


def _require_owner(actor: User, report: Report) -> None:
    if not actor.is_authenticated or report.reporter_id != actor.pk:
        raise DomainError(_("This report is not yours."))


@transaction.atomic
def incident_add(*, actor: User, report: Report, data: IncidentInput) -> Incident:
    """The report's owner adds an occurrence to its timeline. Audits incident.add."""
    _require_owner(actor, report)
    check_incident(data)
    report = Report.objects.select_for_update().get(pk=report.pk)
    incident = _incident_create(report, data_key(report), data)
    report.channels = _ordered_union(Channel, report.channels, incident.channels)
    report.abuse_types = _ordered_union(AbuseType, report.abuse_types, incident.abuse_types)
    report.save(update_fields=["channels", "abuse_types", "updated_at"])
    audit_record(actor=actor, action="incident.add", obj=incident)
    case_reassess(report=report)
    return incident


def _safe_name(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    return cleaned[:200] or "evidence"


class _Intake:
    """Passes an upload's plaintext through, measuring it, hashing it and sniffing its type."""

    def __init__(self, upload: UploadedFile) -> None:
        self._upload = upload
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._upload.chunks():
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
                if len(self.head) == SNIFF_BYTES and self.content_type is None:
                    raise _not_accepted()  # refuse early rather than encrypt 50 MiB of it
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk

    @property
    def content_type(self) -> str | None:
        return sniff(self.head)


def _not_accepted() -> DomainError:
    return DomainError(
        {
            "file": [
                _(
                    "This kind of file is not accepted. Send a picture, PDF, video, audio, "
                    "Word document or plain text file."
                )
            ]
        }
    )


def _file_refused(message: str) -> DomainError:
    return DomainError({"file": [message]})


def _evidence_check_input(upload: UploadedFile, description: str) -> None:
    if getattr(upload, "too_large", False):
        limit = human_size(settings.RECOURSE_MAX_UPLOAD_BYTES)
        raise _file_refused(
            _("This file is larger than %(limit)s. Try a smaller file.") % {"limit": limit}
        )
    if len(description) > DESCRIPTION_MAX:
        raise DomainError({"description": [_("Keep the description under 2,000 characters.")]})


def _evidence_usage(evidence: models.QuerySet[Evidence]) -> tuple[int, int]:
    """(files, stored bytes) of these evidence rows, in one query."""
    usage = evidence.aggregate(files=models.Count("pk"), stored=models.Sum("stored_bytes"))
    return usage["files"], usage["stored"] or 0


def _evidence_quota_check(*, report: Report, incoming: int) -> None:
    """Refuse one more file of `incoming` stored bytes past the report's or its account's quota."""
    _report_quota_check(report, incoming)
    _account_quota_check(report, incoming)


def _report_quota_check(report: Report, incoming: int) -> None:
    files, stored = _evidence_usage(Evidence.objects.filter(report=report))
    if files >= settings.RECOURSE_EVIDENCE_PER_REPORT_FILES:
        raise _file_refused(
            ngettext(
                "This report already has %(count)d file, the most one report can hold.",
                "This report already has %(count)d files, the most one report can hold.",
                files,
            )
            % {"count": files}
        )
    if stored + incoming > settings.RECOURSE_EVIDENCE_PER_REPORT_BYTES:
        limit = human_size(settings.RECOURSE_EVIDENCE_PER_REPORT_BYTES)
        raise _file_refused(
            _("With this file the report would hold more than %(limit)s. Try a smaller file.")
            % {"limit": limit}
        )


def _account_quota_check(report: Report, incoming: int) -> None:
    """A rolling 24 hours over all the account's reports (a receipt's account is an account)."""
    since = timezone.now() - timedelta(hours=24)
    recent = Evidence.objects.filter(report__reporter_id=report.reporter_id, created_at__gte=since)
    files, stored = _evidence_usage(recent)
    if files >= settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES:
        raise _file_refused(
            ngettext(
                "You added %(count)d file in the last 24 hours, the most we take in a day. "
                "Please try again tomorrow.",
                "You added %(count)d files in the last 24 hours, the most we take in a day. "
                "Please try again tomorrow.",
                files,
            )
            % {"count": files}
        )
    if stored + incoming > settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_BYTES:
        limit = human_size(settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_BYTES)
        raise _file_refused(
            _(
                "With this file you would add more than %(limit)s in 24 hours. "
                "Please try again tomorrow."
            )
            % {"limit": limit}
        )


def _evidence_store(
    *, key: bytes, evidence: Evidence, upload: UploadedFile, description: str
) -> None:
    """Encrypt the upload into the vault, then check what was read; on any refusal the caller
    deletes the file."""
    intake = _Intake(upload)
    evidence.stored_bytes = vault_write(
        EVIDENCE_VAULT,
        evidence.public_id,
        seal_stream(
            key, intake, context=f"evidence:{evidence.public_id}", stream_id=secrets.token_bytes(8)
        ),
    )
    if intake.size == 0:
        raise _file_refused(_("This file is empty."))
    if intake.content_type is None:
        raise _not_accepted()
    # Again with the real size on disk: the first check only had the size the upload announced.
    _evidence_quota_check(report=evidence.report, incoming=evidence.stored_bytes)
    meta = {
        "name": _safe_name(upload.name or ""),
        "content_type": intake.content_type,
        "size": intake.size,
        "sha256": intake.digest.hexdigest(),
        "description": description.strip(),
    }
    evidence.meta_sealed = seal_field(key, evidence, "meta", meta)


@transaction.atomic
def evidence_add(
    *, actor: User, report: Report, upload: UploadedFile, description: str = ""
) -> Evidence:
    """The report's owner adds an encrypted file, typed by its content, within the report's and
    the account's quotas. Audits evidence.add.

    The upload arrives already encrypted under a throwaway key (core.uploads) and is re-encrypted
    as a stream under the report's key: no plaintext byte is written anywhere."""
    _require_owner(actor, report)
    _evidence_check_input(upload, description)
    # The report's row stays locked to the commit, so two uploads to it cannot both pass the
    # quota. The announced size is checked before a byte of the file is read.
    report = Report.objects.select_for_update().get(pk=report.pk)
    _evidence_quota_check(report=report, incoming=upload.size or 0)
    evidence = Evidence(report=report)
    try:
        _evidence_store(
            key=data_key(report), evidence=evidence, upload=upload, description=description
        )
        validated(evidence, exclude=["report"])
        evidence.save()
        audit_record(actor=actor, action="evidence.add", obj=evidence)
    except BaseException:
        vault_delete(EVIDENCE_VAULT, evidence.public_id)
        raise
    return evidence


@transaction.atomic
def report_erase(*, actor: User, report: Report) -> None:
    """The owner erases a report: its key is destroyed first (crypto-shredding), then its rows
    and files. Audits report.erase."""
    _require_owner(actor, report)
    evidence_ids = list(report.evidence.values_list("public_id", flat=True))
    data_key_destroy(report)
    extract_remove(report_id=report.public_id)
    audit_record(actor=actor, action="report.erase", obj=report)
    account = report.reporter
    report.delete()
    if account.is_receipt_account:
        account.delete()

    def remove_files() -> None:
        for evidence_id in evidence_ids:
            vault_delete(EVIDENCE_VAULT, evidence_id)

    transaction.on_commit(remove_files)


@transaction.atomic
def report_consent_withdraw(*, actor: User, report: Report) -> Report:
    """The owner stops their report being counted in statistics; its extract record goes at
    once. Audits report.consent.withdraw."""
    _require_owner(actor, report)
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.consent_statistics:
        report.consent_statistics = False
        report.save(update_fields=["consent_statistics", "updated_at"])
    extract_remove(report_id=report.public_id)
    audit_record(actor=actor, action="report.consent.withdraw", obj=report)
    return report
