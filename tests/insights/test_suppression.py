"""Small-cell and complementary suppression, audited by an attacker written apart from the app
(tests/insights/attack.py): no shown entry counts 1 to 10, and no hidden entry can be narrowed
to a range of fewer than 10 from what is shown."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights.suppression import TOTAL, Table, exposed, feasible_ranges, suppress
from tests.insights.attack import app_key, narrowed, ranges, view_of

THRESHOLD = 10
G = (TOTAL, TOTAL)

# Counts as they come: many zeros and many from 1 to 10, some larger, a few large.
counts = st.one_of(
    st.just(0),
    st.integers(1, THRESHOLD),
    st.integers(1, THRESHOLD),
    st.integers(11, 40),
    st.integers(41, 500),
)


@st.composite
def tables(draw) -> list[list[int]]:
    kind = draw(st.sampled_from(["row", "column", "two-way"]))
    if kind == "two-way":
        rows, cols = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    else:
        n = draw(st.integers(1, 8))
        rows, cols = (1, n) if kind == "row" else (n, 1)
    return [[draw(counts) for _c in range(cols)] for _r in range(rows)]


def audit(cells: list[list[int]], hidden: set) -> None:
    """What the attacker checks of one suppressed table."""
    view = view_of(cells, {app_key(pos) for pos in hidden})
    for key, value in view.items():
        assert value is None or value == 0 or value > THRESHOLD, f"{key} shows {value}"
    assert narrowed(len(cells), len(cells[0]), view, THRESHOLD) == {}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_suppressed_table_shows_a_small_count_or_lets_an_attacker_narrow_a_hidden_one(cells):
    table = Table(cells)
    hidden = suppress(table, THRESHOLD)

    assert hidden <= set(table.values())
    audit(cells, hidden)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_the_apps_own_audit_agrees_with_the_attackers_ranges(cells):
    table = Table(cells)
    hidden = suppress(table, THRESHOLD)
    ours = ranges(len(cells), len(cells[0]), view_of(cells, {app_key(p) for p in hidden}))

    theirs = feasible_ranges(table, hidden)

    assert {app_key(pos) for pos in theirs} == set(ours)
    for pos, (low, high) in theirs.items():
        mine_low, mine_high = ours[app_key(pos)]
        assert low == pytest.approx(mine_low, abs=1e-6)
        assert high == pytest.approx(mine_high, abs=1e-6)  # inf only equals inf


def test_the_attacker_pins_a_lone_small_cell_when_only_it_is_hidden():
    """The audit in these tests can fail: hiding just the small cell of a one-way table leaves
    it equal to the total minus the rest."""
    cells = [[3], [25], [40]]

    found = narrowed(3, 1, view_of(cells, {("cell", 0, 0)}), THRESHOLD)

    assert found == {("cell", 0, 0): (pytest.approx(3), pytest.approx(3))}


def test_the_attacker_pins_a_small_cell_of_a_two_way_table_from_its_row_total():
    cells = [[5, 20], [20, 30]]
    hidden = {("cell", 0, 0), ("cell", 1, 1)}  # hidden on no shared line with a partner

    found = narrowed(2, 2, view_of(cells, hidden), THRESHOLD)

    assert set(found) == {("cell", 0, 0), ("cell", 1, 1)}


# (cells, what is hidden): tables whose answer follows from the rules by hand.
KNOWN = [
    # Nothing small: nothing hidden, zeros shown.
    ([[0], [25], [40]], set()),
    ([[0, 12], [0, 30]], set()),
    # A small cell with the smallest other cell of its column as its complement.
    ([[3], [25], [40]], {(0, 0), (1, 0)}),
    # The same as a row.
    ([[40, 25, 3]], {(0, 2), (0, 1)}),
    # Two small cells summing to 11: each is known to be 1..10 (zeros are shown), too narrow,
    # so the last cell goes too.
    ([[5], [6], [100]], {(0, 0), (1, 0), (2, 0)}),
    # Two small cells whose sum (5) would pin them: the last cell goes too.
    ([[2], [3], [100]], {(0, 0), (1, 0), (2, 0)}),
    # A small cell alone with zeros: the total is small as well, and both are hidden.
    ([[3], [0], [0]], {(0, 0), G}),
    # All zeros: nothing to hide.
    ([[0, 0], [0, 0]], set()),
]


@pytest.mark.parametrize(("cells", "expected"), KNOWN)
def test_suppression_of_tables_with_a_known_answer(cells, expected):
    hidden = suppress(Table(cells), THRESHOLD)

    assert hidden == expected
    audit(cells, hidden)


def test_a_small_cell_of_a_two_way_table_is_protected_within_its_row_and_column():
    cells = [[5, 20, 30], [20, 30, 40], [25, 35, 45]]

    hidden = suppress(Table(cells), THRESHOLD)

    assert (0, 0) in hidden
    assert any(pos in hidden for pos in [(0, 1), (0, 2)])  # a partner in its row
    assert any(pos in hidden for pos in [(1, 0), (2, 0)])  # and in its column
    assert G not in hidden  # the grand total (250) stays
    audit(cells, hidden)


def test_a_small_row_total_is_hidden_and_protected():
    cells = [[4, 3, 0], [30, 40, 50], [25, 35, 45]]

    hidden = suppress(Table(cells), THRESHOLD)

    assert {(0, 0), (0, 1), (0, TOTAL)} <= hidden
    audit(cells, hidden)


def test_exposed_names_what_the_attacker_can_narrow():
    table = Table([[3], [25], [40]])

    assert exposed(table, {(0, 0)}, THRESHOLD) == [(0, 0)]
    assert exposed(table, {(0, 0), (1, 0)}, THRESHOLD) == []
    assert feasible_ranges(table, {(0, 0), (1, 0)}) == {
        (0, 0): (pytest.approx(1), pytest.approx(27)),
        (1, 0): (pytest.approx(1), pytest.approx(27)),
    }


def test_a_hidden_total_can_be_unbounded():
    table = Table([[3], [0], [0]])

    assert feasible_ranges(table, {(0, 0), G}) == {
        (0, 0): (pytest.approx(1), math.inf),
        G: (pytest.approx(1), math.inf),
    }


def test_a_table_that_cannot_be_protected_cell_by_cell_is_hidden_whole(monkeypatch):
    from insights import suppression

    monkeypatch.setattr(suppression, "_complement", lambda table, hidden, pos: None)
    table = Table([[3, 20], [20, 30]])

    hidden = suppress(table, THRESHOLD)

    assert hidden == set(table.values())
    audit([[3, 20], [20, 30]], hidden)
