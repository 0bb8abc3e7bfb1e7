"""An attacker's audit of a published table, written apart from insights.suppression so that the
tests do not grade the engine with its own arithmetic.

The attacker sees a view: every cell and every total the table shows, with hidden ones as None.
One unknown per cell (counts are never negative); each shown cell or total is an equation over
the cells. For every hidden entry, two linear programmes give the least and the greatest value it
can take; the greatest may be unbounded."""

import math
from itertools import product

import numpy as np
from scipy.optimize import linprog

# Keys of a view: ("cell", r, c), ("row", r), ("column", c), ("total",).
Key = tuple
View = dict[Key, int | None]


def entries(rows: int, cols: int) -> dict[Key, np.ndarray]:
    """Each entry a table of this shape shows, as its coefficients over the cells. A one-way
    table (one row or one column) shows its cells and the grand total; a two-way table also
    shows its row and column totals."""
    found: dict[Key, np.ndarray] = {}
    for r, c in product(range(rows), range(cols)):
        vector = np.zeros(rows * cols)
        vector[r * cols + c] = 1
        found[("cell", r, c)] = vector
    if rows > 1 and cols > 1:
        for r in range(rows):
            vector = np.zeros(rows * cols)
            vector[r * cols : (r + 1) * cols] = 1
            found[("row", r)] = vector
        for c in range(cols):
            vector = np.zeros(rows * cols)
            vector[c::cols] = 1
            found[("column", c)] = vector
    found[("total",)] = np.ones(rows * cols)
    return found


def view_of(cells: list[list[int]], hidden_keys: set[Key]) -> View:
    """What a reader sees of `cells` when the entries in `hidden_keys` are hidden."""
    rows, cols = len(cells), len(cells[0])
    flat = np.array([value for line in cells for value in line], dtype=float)
    return {
        key: None if key in hidden_keys else round(float(vector @ flat))
        for key, vector in entries(rows, cols).items()
    }


def ranges(rows: int, cols: int, view: View) -> dict[Key, tuple[float, float]]:
    """For each hidden entry of the view, the (least, greatest) value consistent with it."""
    coefficients = entries(rows, cols)
    assert set(view) == set(coefficients), "the view must say something about every entry"
    shown = [key for key, value in view.items() if value is not None]
    a_eq = np.array([coefficients[key] for key in shown]) if shown else None
    b_eq = np.array([float(view[key]) for key in shown]) if shown else None
    # Zeros are always shown unless the whole table is hidden, so the attacker also knows that
    # every hidden entry of a partly shown table is at least 1.
    hidden = [key for key, value in view.items() if value is None]
    a_ub = b_ub = None
    if shown and hidden:
        a_ub = np.array([-coefficients[key] for key in hidden])
        b_ub = np.array([-1.0] * len(hidden))
    found = {}
    for key in hidden:
        objective = coefficients[key]
        common = {"A_eq": a_eq, "b_eq": b_eq, "A_ub": a_ub, "b_ub": b_ub, "bounds": (0, None)}
        low = linprog(objective, method="highs", **common)
        high = linprog(-objective, method="highs", **common)
        assert low.status == 0, f"the view is inconsistent: {low.message}"
        assert high.status in (0, 3), f"the view is inconsistent: {high.message}"
        found[key] = (low.fun, math.inf if high.status == 3 else -high.fun)
    return found


def narrowed(rows: int, cols: int, view: View, threshold: int) -> dict[Key, tuple[float, float]]:
    """Hidden entries the attacker pins to a range narrower than `threshold`."""
    return {
        key: (low, high)
        for key, (low, high) in ranges(rows, cols, view).items()
        if high - low < threshold - 1e-6
    }


def app_key(position: tuple[int, int]) -> Key:
    """insights.suppression's position (row, column; -1 for a total) as a key of a view."""
    r, c = position
    if r == -1 and c == -1:
        return ("total",)
    if c == -1:
        return ("row", r)
    if r == -1:
        return ("column", c)
    return ("cell", r, c)


def published_view(table) -> View:
    """The view an insights.engine.Published table gives its reader."""
    view: View = {}
    for r, line in enumerate(table.cells):
        for c, value in enumerate(line):
            view[("cell", r, c)] = value
    for r, value in enumerate(table.row_totals):
        view[("row", r)] = value
    for c, value in enumerate(table.column_totals):
        view[("column", c)] = value
    view[("total",)] = table.total
    return view
