"""Small-cell suppression with complementary suppression, checked by the attacker's own audit.

A table has cells plus the totals that are shown (row totals, column totals, grand total), all
tied by sums. Counts from 1 to the threshold are hidden (primary suppression). Then the engine
audits the table as an attacker would: for every hidden entry, the smallest and largest value
consistent with everything shown and with non-negative counts (two linear programmes). While any
hidden entry can be pinned to a range narrower than the threshold, another entry on one of its
lines is hidden too (complementary suppression). Zeros are shown: they reveal no one."""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

Position = tuple[int, int]  # (row, column); row == -1 or column == -1 marks a total
TOTAL = -1


@dataclass
class Table:
    """cells[r][c]. A two-way table also shows its row totals, column totals and grand total; a
    one-way table (one column, or one row) shows its cells and the grand total."""

    cells: list[list[int]]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0]) if self.cells else 0

    @property
    def two_way(self) -> bool:
        rows, cols = self.shape
        return rows > 1 and cols > 1

    def values(self) -> dict[Position, int]:
        rows, cols = self.shape
        out: dict[Position, int] = {
            (r, c): self.cells[r][c] for r in range(rows) for c in range(cols)
        }
        if self.two_way:
            for r in range(rows):
                out[(r, TOTAL)] = sum(self.cells[r])
            for c in range(cols):
                out[(TOTAL, c)] = sum(self.cells[r][c] for r in range(rows))
        out[(TOTAL, TOTAL)] = sum(map(sum, self.cells))
        return out

    def lines(self) -> list[list[Position]]:
        """Each sum that ties shown entries: its parts, then the total they add up to."""
        rows, cols = self.shape
        grand = (TOTAL, TOTAL)
        if not self.two_way:
            return [[*((r, c) for r in range(rows) for c in range(cols)), grand]]
        found = [[*((r, c) for c in range(cols)), (r, TOTAL)] for r in range(rows)]
        found += [[*((r, c) for r in range(rows)), (TOTAL, c)] for c in range(cols)]
        found.append([*((r, TOTAL) for r in range(rows)), grand])
        found.append([*((TOTAL, c) for c in range(cols)), grand])
        return found


def feasible_ranges(table: Table, hidden: set[Position]) -> dict[Position, tuple[float, float]]:
    """For each hidden entry, the (min, max) an attacker can deduce; max may be infinite. Zeros
    are shown unless the whole table is hidden, so an attacker knows a hidden entry of a partly
    shown table is at least 1."""
    values, order = table.values(), sorted(hidden)
    floor = 0 if hidden >= set(values) else 1
    if not order:
        return {}
    index = {pos: i for i, pos in enumerate(order)}
    rows_a, rhs = [], []
    for line in table.lines():
        coeffs, known = np.zeros(len(order)), 0.0
        for pos, sign in [*((p, 1.0) for p in line[:-1]), (line[-1], -1.0)]:
            if pos in index:
                coeffs[index[pos]] += sign
            else:
                known -= sign * values[pos]
        if coeffs.any():
            rows_a.append(coeffs)
            rhs.append(known)
    a_eq = np.array(rows_a) if rows_a else None
    b_eq = np.array(rhs) if rhs else None
    ranges = {}
    for pos, i in index.items():
        objective = np.zeros(len(order))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(floor, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(floor, None), method="highs")
        if low.status != 0 or high.status not in (0, 3):
            raise RuntimeError("The suppression audit could not solve its linear programme.")
        upper = float("inf") if high.status == 3 else -high.fun
        ranges[pos] = (low.fun, upper)
    return ranges


def exposed(table: Table, hidden: set[Position], threshold: int) -> list[Position]:
    """Hidden entries an attacker can pin to a range narrower than the threshold."""
    return [
        pos
        for pos, (low, high) in feasible_ranges(table, hidden).items()
        if high - low < threshold - 1e-9
    ]


def _complement(table: Table, hidden: set[Position], pos: Position) -> Position | None:
    """The smallest shown, non-zero entry on a line through `pos` (cells before totals)."""
    values = table.values()
    candidates = [
        other
        for line in table.lines()
        if pos in line
        for other in line
        if other not in hidden and values[other] > 0
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (TOTAL in p, values[p], p))


def suppress(table: Table, threshold: int) -> set[Position]:
    """Positions to hide so that no hidden count can be narrowed below the threshold."""
    values = table.values()
    hidden = {pos for pos, value in values.items() if 1 <= value <= threshold}
    for _round in range(4 * len(values)):
        bad = exposed(table, hidden, threshold)
        if not bad:
            return hidden
        added = {_complement(table, hidden, pos) for pos in bad} - {None}
        if not added:
            break
        hidden |= added  # type: ignore[arg-type]
    return set(values)  # could not protect it cell by cell: hide the whole table
