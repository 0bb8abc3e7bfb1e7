"""Issue 5, the analyst's dashboard and API: for the analyst role only; every number shown (in
tables, charts, their text alternatives, CSV and JSON) is 0 or more than 10, hidden ones read
"fewer than 11"; the CSV is the explorer's table; the API answers with cells, totals and the
mode it used, and refuses bad questions field by field."""

import pytest
from django.urls import reverse

from insights import presentation
from insights.engine import Query, publish
from insights.models import PrivacyLedger
from tests.insights.helpers import HIDDEN, MONTHS, small, synthetic_extract
from tests.insights.pages import Page, csv_rows
from tests.security.support import token_client
from tests.support.factories import web_client

pytestmark = pytest.mark.django_db

PERIOD = {"start": MONTHS[0], "end": MONTHS[-1]}
PAGES = ["insights:dashboard", "insights:explorer", "insights:export_csv", "insights:about"]
COUNTS = "/api/v1/insights/counts/"
OTHER_ROLES = ["reporter", "worker", "coordinator", "administrator"]


@pytest.fixture
def data(db):
    """An extract with many small counts."""
    synthetic_extract(220, seed=23)


@pytest.fixture
def ana(analyst):
    return web_client(analyst)


# Who may look.


@pytest.mark.parametrize("name", PAGES)
def test_the_analyst_sees_every_statistics_page(ana, data, name):
    response = ana.get(reverse(name), {**PERIOD, "first": "abuse_type"})

    assert response.status_code == 200
    if name == "insights:export_csv":
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == (
            'attachment; filename="recourse-abuse_type-2026-01-2026-06.csv"'
        )
        assert csv_rows(response.content)[0] == ["Kind of abuse", "Count"]
        return
    page = Page(response.content.decode())
    expected = {
        "insights:dashboard": (8, 8),
        "insights:explorer": (1, 0),
        "insights:about": (0, 0),
    }[name]
    assert (len(page.tables), len(page.charts)) == expected


@pytest.mark.parametrize("role", OTHER_ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_every_other_role_is_refused_every_statistics_page(request, data, role, name):
    user = request.getfixturevalue(role)

    response = web_client(user).get(reverse(name), PERIOD)

    assert response.status_code == 403
    assert "insights/not_analyst.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "<table" not in content
    assert "<svg" not in content


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login") + "?next=")


def test_the_analyst_lands_on_the_overview_after_signing_in(ana):
    response = ana.get(reverse("core:after_login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("insights:dashboard")


# What the pages show.

EXPLORED = [
    {"first": "abuse_type"},
    {"first": "region", "second": "role"},
    {"first": "abuse_type", "second": "region"},
    {"first": "month", "second": "channel"},
    {"first": "severity", "second": "outcome", "region": "toronto"},
    {"first": "bias_ground", "role": "candidate"},
]


def _numbers_and_hidden(texts: list[str]) -> tuple[list[int], int]:
    numbers = [int(t) for t in texts if t.isdigit()]
    return numbers, texts.count(HIDDEN)


def _desc_values(desc: str) -> list[str]:
    """The numbers of a chart's text alternative: "Title. Label: 12; Label: fewer than 11."."""
    body = desc.split(". ", 1)[1].removesuffix(".")
    return [part.rsplit(": ", 1)[1] for part in body.split("; ")]


@pytest.mark.parametrize(
    "filters", [{}, {"role": "school_board_trustee"}, {"region": "northwestern"}]
)
def test_the_overview_shows_no_count_from_1_to_10_in_tables_charts_or_descriptions(
    ana, data, filters
):
    page = Page(ana.get(reverse("insights:dashboard"), {**PERIOD, **filters}).content.decode())

    assert len(page.tables) == len(page.charts) == 8
    shown = page.data_cells
    shown += [text for chart in page.charts for text in chart.texts]
    shown += [value for chart in page.charts for value in _desc_values(chart.desc)]
    assert [text for text in shown if small(text)] == []


def test_the_overview_of_few_reports_hides_small_counts_and_shows_large_ones(ana, data):
    shown = []
    for filters in [{}, {"role": "school_board_trustee"}, {"region": "northwestern"}]:
        page = Page(ana.get(reverse("insights:dashboard"), {**PERIOD, **filters}).content.decode())
        shown += page.data_cells
        shown += [text for chart in page.charts for text in chart.texts]
    assert [text for text in shown if small(text)] == []
    numbers, hidden = _numbers_and_hidden(shown)
    assert hidden > 10
    assert len([n for n in numbers if n > 10]) > 10


@pytest.mark.parametrize("params", EXPLORED)
def test_the_explorer_csv_and_api_show_no_count_from_1_to_10(ana, analyst, data, params):
    page = Page(ana.get(reverse("insights:explorer"), {**PERIOD, **params}).content.decode())
    rows = csv_rows(ana.get(reverse("insights:export_csv"), {**PERIOD, **params}).content)
    dims = ",".join(params[k] for k in ("first", "second") if k in params)
    api = {"from": PERIOD["start"], "to": PERIOD["end"], "dimensions": dims}
    api |= {k: v for k, v in params.items() if k in ("region", "role")}
    body = token_client(analyst).get(COUNTS, api).json()

    texts = page.data_cells + [cell for row in rows[1:] for cell in row[1:]]
    assert [text for text in texts if small(text)] == []
    entries = [*body["cells"], body["total"], *body.get("row_totals", [])]
    entries += body.get("column_totals", [])
    counts = [entry["count"] for entry in entries if "count" in entry]
    assert [n for n in counts if 1 <= n <= 10] == []
    assert all(entry.get("suppressed") is True for entry in entries if "count" not in entry)


def test_hidden_cells_read_fewer_than_11_and_zeros_read_0(ana, data):
    query = Query(("abuse_type", "region"), PERIOD["start"], PERIOD["end"])
    table = publish(query)
    params = {**PERIOD, "first": "abuse_type", "second": "region"}

    shown = Page(ana.get(reverse("insights:explorer"), params).content.decode()).tables[0]

    body = shown[1:-1]  # neither the header nor the totals line
    hidden = zeros = 0
    for i, line in enumerate(table.cells):
        for j, value in enumerate(line):
            expected = HIDDEN if value is None else str(value)
            assert body[i][j + 1] == expected
            hidden += value is None
            zeros += value == 0
    assert hidden > 0
    assert zeros > 0  # kinds and regions the data never names
    totals = [*table.row_totals, *table.column_totals, table.total]
    assert [HIDDEN if v is None else str(v) for v in table.row_totals] == [r[-1] for r in body]
    assert all(v is None or v == 0 or v > 10 for v in totals)


def test_each_chart_has_a_title_and_a_description_listing_its_numbers(ana, data):
    page = Page(ana.get(reverse("insights:dashboard"), PERIOD).content.decode())
    tables = {
        presentation.describe(t): t
        for t in [
            publish(Query((name,), PERIOD["start"], PERIOD["end"]))
            for name in [
                "month",
                "abuse_type",
                "channel",
                "role",
                "region",
                "bias_ground",
                "escalated",
                "response_time",
            ]
        ]
    }

    assert {chart.desc for chart in page.charts} == set(tables)
    for chart in page.charts:
        table = tables[chart.desc]
        assert chart.title
        name = table.query.dimensions[0]
        assert chart.labelled_by.split() == [f"title-{name}", f"desc-{name}"]
        values = _desc_values(chart.desc)
        assert values == [presentation.shown(line[0]) for line in table.cells]
        for (_code, label), value in zip(table.rows, values, strict=True):
            assert f"{label}: {value}" in chart.desc


def test_the_csv_is_the_table_the_explorer_shows(ana, data):
    for params in EXPLORED:
        query = {**PERIOD, **params}
        shown = Page(ana.get(reverse("insights:explorer"), query).content.decode()).tables[0]

        exported = csv_rows(ana.get(reverse("insights:export_csv"), query).content)

        assert exported == shown, params


def test_the_explorer_table_of_two_dimensions_over_one_month_labels_its_columns(ana, data):
    """With one row (one month), the table is one-way for suppression, but it still has a
    column per kind of abuse: the header must name them, not say "Count" over twelve cells."""
    params = {"start": "2026-03", "end": "2026-03", "first": "month", "second": "abuse_type"}

    table = Page(ana.get(reverse("insights:explorer"), params).content.decode()).tables[0]

    assert {len(row) for row in table} == {len(table[0])}
    assert "Doxxing (sharing private details)" in table[0]


def test_a_period_that_ends_before_it_starts_is_an_error_on_the_pages(ana, data):
    backwards = {"start": "2026-06", "end": "2026-01", "first": "region"}

    overview = ana.get(reverse("insights:dashboard"), backwards)
    explorer = ana.get(reverse("insights:explorer"), backwards)
    export = ana.get(reverse("insights:export_csv"), backwards)

    for response in (overview, explorer):
        assert response.status_code == 200
        assert Page(response.content.decode()).alerts == ["The period starts after it ends."]
        assert not Page(response.content.decode()).data_cells
    assert export.status_code == 400


# The API.


def test_the_api_answers_one_dimension_with_cells_a_total_and_its_mode(analyst, data):
    response = token_client(analyst).get(
        COUNTS, {"dimensions": "region", "from": "2026-01", "to": "2026-06"}
    )

    assert response.status_code == 200
    body = response.json()
    table = publish(Query(("region",), "2026-01", "2026-06"))
    assert body["meta"] == {"threshold": 10, "mode": "exact", "epsilon": 0.0}
    assert [cell["region"] for cell in body["cells"]] == [code for code, _l in table.rows]
    for cell, line in zip(body["cells"], table.cells, strict=True):
        assert cell == (
            {"region": cell["region"], "count": line[0]}
            if line[0] is not None
            else {"region": cell["region"], "suppressed": True}
        )
    assert body["total"] == {"count": table.total}
    assert "row_totals" not in body
    assert "column_totals" not in body


def test_the_api_answers_two_dimensions_with_row_and_column_totals(analyst, data):
    response = token_client(analyst).get(
        COUNTS,
        {
            "dimensions": "abuse_type,region",
            "from": "2026-01",
            "to": "2026-06",
            "role": "candidate",
        },
    )

    body = response.json()
    table = publish(Query(("abuse_type", "region"), "2026-01", "2026-06", role="candidate"))
    assert len(body["cells"]) == len(table.rows) * len(table.columns)
    assert set(body["cells"][0]) in (
        {"abuse_type", "region", "count"},
        {"abuse_type", "region", "suppressed"},
    )
    assert [t["abuse_type"] for t in body["row_totals"]] == [c for c, _l in table.rows]
    assert [t["region"] for t in body["column_totals"]] == [c for c, _l in table.columns]
    for entry, value in zip(body["row_totals"], table.row_totals, strict=True):
        assert entry.get("count") == value
        assert entry.get("suppressed", False) is (value is None)
    assert any(cell.get("suppressed") for cell in body["cells"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"dimensions": "postcode", "from": "2026-01", "to": "2026-06"}, "dimensions"),
        (
            {"dimensions": "region,role,abuse_type", "from": "2026-01", "to": "2026-06"},
            "dimensions",
        ),
        ({"dimensions": "", "from": "2026-01", "to": "2026-06"}, "dimensions"),
        ({"from": "2026-01", "to": "2026-06"}, "dimensions"),
        ({"dimensions": "region", "from": "2026-07", "to": "2026-06"}, "from"),
        ({"dimensions": "region", "from": "2026-1", "to": "2026-06"}, "from"),
        ({"dimensions": "region", "from": "2026-01", "to": "2026-13"}, "to"),
        ({"dimensions": "region", "from": "January", "to": "2026-06"}, "from"),
        ({"dimensions": "region", "to": "2026-06"}, "from"),
        ({"dimensions": "region", "from": "2026-01", "to": "2026-06", "region": "mars"}, "region"),
        ({"dimensions": "region", "from": "2026-01", "to": "2026-06", "role": "king"}, "role"),
    ],
)
def test_the_api_refuses_a_bad_question_with_field_errors(analyst, params, field):
    response = token_client(analyst).get(COUNTS, params)

    assert response.status_code == 400
    assert field in response.json()
    assert all(isinstance(m, str) for m in response.json()[field])


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_the_api_refuses_every_other_role(request, data, role):
    response = token_client(request.getfixturevalue(role)).get(
        COUNTS, {"dimensions": "region", "from": "2026-01", "to": "2026-06"}
    )

    assert response.status_code == 403
    assert "cells" not in response.json()


def test_the_api_refuses_anonymous_callers(api_client, data):
    response = api_client.get(COUNTS, {"dimensions": "region", "from": "2026-01", "to": "2026-06"})

    assert response.status_code == 401


# Differential privacy on the pages and in the API.


def test_in_dp_mode_the_api_says_so_and_refuses_once_the_budget_is_spent(settings, analyst, data):
    settings.RECOURSE_STATS_DP = True
    api = token_client(analyst)
    question = {"dimensions": "region", "from": "2026-01", "to": "2026-02"}

    first = api.get(COUNTS, question)
    assert first.json()["meta"] == {
        "threshold": 10,
        "mode": "differential_privacy",
        "epsilon": settings.RECOURSE_STATS_DP_EPSILON,
    }
    PrivacyLedger.objects.update(spent=settings.RECOURSE_STATS_DP_BUDGET)
    refused = api.get(COUNTS, {**question, "dimensions": "role"})
    again = api.get(COUNTS, question)

    assert refused.status_code == 400
    assert "budget" in " ".join(refused.json()["non_field_errors"])
    assert again.status_code == 200
    assert again.json() == first.json()


def test_in_dp_mode_a_spent_budget_is_an_error_on_the_pages(settings, ana, data):
    settings.RECOURSE_STATS_DP = True
    PrivacyLedger.objects.create(period="2026-03", spent=settings.RECOURSE_STATS_DP_BUDGET)

    overview = ana.get(reverse("insights:dashboard"), PERIOD)
    explorer = ana.get(reverse("insights:explorer"), PERIOD)
    export = ana.get(reverse("insights:export_csv"), PERIOD)

    for response in (overview, explorer):
        assert response.status_code == 200
        page = Page(response.content.decode())
        assert len(page.alerts) == 1
        assert "budget" in page.alerts[0]
        assert not page.data_cells
    assert export.status_code == 400
    assert "budget" in export.content.decode()


def test_in_dp_mode_the_overview_says_it_adds_noise(settings, ana, data):
    settings.RECOURSE_STATS_DP = True

    content = ana.get(reverse("insights:dashboard"), PERIOD).content.decode()

    assert "Counts carry random noise" in content
    assert "ε = 0.5" in content
