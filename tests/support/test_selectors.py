"""The case selectors behind every page and endpoint: a worker's list, the intake queue, the
filtered view of all cases, and a query count that follows the page, not the number of cases."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from api.cases import CaseSummary
from support import selectors, services
from support.models import Case, CaseStatus, Severity
from support.selectors import CaseFilters
from tests.factories import make_report
from tests.security.support import token_client
from tests.support.factories import make_case, walk_to, web_client, worker_user

pytestmark = pytest.mark.django_db


def _ids(cases) -> list:
    return [case.pk for case in cases]


def _aged(case: Case, hours: int) -> Case:
    """Make the case `hours` old (created_at is auto_now_add)."""
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    return Case.objects.get(pk=case.pk)


def _severity(severity: str) -> dict:
    return {
        Severity.CRITICAL: {"risk_flags": ["imminent_danger"], "abuse_types": ["insults"]},
        Severity.HIGH: {"abuse_types": ["threat_of_violence"]},
        Severity.MEDIUM: {"abuse_types": ["identity_hate"]},
        Severity.LOW: {"abuse_types": ["insults"]},
    }[severity]


def _case(coordinator, severity=Severity.LOW, status=CaseStatus.NEW, workers=(), hours=0, **kw):
    case = make_case(
        coordinator=coordinator, workers=workers, status=status, **_severity(severity), **kw
    )
    assert case.severity == severity
    return _aged(case, hours)


# A worker's list.


def test_a_worker_sees_only_the_cases_assigned_to_them(coordinator, worker, other_worker):
    mine = [
        _case(coordinator, workers=(worker,)),
        _case(coordinator, workers=(worker, other_worker)),
    ]
    _case(coordinator, workers=(other_worker,))
    _case(coordinator)

    assert set(_ids(selectors.case_worker_list(actor=worker))) == set(_ids(mine))
    assert len(selectors.case_worker_list(actor=other_worker)) == 2
    assert len(selectors.case_worker_list(actor=coordinator)) == 4


def test_a_workers_list_puts_open_cases_first_then_the_most_severe_then_the_oldest(
    coordinator, worker
):
    resolved_critical = _case(
        coordinator, Severity.CRITICAL, CaseStatus.RESOLVED, (worker,), hours=50
    )
    low_old = _case(coordinator, Severity.LOW, CaseStatus.IN_PROGRESS, (worker,), hours=40)
    high_new = _case(coordinator, Severity.HIGH, CaseStatus.TRIAGED, (worker,), hours=1)
    high_old = _case(coordinator, Severity.HIGH, CaseStatus.WAITING_ON_REPORTER, (worker,), 30)

    order = _ids(selectors.case_worker_list(actor=worker))

    assert order == _ids([high_old, high_new, low_old, resolved_critical])


def test_a_worker_list_page_shows_only_their_cases(coordinator, worker, other_worker):
    mine = _case(coordinator, workers=(worker,))
    theirs = _case(coordinator, workers=(other_worker,))

    page = web_client(worker).get(reverse("support:my_cases")).content.decode()

    assert str(mine.public_id) in page
    assert str(theirs.public_id) not in page


# The coordinators' intake queue.


def test_the_intake_queue_puts_new_unassigned_first_then_severity_then_age(coordinator, worker):
    fresh_low_oldest = _case(coordinator, Severity.LOW, hours=90)
    fresh_critical_old = _case(coordinator, Severity.CRITICAL, hours=20)
    fresh_critical_young = _case(coordinator, Severity.CRITICAL, hours=2)
    fresh_medium = _case(coordinator, Severity.MEDIUM, hours=5)
    new_assigned_critical = _case(coordinator, Severity.CRITICAL, workers=(worker,), hours=99)
    triaged_unassigned_high = _case(coordinator, Severity.HIGH, CaseStatus.TRIAGED, hours=80)
    waiting_unassigned_low = _case(coordinator, Severity.LOW, CaseStatus.WAITING_ON_REPORTER)
    # Not intake: worked on, or finished.
    _case(coordinator, Severity.CRITICAL, CaseStatus.IN_PROGRESS, (worker,), hours=200)
    _case(coordinator, Severity.CRITICAL, CaseStatus.TRIAGED, (worker,), hours=200)
    _case(coordinator, Severity.CRITICAL, CaseStatus.RESOLVED, hours=200)
    _case(coordinator, Severity.CRITICAL, CaseStatus.CLOSED, hours=200)

    queue = _ids(selectors.case_intake_queue(actor=coordinator))

    assert queue == _ids(
        [
            fresh_critical_old,
            fresh_critical_young,
            fresh_medium,
            fresh_low_oldest,
            new_assigned_critical,
            triaged_unassigned_high,
            waiting_unassigned_low,
        ]
    )


def test_the_intake_page_lists_the_queue_in_order(coordinator):
    low = _case(coordinator, Severity.LOW, hours=9)
    critical = _case(coordinator, Severity.CRITICAL, hours=1)

    page = web_client(coordinator).get(reverse("support:intake")).content.decode()

    assert page.index(str(critical.public_id)) < page.index(str(low.public_id))


def test_the_intake_queue_is_for_coordinators_only(coordinator, worker):
    _case(coordinator)
    _case(coordinator, workers=(worker,))

    assert list(selectors.case_intake_queue(actor=worker)) == []


# All cases, filtered.


@pytest.fixture
def spread(coordinator, worker, other_worker):
    """Cases differing in each filtered field."""
    cases = {
        "new-critical-eastern": _case(coordinator, Severity.CRITICAL, region="eastern"),
        "triaged-high-toronto-wren": _case(
            coordinator, Severity.HIGH, CaseStatus.TRIAGED, (worker,), region="toronto"
        ),
        "progress-low-northwestern-both": _case(
            coordinator,
            Severity.LOW,
            CaseStatus.IN_PROGRESS,
            (worker, other_worker),
            region="northwestern",
        ),
        "closed-medium-eastern-sam": _case(
            coordinator, Severity.MEDIUM, CaseStatus.CLOSED, (other_worker,), region="eastern"
        ),
    }
    return cases


def _filtered(coordinator, **filters) -> set:
    return set(_ids(selectors.case_all(actor=coordinator, filters=CaseFilters(**filters))))


def _named(spread, *names) -> set:
    return {spread[name].pk for name in names}


def test_all_cases_without_filters_lists_every_case_most_severe_first(coordinator, spread):
    order = _ids(selectors.case_all(actor=coordinator, filters=CaseFilters()))

    assert order == _ids(
        [
            spread["new-critical-eastern"],
            spread["triaged-high-toronto-wren"],
            spread["closed-medium-eastern-sam"],
            spread["progress-low-northwestern-both"],
        ]
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "triaged"}, ["triaged-high-toronto-wren"]),
        ({"status": "closed"}, ["closed-medium-eastern-sam"]),
        ({"status": "resolved"}, []),
        ({"severity": "critical"}, ["new-critical-eastern"]),
        ({"severity": "low"}, ["progress-low-northwestern-both"]),
        ({"region": "eastern"}, ["new-critical-eastern", "closed-medium-eastern-sam"]),
        ({"region": "northwestern"}, ["progress-low-northwestern-both"]),
        ({"assignee": "wren"}, ["triaged-high-toronto-wren", "progress-low-northwestern-both"]),
        ({"assignee": "sam"}, ["progress-low-northwestern-both", "closed-medium-eastern-sam"]),
        ({"assignee": "nobody-by-this-name"}, []),
        ({"assignee": "none"}, ["new-critical-eastern"]),
        ({"region": "eastern", "severity": "medium"}, ["closed-medium-eastern-sam"]),
        ({"assignee": "wren", "status": "in_progress"}, ["progress-low-northwestern-both"]),
    ],
    ids=lambda value: (
        "&".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None
    ),
)
def test_all_cases_filters(coordinator, spread, filters, expected):
    assert _filtered(coordinator, **filters) == _named(spread, *expected)


def _due(case: Case, *, hours: int) -> None:
    Case.objects.filter(pk=case.pk).update(response_due_at=timezone.now() + timedelta(hours=hours))


def test_overdue_means_open_unanswered_and_past_its_deadline(coordinator, worker):
    overdue_new = _case(coordinator)
    overdue_assigned = _case(coordinator, Severity.HIGH, CaseStatus.TRIAGED, (worker,))
    answered = _case(coordinator)
    not_due = _case(coordinator)
    closed = _case(coordinator)
    Case.objects.filter(pk=overdue_assigned.pk).update(first_response_at=None)
    for case in (overdue_new, overdue_assigned, answered, closed):
        _due(case, hours=-1)
    _due(not_due, hours=1)
    services.message_send_staff(actor=coordinator, case=answered, body="We are on it.")
    services.case_transition(actor=coordinator, case=closed, status="closed", reason="duplicate")
    Case.objects.filter(pk=closed.pk).update(first_response_at=None)

    found = _filtered(coordinator, overdue=True)
    page = web_client(coordinator).get(reverse("support:all_cases"), {"overdue": "on"})

    assert found == {overdue_new.pk, overdue_assigned.pk}
    assert {c.pk for c in page.context["page"].object_list} == found


def test_the_all_cases_page_applies_its_filters(coordinator, spread):
    client = web_client(coordinator)
    url = reverse("support:all_cases")

    page = client.get(url, {"region": "eastern", "assignee": "none"}).content.decode()

    assert str(spread["new-critical-eastern"].public_id) in page
    for name in ("triaged-high-toronto-wren", "closed-medium-eastern-sam"):
        assert str(spread[name].public_id) not in page


def test_the_api_list_applies_its_filters_and_refuses_unknown_values(coordinator, spread):
    api = token_client(coordinator)

    found = api.get("/api/v1/cases/", {"status": "in_progress", "assignee": "sam"}).json()
    wrong = api.get("/api/v1/cases/", {"severity": "urgent"})

    assert [row["id"] for row in found["results"]] == [
        str(spread["progress-low-northwestern-both"].public_id)
    ]
    assert found["results"][0]["assignees"] == ["sam", "wren"]
    assert wrong.status_code == 400
    assert "severity" in wrong.json()


def test_the_api_list_rows_are_the_cases_in_the_selectors_order_with_their_fields(
    coordinator, spread
):
    expected = list(selectors.case_all(actor=coordinator, filters=CaseFilters()))

    rows = token_client(coordinator).get("/api/v1/cases/").json()["results"]

    assert [row["id"] for row in rows] == [str(case.public_id) for case in expected]
    for row, case in zip(rows, expected, strict=True):
        assert row["report"] == str(case.report.public_id)
        assert row["region"] == case.report.region
        assert (row["status"], row["severity"]) == (case.status, case.severity)
        assert row["response_due_at"] is not None
        assert row["assignees"] == sorted(u.username for u in selectors.assignees(case))
    assert {tuple(row["assignees"]) for row in rows} >= {(), ("wren",), ("sam", "wren")}


@pytest.mark.parametrize("zone", ["America/Toronto", "UTC"])
def test_a_case_row_renders_exactly_as_the_summarys_fields_would_render_it(
    coordinator, spread, settings, zone
):
    settings.TIME_ZONE = zone
    answered = selectors.case_all_rows(actor=coordinator, filters=CaseFilters())
    rows = selectors.case_rows_page(answered)
    first = rows[0]
    Case.objects.filter(public_id=first.public_id).update(
        first_response_at=timezone.now(), last_update_at=timezone.now()
    )
    Case.objects.filter(public_id=rows[-1].public_id).update(
        first_response_at=None, last_update_at=None
    )
    rows = selectors.case_rows_page(answered.all())
    assert any(row.first_response_at for row in rows)
    assert any(row.last_update_at is None for row in rows)
    summary = CaseSummary()
    for row in rows:
        direct = summary.to_representation(row)
        field_by_field = serializers.Serializer.to_representation(summary, row)
        assert direct == dict(field_by_field)
        assert json.dumps(direct) == json.dumps(dict(field_by_field))


def test_a_workers_all_cases_view_is_still_only_their_own(coordinator, worker, spread):
    assert _filtered(worker) == _named(
        spread, "triaged-high-toronto-wren", "progress-low-northwestern-both"
    )
    assert _filtered(worker, assignee="sam") == _named(spread, "progress-low-northwestern-both")


# The query count follows the page, not the number of cases.


def _make_visible(count: int, coordinator, worker, helpers) -> None:
    for number in range(count):
        case = make_report(region=["eastern", "toronto"][number % 2]).case
        services.case_assign(actor=coordinator, case=case, worker=worker)
        services.case_assign(actor=coordinator, case=case, worker=helpers[number % len(helpers)])
        if number % 3 == 0:
            walk_to(case, CaseStatus.IN_PROGRESS, coordinator=coordinator)


def _count_queries(client, url: str) -> tuple[int, int]:
    """(queries, cases shown) for one list request."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    return len(context.captured_queries), sum(str(c.public_id) in page for c in Case.objects.all())


PAGES = {
    "worker": [reverse("support:my_cases")],
    "coordinator": [
        reverse("support:all_cases"),
        reverse("support:all_cases") + "?region=eastern&assignee=wren",
        reverse("support:intake"),
    ],
}
API_LIST = "/api/v1/cases/?page_size=100"


def _measure(coordinator, worker) -> dict[str, tuple[int, int]]:
    page = {"worker": web_client(worker), "coordinator": web_client(coordinator)}
    api = {"worker": token_client(worker), "coordinator": token_client(coordinator)}
    found = {}
    for who, urls in PAGES.items():
        for url in urls:
            found[f"{who} {url}"] = _count_queries(page[who], url)
        found[f"{who} {API_LIST}"] = _count_queries(api[who], API_LIST)
    return found


def test_every_case_list_costs_the_same_queries_for_5_and_50_cases(coordinator, worker):
    """Pages show up to 25 cases, the API up to 100: 5 cases fill less than a page, 50 more."""
    helpers = [worker_user(), worker_user(), worker_user()]

    _make_visible(5, coordinator, worker, helpers)
    few = _measure(coordinator, worker)
    _make_visible(45, coordinator, worker, helpers)
    many = _measure(coordinator, worker)

    for url in few:
        (few_queries, few_shown), (many_queries, many_shown) = few[url], many[url]
        assert 2 <= few_shown < many_shown, url
        assert many_queries == few_queries, url
    assert many[f"coordinator {API_LIST}"][1] == 50
    assert many[f"worker {reverse('support:my_cases')}"][1] == 25
