"""The API's case list pages: the page and the number of all cases read in one query, every page
in the selector's order, and pages that do not exist refused as before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support import selectors, services
from support.selectors import CaseFilters
from tests.factories import UserFactory, make_report
from tests.security.support import token_client
from tests.support.factories import worker_user

pytestmark = pytest.mark.django_db

LIST = "/api/v1/cases/"


@pytest.fixture
def seven(coordinator, worker):
    """Seven cases, five of them the worker's."""
    cases = [make_report(region=["eastern", "toronto"][n % 2]).case for n in range(7)]
    for case in cases[:5]:
        services.case_assign(actor=coordinator, case=case, worker=worker)
    return cases


def _ids(who, **filters) -> list[str]:
    rows = selectors.case_all_rows(actor=who, filters=CaseFilters(**filters))
    return [str(row["public_id"]) for row in rows]


def _get(client, **params):
    response = client.get(LIST, params)
    return response.status_code, response.json()


@pytest.mark.parametrize("who", ["coordinator", "worker"])
def test_every_page_holds_the_next_cases_in_order_and_the_count_of_all(who, seven, request):
    actor = request.getfixturevalue(who)
    client = token_client(actor)
    expected = _ids(actor)
    assert len(expected) == {"coordinator": 7, "worker": 5}[who]

    shown = []
    for number in (1, 2, 3):
        status, body = _get(client, page=number, page_size=2)
        if number * 2 - 2 >= len(expected):
            assert status == 404
            break
        assert status == 200
        assert body["count"] == len(expected)
        assert set(body["results"][0]) == {
            "id",
            "report",
            "status",
            "severity",
            "region",
            "created_at",
            "response_due_at",
            "first_response_at",
            "last_update_at",
            "assignees",
        }
        shown += [row["id"] for row in body["results"]]
    status, last = _get(client, page="last", page_size=2)
    assert status == 200
    last_page_starts = (len(expected) - 1) // 2 * 2
    assert [row["id"] for row in last["results"]] == expected[last_page_starts:]
    assert shown == expected[: len(shown)]


def test_a_page_and_the_count_of_all_cases_are_read_in_one_query(coordinator, seven):
    client = token_client(coordinator)
    client.get(LIST)  # the session and its token read once, as for any request
    with CaptureQueriesContext(connection) as queries:
        status, body = _get(client, page=2, page_size=3)
    assert status == 200
    assert body["count"] == 7
    case_queries = [q["sql"] for q in queries.captured_queries if 'FROM "support_case"' in q["sql"]]
    assert len(case_queries) == 1
    assert "OVER" in case_queries[0]


def test_a_filter_narrows_the_count_as_well_as_the_page(coordinator, seven):
    status, body = _get(token_client(coordinator), region="toronto", page_size=2)
    assert status == 200
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == _ids(coordinator, region="toronto")[:2]


def test_the_first_page_of_nothing_is_empty_and_any_other_page_of_nothing_is_404(coordinator):
    client = token_client(coordinator)
    assert _get(client) == (200, {"count": 0, "next": None, "previous": None, "results": []})
    assert _get(client, page=2)[0] == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "9"])
def test_a_page_that_does_not_exist_is_404_and_says_so(coordinator, seven, page):
    status, body = _get(token_client(coordinator), page=page)
    assert status == 404
    assert "detail" in body


def test_the_next_link_leads_on_and_the_last_page_has_none(coordinator, seven):
    client = token_client(coordinator)
    status, first = _get(client, page_size=4)
    assert status == 200
    assert first["next"].endswith("page=2&page_size=4")
    assert first["previous"] is None
    status, second = _get(client, page=2, page_size=4)
    assert second["next"] is None
    assert len(second["results"]) == 3


def test_an_outsider_and_a_worker_with_no_cases_get_no_list(seven):
    assert token_client(UserFactory()).get(LIST).status_code == 403
    assert _get(token_client(worker_user())) == (
        200,
        {"count": 0, "next": None, "previous": None, "results": []},
    )
