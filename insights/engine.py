"""The one query engine behind every published number (dashboard, CSV, API): counts by one or
two dimensions over a month range with filters, then optional differential-privacy noise, then
small-cell and complementary suppression. Nothing leaves insights/ except through `publish`.

Multi-valued dimensions (a report naming two kinds of abuse): a report counts once under each
value it names, so cells count mentions; totals are the sums of the cells shown with them."""

import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils.translation import gettext as _

from core.errors import DomainError
from insights import privacy
from insights.dimensions import DIMENSIONS
from insights.models import Aggregate, ExtractRecord
from insights.suppression import TOTAL, Table, suppress

FILTERS = ("region", "role")
MAX_MONTHS = 60
# The suppression audit solves two linear programmes per hidden cell, round after round: its
# work grows much faster than the table. 240 cells (a year of months by 20 values, or 20
# quarters by 12) stays within a few seconds; 60 months by 12 values took over half a minute.
MAX_CELLS = 240


@dataclass(frozen=True)
class Query:
    dimensions: tuple[str, ...]
    start: str  # "YYYY-MM"
    end: str
    region: str = ""
    role: str = ""

    def check(self) -> None:
        if not 1 <= len(self.dimensions) <= 2 or len(set(self.dimensions)) != len(self.dimensions):
            raise DomainError({"dimensions": [_("Choose one or two different dimensions.")]})
        unknown = [d for d in self.dimensions if d not in DIMENSIONS]
        if unknown:
            raise DomainError(
                {"dimensions": [_("Unknown dimension: %(names)s.") % {"names": ", ".join(unknown)}]}
            )
        if self.start > self.end:
            raise DomainError({"from": [_("The period starts after it ends.")]})
        if len(self.months()) > MAX_MONTHS:
            raise DomainError(
                {
                    "from": [
                        _("Choose a period of at most %(months)d months.") % {"months": MAX_MONTHS}
                    ]
                }
            )
        self._check_cells()

    def _check_cells(self) -> None:
        cells = math.prod(len(_labels(self, name)) for name in self.dimensions)
        if cells > MAX_CELLS:
            message = _(
                "This table would have %(cells)d cells; the most is %(most)d. Choose a shorter "
                "period or a dimension with fewer values."
            )
            raise DomainError({"dimensions": [message % {"cells": cells, "most": MAX_CELLS}]})

    def months(self) -> list[str]:
        year, month = map(int, self.start.split("-"))
        found: list[str] = []
        while f"{year:04d}-{month:02d}" <= self.end and len(found) <= MAX_MONTHS:
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


def _labels(query: Query, dimension: str) -> list[tuple[str, str]]:
    dim = DIMENSIONS[dimension]
    if dimension == "month":
        return [(m, m) for m in query.months()]
    if dimension == "quarter":
        quarters = sorted({(m[:4], (int(m[5:]) - 1) // 3 + 1) for m in query.months()})
        return [
            (f"{year}-Q{quarter}", _("%(year)s-Q%(quarter)d") % {"year": year, "quarter": quarter})
            for year, quarter in quarters
        ]
    return [(code, str(label)) for code, label in dim.choices or []]


def _one_dimension(query: Query) -> dict[tuple[str, ...], int]:
    rows = Aggregate.objects.filter(
        dimension=query.dimensions[0], month__gte=query.start, month__lte=query.end
    )
    for name in FILTERS:
        if getattr(query, name):
            rows = rows.filter(**{name: getattr(query, name)})
    return {
        (row["value"],): row["total"] for row in rows.values("value").annotate(total=Sum("count"))
    }


def _two_dimensions(query: Query) -> dict[tuple[str, ...], int]:
    first, second = query.dimensions
    where = ["r.month >= %s", "r.month <= %s"]
    params: list[Any] = [first, second, query.start, query.end]
    for name in FILTERS:
        if getattr(query, name):
            where.append(f"r.{name} = %s")
            params.append(getattr(query, name))
    # Only fixed clauses are joined in; every value is a parameter.
    sql = (
        "SELECT a.value, b.value, COUNT(*) FROM insights_extractvalue a "  # noqa: S608
        "JOIN insights_extractvalue b ON b.record_id = a.record_id "
        "JOIN insights_extractrecord r ON r.id = a.record_id "
        f"WHERE a.dimension = %s AND b.dimension = %s AND {' AND '.join(where)} "
        "GROUP BY a.value, b.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(a, b): count for a, b, count in cursor.fetchall()}


def raw_counts(query: Query) -> dict[tuple[str, ...], int]:
    """Exact counts; never published as they are."""
    query.check()
    return _one_dimension(query) if len(query.dimensions) == 1 else _two_dimensions(query)


@dataclass
class Published:
    query: Query
    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: list[list[int | None]]  # None: suppressed
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    meta: dict[str, Any] = field(default_factory=dict)


def _table(query: Query, counts: dict[tuple[str, ...], int]) -> tuple[list, list, Table]:
    rows = _labels(query, query.dimensions[0])
    columns = _labels(query, query.dimensions[1]) if len(query.dimensions) == 2 else [("", "")]
    if len(query.dimensions) == 1:
        grid = [[counts.get((code,), 0)] for code, _label in rows]
    else:
        grid = [[counts.get((r, c), 0) for c, _l in columns] for r, _l in rows]
    return rows, columns, Table(grid)


def publish(query: Query) -> Published:
    """The only way out: counts, noised when DP mode is on, then suppressed."""
    threshold = settings.RECOURSE_STATS_THRESHOLD
    counts = raw_counts(query)
    meta: dict[str, Any] = {"threshold": threshold, "mode": "exact", "epsilon": 0.0}
    if settings.RECOURSE_STATS_DP:
        counts, epsilon = privacy.release(query, counts)
        meta.update(mode="differential_privacy", epsilon=epsilon)
    rows, columns, table = _table(query, counts)
    values, hidden = table.values(), suppress(table, threshold)

    def shown(pos: tuple[int, int]) -> int | None:
        return None if pos in hidden else values.get(pos)

    n_rows, n_cols = table.shape
    two_way = table.two_way
    return Published(
        query=query,
        rows=rows,
        columns=columns,
        cells=[[shown((r, c)) for c in range(n_cols)] for r in range(n_rows)],
        row_totals=[shown((r, TOTAL)) for r in range(n_rows)] if two_way else [],
        column_totals=[shown((TOTAL, c)) for c in range(n_cols)] if two_way else [],
        total=shown((TOTAL, TOTAL)),
        meta=meta,
    )


def extract_size() -> int:
    return ExtractRecord.objects.count()
