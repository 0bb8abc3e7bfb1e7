"""Bring every perpetrator mark to the keyring's current blind-index generation.

Marks are recomputed from each report's sealed identifiers (opened with its data key), not from
the old digests, so no earlier key is needed. One report at a time, each in its own transaction:
a report is either fully rebuilt or left as it was, and an interrupted run is finished by
running the command again. A report already at the current generation is not touched, so a
second run changes nothing.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.audit import audit_record
from core.crypto.blind_index import blind_indexes
from core.crypto.errors import CryptoError, KeyringError
from core.crypto.keyring import Keyring, load_keyring
from core.keys import data_key
from core.models import KeyWrap
from incidents.models import PerpetratorMark, Report
from incidents.sealing import open_field

# What a report whose identifiers cannot be opened raises; any other error stops the run.
UNREADABLE = (CryptoError, KeyringError, KeyWrap.DoesNotExist)


@dataclass
class _Run:
    reports: int = 0
    marks: int = 0
    batches: int = 0
    after_pk: int = 0
    failed: list[str] = field(default_factory=list)


def _stale_report_pks(*, generation: int, after_pk: int, batch_size: int) -> list[int]:
    stale = PerpetratorMark.objects.exclude(index_generation=generation)
    pks = stale.filter(report_id__gt=after_pk).order_by("report_id").values_list("report_id")
    return [pk for (pk,) in pks.distinct()[:batch_size]]


def _identifiers(key: bytes, incident: Any) -> list[str]:
    value = open_field(key, incident, "identifiers")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CryptoError("The sealed identifiers are not a list of identifiers.")
    return value


@transaction.atomic
def _report_rebuild(*, report_pk: int, keyring: Keyring) -> int:
    """Replace one report's marks of other generations; returns how many marks it now has.
    The report row is locked, as adding an incident locks it, so no mark added meanwhile is lost."""
    report = Report.objects.select_for_update().filter(pk=report_pk).first()
    if report is None:  # erased since the batch was chosen: its marks went with it
        return 0
    generation = keyring.index_generation
    digests: list[str] = []
    if report.consent_matching:  # marks exist only with consent; without it, none are remade
        key = data_key(report)
        for incident in report.incidents.all():
            digests += blind_indexes(_identifiers(key, incident), keyring=keyring)
    report.marks.exclude(index_generation=generation).delete()
    PerpetratorMark.objects.bulk_create(
        [
            PerpetratorMark(report=report, digest=digest, index_generation=generation)
            for digest in dict.fromkeys(digests)
        ],
        ignore_conflicts=True,
    )
    return report.marks.count()


class Command(BaseCommand):
    help = (
        "Recompute every perpetrator mark not of the keyring's current blind-index generation "
        "from the report's sealed identifiers, in batches. Run it after upgrading and after "
        "keyring_rotate --index-generation (once every host has the new keyring file). "
        "Interrupted, run it again; with nothing left to do it changes nothing. Afterwards run "
        "pattern_recheck, so that reports rebuilt now are matched with each other."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200, help="Reports per batch.")
        parser.add_argument("--max-batches", type=int, default=None, help="Stop after N batches.")

    def handle(self, *args: Any, batch_size: int, max_batches: int | None, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if max_batches is not None and max_batches < 1:
            raise CommandError("--max-batches must be at least 1.")
        try:
            keyring = load_keyring()
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc
        newer = PerpetratorMark.objects.filter(index_generation__gt=keyring.index_generation)
        if newer.exists():
            # This host's keyring file is older than another's: rebuilding would take marks back.
            raise CommandError(
                f"Some marks are newer than this keyring's blind-index generation "
                f"{keyring.index_generation}: copy the current keyring file here first."
            )
        run = _Run()
        while max_batches is None or run.batches < max_batches:
            pks = _stale_report_pks(
                generation=keyring.index_generation, after_pk=run.after_pk, batch_size=batch_size
            )
            if not pks:
                break
            if run.batches == 0:
                self._audit()
            self._batch(pks, keyring, run)
        self._report(run, keyring.index_generation)

    def _audit(self) -> None:
        """One event per run that opens anything, before it opens it."""
        with transaction.atomic():
            audit_record(actor=None, action="blind_index.rebuild", object_type="keyring")

    def _batch(self, pks: list[int], keyring: Keyring, run: _Run) -> None:
        for pk in pks:
            try:
                run.marks += _report_rebuild(report_pk=pk, keyring=keyring)
                run.reports += 1
            except UNREADABLE as exc:
                public_id = Report.objects.filter(pk=pk).values_list("public_id", flat=True)
                name = next(iter(public_id), pk)
                run.failed.append(str(name))
                self.stderr.write(
                    f"Report {name}: its identifiers cannot be opened ({exc}); "
                    "its marks are left as they were."
                )
        run.after_pk, run.batches = pks[-1], run.batches + 1

    def _report(self, run: _Run, generation: int) -> None:
        self.stdout.write(
            f"Rebuilt the marks of {run.reports} reports ({run.marks} marks) "
            f"under blind-index generation {generation}."
        )
        left = PerpetratorMark.objects.exclude(index_generation=generation)
        remaining = left.values("report_id").distinct().count()
        if run.failed:
            raise CommandError(
                f"Reports that could not be rebuilt: {len(run.failed)} (listed above). "
                f"Reports still with marks of another generation: {remaining}."
            )
        if remaining:
            self.stdout.write(
                f"{remaining} reports still have marks of another generation: "
                "run the command again to finish."
            )
        else:
            self.stdout.write(f"Every mark is of generation {generation}.")
