"""Shared pieces of the statistics tests: consenting reports filed through the real services, a
synthetic extract with many small counts, and views of what the extract holds."""

import random
import secrets
from collections import Counter
from datetime import datetime

from django.db import connection
from django.db.models import Count

from incidents.models import Report
from insights.models import Aggregate, ExtractRecord, ExtractValue
from insights.services import extract_key, extract_refresh
from support.models import Case
from tests.factories import UserFactory, make_report

THRESHOLD = 10
HIDDEN = "fewer than 11"


def consenting_report(reporter=None, *, created_at: datetime | None = None, **overrides) -> Report:
    """A report filed with consent to statistics, its extract record written (as the submission
    task would), optionally dated `created_at`."""
    report = make_report(reporter, consent_statistics=True, **overrides)
    if created_at is not None:
        Report.objects.filter(pk=report.pk).update(created_at=created_at)
        Case.objects.filter(report=report).update(created_at=created_at)
    assert extract_refresh(report_pk=report.pk) == "written"
    return Report.objects.get(pk=report.pk)


def record_of(report: Report) -> ExtractRecord | None:
    return ExtractRecord.objects.filter(key=extract_key(report.public_id)).first()


def values_of(record: ExtractRecord) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for dimension, value in record.values.values_list("dimension", "value"):
        found.setdefault(dimension, []).append(value)
    return {dimension: sorted(values) for dimension, values in found.items()}


def live_counts() -> Counter:
    """What Aggregate should hold: a count over the extract's values, cell by cell."""
    return Counter(
        ExtractValue.objects.values_list(
            "record__month", "record__region", "record__role", "dimension", "value"
        )
    )


def aggregate_counts() -> Counter:
    rows = Aggregate.objects.values_list("month", "region", "role", "dimension", "value", "count")
    return Counter({tuple(row[:5]): row[5] for row in rows if row[5]})


def assert_aggregates_in_step() -> None:
    assert not Aggregate.objects.filter(count__lt=0).exists()
    assert aggregate_counts() == live_counts()


def snapshot() -> dict:
    """Everything the extract holds that matters (not the row ids or timestamps)."""
    records = {
        record.key: (
            record.month,
            record.quarter,
            record.region,
            record.role,
            tuple(sorted(record.values.values_list("dimension", "value"))),
        )
        for record in ExtractRecord.objects.all()
    }
    return {"records": records, "aggregates": aggregate_counts()}


# The synthetic extract: few values per dimension, so that many cells count 1 to 10.
SYNTHETIC = {
    "region": ["toronto", "eastern", "central", "northwestern"],
    "role": ["candidate", "councillor", "school_board_trustee"],
    "channel": ["facebook", "email", "phone", "x_twitter"],
    "abuse_type": ["insults", "doxxing", "threat_of_violence", "stalking", "hacking"],
    "bias_ground": ["race", "sex", "creed"],
    "perpetrator_type": ["unknown", "anonymous_account", "member_of_public", "media"],
    "severity": ["critical", "high", "medium", "low"],
    "response_time": ["under_1h", "1_4h", "4_24h", "1_3d", "over_3d", "none"],
    "escalated": ["yes", "no", "no", "no"],
    "outcome": ["open", "resolved", "closed"],
}
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"


def synthetic_extract(n: int, *, seed: int = 5, months: list[str] = MONTHS) -> None:
    """`n` random extract records written straight into the tables, with Aggregate counted from
    them, for tests of what is published rather than of the writer."""
    rng = random.Random(seed)
    values = []
    for _ in range(n):
        month = rng.choice(months)
        region = rng.choice(SYNTHETIC["region"])
        role = rng.choices(SYNTHETIC["role"], weights=[6, 3, 1])[0]
        record = ExtractRecord.objects.create(
            key=secrets.token_hex(32), month=month, quarter=quarter(month), region=region, role=role
        )
        pairs = {("month", month), ("quarter", quarter(month)), ("region", region), ("role", role)}
        for name in ("channel", "abuse_type"):
            pairs |= {(name, v) for v in rng.sample(SYNTHETIC[name], rng.choice([1, 1, 2]))}
        pairs |= {
            ("bias_ground", v) for v in rng.sample(SYNTHETIC["bias_ground"], rng.choice([0, 1]))
        }
        for name in ("perpetrator_type", "severity", "response_time", "escalated", "outcome"):
            pairs.add((name, rng.choice(SYNTHETIC[name])))
        values += [ExtractValue(record=record, dimension=d, value=v) for d, v in sorted(pairs)]
    ExtractValue.objects.bulk_create(values)
    cells = ExtractValue.objects.values(
        "record__month", "record__region", "record__role", "dimension", "value"
    ).annotate(n=Count("id"))
    Aggregate.objects.bulk_create(
        [
            Aggregate(
                month=cell["record__month"],
                region=cell["record__region"],
                role=cell["record__role"],
                dimension=cell["dimension"],
                value=cell["value"],
                count=cell["n"],
            )
            for cell in cells
        ]
    )


def published_values(table) -> list[int | None]:
    """Every number an engine table publishes: cells, row and column totals, grand total."""
    found = [value for line in table.cells for value in line]
    return [*found, *table.row_totals, *table.column_totals, table.total]


def small(text: str) -> bool:
    """Whether `text` is a count from 1 to the threshold."""
    text = text.strip()
    return text.isdigit() and 1 <= int(text) <= THRESHOLD


# Identifiers that must never appear in the extract.


def set_next_id(table: str, value: int) -> None:
    """Make the next row of `table` take an id nobody would write by chance."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [f'"{table}"', value]
            )
            return
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, value])


def insights_values() -> list[tuple[str, str]]:
    """Every value of every column of every row of every insights table."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if not table.startswith("insights_"):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            found += [(table, str(v)) for row in cursor.fetchall() for v in row if v is not None]
    return found


def identifiers(report: Report) -> dict[str, str]:
    case = Case.objects.get(report=report)
    return {
        "report public id": str(report.public_id),
        "report public id (hex)": report.public_id.hex,
        "report pk": str(report.pk),
        "reporter pk": str(report.reporter_id),
        "reporter username": report.reporter.username,
        "case public id": str(case.public_id),
        "case public id (hex)": case.public_id.hex,
        "case pk": str(case.pk),
    }


def leads_back(reports: list[Report]) -> list[str]:
    """Which identifiers of `reports` appear anywhere in the insights tables, in any case."""
    stored = insights_values()
    found = []
    for report in reports:
        for label, text in identifiers(report).items():
            for table, value in stored:
                if text.lower() in value.lower():
                    found.append(f"{label} in {table}: {value}")
    return found


def distinctive_reports() -> list[Report]:
    """Consenting reports whose ids (and their reporter's and cases') are far from any small
    number, so that a match in the extract means something."""
    set_next_id("incidents_report", 7_340_000)
    set_next_id("core_user", 8_450_000)
    set_next_id("support_case", 9_560_000)
    reporter = UserFactory(username="canary-reporter-7f3a")
    return [
        consenting_report(reporter, abuse_types=["doxxing", "insults"]),
        consenting_report(reporter, region="toronto"),
    ]
