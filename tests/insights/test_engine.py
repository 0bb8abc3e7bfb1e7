"""Issue 5, the one engine behind every published number: counts by one or two dimensions over a
period with filters, the multi-valued rule, suppression of everything it publishes, and the
differential-privacy mode (noise from OpenDP, a budget per month, releases stored and served
again)."""

import math
import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from scipy import stats

from core.errors import DomainError
from incidents.models import Report
from insights import privacy
from insights.engine import Query, publish, raw_counts
from insights.models import NoisyRelease, PrivacyLedger
from insights.services import extract_refresh
from tests.factories import make_report
from tests.insights.attack import narrowed, published_view
from tests.insights.helpers import (
    MONTHS,
    consenting_report,
    published_values,
    synthetic_extract,
)

pytestmark = pytest.mark.django_db

EPSILON = 0.5  # settings.RECOURSE_STATS_DP_EPSILON
BUDGET = 5.0  # settings.RECOURSE_STATS_DP_BUDGET


def mid(year: int, month: int) -> datetime:
    return datetime(year, month, 15, 17, 0, tzinfo=UTC)


@pytest.fixture
def little():
    """Five reports over four months, two regions and two roles."""
    consenting_report(created_at=mid(2026, 1), region="toronto", role="candidate")
    consenting_report(created_at=mid(2026, 1), region="toronto", role="candidate")
    consenting_report(created_at=mid(2026, 2), region="eastern", role="councillor")
    consenting_report(created_at=mid(2026, 2), region="toronto", role="councillor")
    consenting_report(created_at=mid(2026, 4), region="toronto", role="candidate")
    refused = make_report(region="toronto", role="candidate")  # no consent: never counted
    Report.objects.filter(pk=refused.pk).update(created_at=mid(2026, 1))
    assert extract_refresh(report_pk=refused.pk) == "absent"


def test_counts_by_one_dimension_over_a_period(little):
    first_quarter = Query(("region",), "2026-01", "2026-03")

    assert raw_counts(first_quarter) == {("toronto",): 3, ("eastern",): 1}
    assert raw_counts(Query(("region",), "2026-01", "2026-04")) == {
        ("toronto",): 4,
        ("eastern",): 1,
    }
    assert raw_counts(Query(("region",), "2026-03", "2026-03")) == {}
    assert raw_counts(Query(("month",), "2026-01", "2026-06")) == {
        ("2026-01",): 2,
        ("2026-02",): 2,
        ("2026-04",): 1,
    }
    assert raw_counts(Query(("quarter",), "2026-01", "2026-06")) == {
        ("2026-Q1",): 4,
        ("2026-Q2",): 1,
    }


def test_counts_by_one_dimension_with_region_and_role_filters(little):
    assert raw_counts(Query(("role",), "2026-01", "2026-04", region="toronto")) == {
        ("candidate",): 3,
        ("councillor",): 1,
    }
    assert raw_counts(Query(("region",), "2026-01", "2026-04", role="councillor")) == {
        ("toronto",): 1,
        ("eastern",): 1,
    }
    assert raw_counts(
        Query(("month",), "2026-01", "2026-04", region="toronto", role="candidate")
    ) == {("2026-01",): 2, ("2026-04",): 1}


def test_counts_by_two_dimensions_with_period_and_filters(little):
    assert raw_counts(Query(("region", "role"), "2026-01", "2026-03")) == {
        ("toronto", "candidate"): 2,
        ("toronto", "councillor"): 1,
        ("eastern", "councillor"): 1,
    }
    assert raw_counts(Query(("month", "role"), "2026-01", "2026-04", region="toronto")) == {
        ("2026-01", "candidate"): 2,
        ("2026-02", "councillor"): 1,
        ("2026-04", "candidate"): 1,
    }
    assert raw_counts(Query(("region", "month"), "2026-02", "2026-04", role="candidate")) == {
        ("toronto", "2026-04"): 1
    }


def test_a_report_naming_two_kinds_of_abuse_counts_once_under_each():
    may = mid(2026, 5)
    consenting_report(
        created_at=may, abuse_types=["doxxing", "insults"], channels=["email", "phone"]
    )
    consenting_report(created_at=may, abuse_types=["insults"], channels=["email"])
    period = ("2026-01", "2026-12")

    assert raw_counts(Query(("abuse_type",), *period)) == {("doxxing",): 1, ("insults",): 2}
    assert raw_counts(Query(("abuse_type", "channel"), *period)) == {
        ("doxxing", "email"): 1,
        ("doxxing", "phone"): 1,
        ("insults", "email"): 2,
        ("insults", "phone"): 1,
    }
    assert sum(raw_counts(Query(("region",), *period)).values()) == 2  # reports


def test_published_totals_are_sums_of_the_cells_so_multi_valued_ones_count_mentions():
    for _ in range(12):
        consenting_report(
            created_at=mid(2026, 5), abuse_types=["doxxing", "insults"], region="eastern"
        )
    for _ in range(11):
        consenting_report(created_at=mid(2026, 6), abuse_types=["insults"], region="toronto")
    period = ("2026-01", "2026-12")

    by_kind = publish(Query(("abuse_type",), *period))
    shown = dict(
        zip([code for code, _l in by_kind.rows], [r[0] for r in by_kind.cells], strict=True)
    )
    assert (shown["doxxing"], shown["insults"], shown["hacking"]) == (12, 23, 0)
    assert by_kind.total == 35 == sum(shown.values())  # mentions, not the 23 reports
    assert publish(Query(("region",), *period)).total == 23

    two = publish(Query(("abuse_type", "region"), *period))
    rows = [code for code, _l in two.rows]
    columns = [code for code, _l in two.columns]
    assert two.cells[rows.index("insults")][columns.index("toronto")] == 11
    assert two.row_totals[rows.index("insults")] == 23
    assert two.column_totals[columns.index("eastern")] == 24
    assert two.total == 35
    for i, line in enumerate(two.cells):
        assert two.row_totals[i] == sum(line)
    for j in range(len(columns)):
        assert two.column_totals[j] == sum(line[j] for line in two.cells)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (Query(("abuse_type", "region", "role"), "2026-01", "2026-06"), "dimensions"),
        (Query((), "2026-01", "2026-06"), "dimensions"),
        (Query(("region", "region"), "2026-01", "2026-06"), "dimensions"),
        (Query(("postcode",), "2026-01", "2026-06"), "dimensions"),
        (Query(("region",), "2026-07", "2026-06"), "from"),
    ],
)
def test_the_engine_refuses_a_question_it_cannot_answer(query, field):
    with pytest.raises(DomainError) as refused:
        publish(query)

    assert field in refused.value.message_dict


def test_a_period_runs_across_the_new_year():
    assert Query(("month",), "2025-11", "2026-02").months() == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


# Publishing random data.

ALL_DIMENSIONS = [
    "month",
    "quarter",
    "region",
    "role",
    "channel",
    "abuse_type",
    "bias_ground",
    "perpetrator_type",
    "severity",
    "response_time",
    "escalated",
    "outcome",
]
QUERIES = [
    *[(name,) for name in ALL_DIMENSIONS],
    ("abuse_type", "region"),
    ("region", "role"),
    ("month", "abuse_type"),
    ("channel", "abuse_type"),
    ("severity", "outcome"),
    ("quarter", "region"),
    ("escalated", "response_time"),
]
FILTERS = [
    {},
    {"region": "toronto"},
    {"role": "councillor"},
    {"region": "eastern", "role": "candidate"},
]


def _all_published() -> list:
    return [
        publish(Query(dims, MONTHS[0], MONTHS[-1], **filters))
        for dims in QUERIES
        for filters in FILTERS
    ]


def test_nothing_published_from_random_data_is_a_count_from_1_to_10_or_can_be_narrowed():
    synthetic_extract(400, seed=11)
    published = _all_published()

    values = [value for table in published for value in published_values(table)]
    assert [v for v in values if v is not None and 1 <= v <= 10] == []
    assert all(v is None or (isinstance(v, int) and v >= 0) for v in values)
    # The data was small enough to need hiding and large enough to show something.
    assert values.count(None) > 100
    assert len([v for v in values if v is not None and v > 10]) > 100
    for table in published:
        view = published_view(table)
        rows, cols = len(table.cells), len(table.cells[0])
        assert narrowed(rows, cols, view, 10) == {}, table.query


def test_in_exact_mode_what_is_shown_is_the_true_count():
    synthetic_extract(300, seed=3)
    for dims in [("region",), ("abuse_type", "region"), ("month", "severity")]:
        query = Query(dims, MONTHS[0], MONTHS[-1])
        counts, table = raw_counts(query), publish(query)
        assert table.meta == {"threshold": 10, "mode": "exact", "epsilon": 0.0}
        for i, (row, _l) in enumerate(table.rows):
            for j, (column, _m) in enumerate(table.columns):
                key = (row,) if len(dims) == 1 else (row, column)
                assert table.cells[i][j] in (None, counts.get(key, 0))
        assert table.total in (None, sum(counts.values()))


# Differential privacy.


@pytest.fixture
def dp(settings):
    settings.RECOURSE_STATS_DP = True
    settings.RECOURSE_STATS_DP_EPSILON = EPSILON
    settings.RECOURSE_STATS_DP_BUDGET = BUDGET
    synthetic_extract(300, seed=7)
    return settings


def ledger() -> dict[str, float]:
    return dict(PrivacyLedger.objects.values_list("period", "spent"))


def _numbers(table) -> tuple:
    return (table.cells, table.row_totals, table.column_totals, table.total)


def test_the_same_question_twice_gets_the_stored_release_and_is_charged_once(dp):
    query = Query(("region",), "2026-01", "2026-03")

    first = publish(query)
    second = publish(Query(("region",), "2026-01", "2026-03"))

    assert _numbers(second) == _numbers(first)
    assert first.meta == {"threshold": 10, "mode": "differential_privacy", "epsilon": EPSILON}
    assert ledger() == {"2026-01": EPSILON, "2026-02": EPSILON, "2026-03": EPSILON}
    assert NoisyRelease.objects.count() == 1


def test_each_new_question_is_charged_again_to_every_month_it_covers(dp):
    publish(Query(("region",), "2026-01", "2026-03"))
    publish(Query(("abuse_type",), "2026-02", "2026-03"))
    publish(Query(("region",), "2026-01", "2026-03", role="candidate"))
    publish(Query(("region", "role"), "2026-03", "2026-04"))

    assert ledger() == pytest.approx(
        {"2026-01": 2 * EPSILON, "2026-02": 3 * EPSILON, "2026-03": 4 * EPSILON, "2026-04": EPSILON}
    )
    assert NoisyRelease.objects.count() == 4


def test_a_month_whose_budget_is_spent_refuses_new_questions_but_serves_old_ones(dp):
    old = publish(Query(("region",), "2026-01", "2026-03"))
    PrivacyLedger.objects.filter(period="2026-02").update(spent=BUDGET - EPSILON / 2)
    before = (ledger(), NoisyRelease.objects.count())

    with pytest.raises(DomainError, match="budget"):
        publish(Query(("role",), "2026-01", "2026-03"))
    with pytest.raises(DomainError, match="budget"):
        publish(Query(("role",), "2026-02", "2026-02"))

    assert (ledger(), NoisyRelease.objects.count()) == before  # nothing charged, nothing kept
    assert _numbers(publish(Query(("region",), "2026-01", "2026-03"))) == _numbers(old)
    publish(Query(("role",), "2026-03", "2026-04"))  # other months still answer


def test_the_budget_allows_exactly_budget_over_epsilon_questions_a_month(dp):
    regions = ["toronto", "gtha", "central", "eastern", "southwestern"]
    roles = ["candidate", "councillor"]
    questions = [
        Query(("severity",), "2026-05", "2026-05", region=r, role=o) for r in regions for o in roles
    ]
    for query in questions:  # ten questions of ε 0.5: the budget of 5.0
        publish(query)

    with pytest.raises(DomainError):
        publish(Query(("outcome",), "2026-05", "2026-05"))
    assert ledger() == {"2026-05": pytest.approx(BUDGET)}


def test_noisy_values_are_non_negative_integers_and_differ_from_the_true_counts(dp):
    query = Query(("month", "abuse_type"), MONTHS[0], MONTHS[-1])
    true = raw_counts(query)

    table = publish(query)

    stored = NoisyRelease.objects.get().cells
    assert len(stored) == 6 * 12
    assert all(type(v) is int and v >= 0 for v in stored.values())
    assert all(v is None or (type(v) is int and v >= 0) for v in published_values(table))
    assert any(stored[f"{m}\x1f{k}"] != true.get((m, k), 0) for m, k in true)
    assert [v for v in published_values(table) if v is not None and 1 <= v <= 10] == []


class Shift:
    """A stand-in for the sampler: adds a fixed amount, and remembers the scale it was asked."""

    def __init__(self, amount: int):
        self.amount, self.scales = amount, []

    def __call__(self, scale: float):
        self.scales.append(scale)
        return lambda value: value + self.amount


def test_suppression_applies_to_the_noisy_values_not_the_true_ones(dp, monkeypatch):
    query = Query(("abuse_type",), MONTHS[0], MONTHS[-1])
    true = raw_counts(query)
    assert all(n > 10 for n in true.values())  # every kind in use shows in exact mode

    monkeypatch.setattr(privacy, "sampler", lambda scale: lambda value: 7)
    table = publish(query)

    assert all(row == [None] for row in table.cells)  # every noisy count is 7: all hidden
    assert table.total == 7 * 12


def test_a_true_count_from_1_to_10_shows_when_its_noisy_value_is_larger(dp, monkeypatch):
    query = Query(("region",), "2026-01", "2026-01", role="school_board_trustee")
    true = raw_counts(query)
    assert any(1 <= n <= 10 for n in true.values())

    monkeypatch.setattr(privacy, "sampler", Shift(20))
    table = publish(query)

    shown = {code: line[0] for (code, _l), line in zip(table.rows, table.cells, strict=True)}
    assert shown == {code: true.get((code,), 0) + 20 for code, _l in table.rows}


@pytest.mark.parametrize(
    ("dimensions", "scale"),
    [
        (("region",), 1 / EPSILON),
        (("region", "role"), 1 / EPSILON),
        (("abuse_type",), 12 / EPSILON),  # a report can name all twelve kinds
        (("abuse_type", "channel"), 12 * 15 / EPSILON),
    ],
)
def test_the_noise_scale_is_the_sensitivity_over_epsilon(dp, monkeypatch, dimensions, scale):
    shift = Shift(0)
    monkeypatch.setattr(privacy, "sampler", shift)

    publish(Query(dimensions, "2026-01", "2026-02"))

    assert shift.scales == [pytest.approx(scale)]


# The sampler itself: discrete Laplace, P(X = k) = (1 - α) / (1 + α) · α^|k|, α = exp(-1/scale).

SCALE = 2.0
DRAWS = 10_000


@pytest.fixture(scope="module")
def draws() -> list[int]:
    noise = privacy.sampler(SCALE)
    return [noise(0) for _ in range(DRAWS)]


def pmf(k: int, scale: float) -> float:
    alpha = math.exp(-1 / scale)
    return (1 - alpha) / (1 + alpha) * alpha ** abs(k)


def chi_square_p(samples: list[int], scale: float) -> float:
    """Bins -6..6 and the two tails beyond."""
    counts = Counter(max(-7, min(7, x)) for x in samples)
    bins = range(-7, 8)
    inner = {k: pmf(k, scale) for k in range(-6, 7)}
    tail = (1 - sum(inner.values())) / 2
    expected = [len(samples) * (inner[k] if -6 <= k <= 6 else tail) for k in bins]
    observed = [counts.get(k, 0) for k in bins]
    return stats.chisquare(observed, expected).pvalue


def test_the_sampler_draws_integers_centred_on_the_value(draws):
    assert all(type(x) is int for x in draws)
    assert abs(sum(draws) / DRAWS) < 0.3  # standard error about 0.028
    assert abs(sum(privacy.sampler(SCALE)(40) for _ in range(500)) / 500 - 40) < 1.5


def test_the_sampler_hits_zero_as_often_as_a_discrete_laplace_does(draws):
    alpha = math.exp(-1 / SCALE)

    zero = draws.count(0) / DRAWS

    assert zero == pytest.approx((1 - alpha) / (1 + alpha), abs=0.03)  # about 7 standard errors


def test_the_samplers_tails_are_symmetric_and_geometric(draws):
    above = sum(1 for x in draws if x > 0) / DRAWS
    below = sum(1 for x in draws if x < 0) / DRAWS
    assert abs(above - below) < 0.05
    assert chi_square_p(draws, SCALE) > 1e-6
    # The same test tells a wrong scale apart, so it can fail.
    assert chi_square_p(draws, 3.0) < 1e-6
    assert chi_square_p(draws, 1.3) < 1e-6


def test_random_seeds_do_not_matter_to_the_sampler():
    """OpenDP draws from the system's source: reseeding Python's generator changes nothing."""
    random.seed(1)
    first = [privacy.sampler(SCALE)(0) for _ in range(40)]
    random.seed(1)
    second = [privacy.sampler(SCALE)(0) for _ in range(40)]

    assert first != second
