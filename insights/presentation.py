"""Turning a published table into what pages, CSV and the API show. Hidden cells are said to
be hidden ("fewer than 11"), never shown as zero."""

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from insights.dimensions import DIMENSIONS
from insights.engine import Published

BAR_AREA = 360  # px of the chart given to the longest bar


def hidden_label() -> str:
    return _("fewer than %(n)d") % {"n": settings.RECOURSE_STATS_THRESHOLD + 1}


def shown(value: int | None) -> str:
    return hidden_label() if value is None else str(value)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int | None
    width: int
    y: int

    @property
    def text(self) -> str:
        return shown(self.count)


def bars(table: Published) -> list[Bar]:
    """Bars of a one-dimension table; a hidden count gets no bar, only its words."""
    counts = [row[0] for row in table.cells]
    largest = max([c for c in counts if c is not None] or [1]) or 1
    return [
        Bar(str(label), count, 0 if count is None else round(BAR_AREA * count / largest), 24 * i)
        for i, ((_code, label), count) in enumerate(zip(table.rows, counts, strict=True))
    ]


def describe(table: Published) -> str:
    """The chart's text alternative: every label with its number."""
    title = DIMENSIONS[table.query.dimensions[0]].label
    parts = [
        _("%(label)s: %(count)s") % {"label": bar.label, "count": bar.text} for bar in bars(table)
    ]
    return _("%(title)s. %(counts)s.") % {"title": title, "counts": "; ".join(parts)}


def as_rows(table: Published) -> list[list[str]]:
    """Header and body, exactly as the page shows the table (totals included)."""
    dims = [str(DIMENSIONS[d].label) for d in table.query.dimensions]
    two = len(table.query.dimensions) == 2
    with_totals = bool(table.row_totals)
    header = [dims[0], *([str(label) for _c, label in table.columns] if two else [_("Count")])]
    if with_totals:
        header.append(_("Total"))
    body = []
    for i, (_code, label) in enumerate(table.rows):
        line = [str(label), *[shown(v) for v in table.cells[i]]]
        if with_totals:
            line.append(shown(table.row_totals[i]))
        body.append(line)
    if with_totals:
        footer = [_("Total"), *[shown(v) for v in table.column_totals], shown(table.total)]
    else:
        footer = [_("Total"), *[""] * (len(header) - 2), shown(table.total)]
    return [header, *body, footer]


def as_csv(table: Published) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in as_rows(table):
        writer.writerow(row)
    return out.getvalue()


def as_json(table: Published) -> dict[str, Any]:
    """The API's form: one entry per cell, with `count` or `suppressed: true`."""
    names = list(table.query.dimensions)
    cells = []
    for i, (row_code, _l) in enumerate(table.rows):
        for j, (col_code, _m) in enumerate(table.columns):
            entry: dict[str, Any] = {names[0]: row_code}
            if len(names) == 2:
                entry[names[1]] = col_code
            value = table.cells[i][j]
            entry.update({"count": value} if value is not None else {"suppressed": True})
            cells.append(entry)

    def total(value: int | None) -> dict[str, Any]:
        return {"count": value} if value is not None else {"suppressed": True}

    result: dict[str, Any] = {"cells": cells, "total": total(table.total), "meta": table.meta}
    if table.row_totals:
        result["row_totals"] = [
            {names[0]: code, **total(v)}
            for (code, _l), v in zip(table.rows, table.row_totals, strict=True)
        ]
        result["column_totals"] = [
            {names[1]: code, **total(v)}
            for (code, _l), v in zip(table.columns, table.column_totals, strict=True)
        ]
    return result
