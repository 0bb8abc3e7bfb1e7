"""SECURITY 6-9 for the staff side: the role × endpoint matrix of every case page and endpoint,
generated from one table; unassigning takes effect on the next request; a superuser or an
administrator without a case role reads nothing; only coordinators assign, nobody themselves."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.messages import get_messages
from django.urls import URLResolver, get_resolver, reverse
from guardian.core import ObjectPermissionChecker
from rest_framework.test import APIClient

from core.errors import DomainError
from core.models import Role
from support import services
from support.models import Case, CaseStatus
from support.roles import role_set
from support.selectors import assignees, case_visible
from tests.background.factories import add_match, add_notification
from tests.factories import UserFactory
from tests.security.support import receipt_client, receipt_web_client, token_client
from tests.support.factories import (
    Cast,
    add_evidence,
    administrator_user,
    case_state,
    make_case,
    make_cast,
    superuser_user,
    web_client,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "reporter",
    "receipt holder",
    "worker assigned",
    "worker not assigned",
    "coordinator",
    "analyst",
    "administrator",
    "superuser without a case role",
    "anonymous visitor",
]
NON_CASE_ROLES = [
    "reporter",
    "receipt holder",
    "analyst",
    "administrator",
    "superuser without a case role",
]
ONLY_COORDINATORS = "Only coordinators can do this."


@dataclass(frozen=True)
class Outcome:
    """What one role gets from one endpoint.

    allowed: the request did what it asked (a refused one must change nothing, audit included);
    goes_to: where a redirect leads ("login", "case", "report" or a support: URL name);
    error: the refusal shown (flash message on pages, response body in the API);
    shows_case: whether a list includes the case (None: not checked)."""

    status: int
    allowed: bool
    goes_to: str = ""
    error: str = ""
    shows_case: bool | None = None


NOT_FOUND = Outcome(404, False)
FORBIDDEN = Outcome(403, False)
TO_LOGIN = Outcome(302, False, goes_to="login")
UNAUTHORIZED = Outcome(401, False)
OK = Outcome(200, True)
CREATED = Outcome(201, True)
NO_CONTENT = Outcome(204, True)
PAGE_DONE = Outcome(302, True, goes_to="case")
PAGE_REFUSED = Outcome(302, False, goes_to="case", error=ONLY_COORDINATORS)
API_REFUSED = Outcome(400, False, error=ONLY_COORDINATORS)


def page_rules(*, other: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    """A page: `other` for everyone not named, the login redirect for anonymous visitors."""
    return {role: other for role in ROLES} | {"anonymous visitor": TO_LOGIN} | _named(by_role)


def api_rules(*, other: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    """An API endpoint: `other` for everyone not named, 401 for anonymous visitors."""
    return {role: other for role in ROLES} | {"anonymous visitor": UNAUTHORIZED} | _named(by_role)


def _named(by_role: dict[str, Outcome]) -> dict[str, Outcome]:
    return {name.replace("_", " "): outcome for name, outcome in by_role.items()}


def worker_and_coordinator(
    worker: Outcome, coordinator: Outcome, other: Outcome = NOT_FOUND
) -> dict[str, Outcome]:
    """A case object: the assigned worker and the coordinator as given, every other role as
    `other` (the 404 of a case that does not exist)."""
    return {"worker_assigned": worker, "coordinator": coordinator, "other": other}


@dataclass(frozen=True)
class Endpoint:
    """One page or API endpoint and what each role gets from it.

    args name the URL arguments: case, evidence, report (public ids), or worker (the assigned
    worker's username)."""

    name: str
    method: str
    args: tuple[str, ...]
    rules: dict[str, Outcome]
    body: dict = field(default_factory=dict)
    writes: bool = False

    @property
    def api(self) -> bool:
        return self.name.startswith("api:")

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.name}"

    def url(self, ids: dict[str, str]) -> str:
        return reverse(self.name, args=[ids[arg] for arg in self.args])

    def call(self, client, ids: dict[str, str]):
        send = getattr(client, self.method)
        if self.method in ("get", "delete"):
            return send(self.url(ids))
        if self.api:
            return send(self.url(ids), self.body, format="json")
        return send(self.url(ids), self.body)


CASE = ("case",)
MATCH_DECISION = ("case", "match", "action")
NOTE = {"body": "Called the reporter; a safety plan is next."}
MESSAGE = {"body": "Hello, I have read your report. When can we talk?"}
REPLY = {"body": "Any evening after six works."}
ASSIGN = {"worker": "sam"}
SEVERITY = {"severity": "low", "reason": "Reassessed after the call."}
TRANSITION = {"status": CaseStatus.IN_PROGRESS, "reason": ""}


def _page(name, method, args, writes=False, body=None, **rules) -> Endpoint:
    return Endpoint(f"support:{name}", method, args, page_rules(**rules), body or {}, writes)


def _api(name, method, args, writes=False, body=None, **rules) -> Endpoint:
    return Endpoint(f"api:{name}", method, args, api_rules(**rules), body or {}, writes)


def _list(shows_for_other_worker: bool | None = False) -> dict[str, Outcome]:
    return {
        "worker_assigned": Outcome(200, True, shows_case=True),
        "worker_not_assigned": Outcome(200, True, shows_case=shows_for_other_worker),
        "coordinator": Outcome(200, True, shows_case=True),
    }


# The one table. Every staff page, every case endpoint and the reporter's message endpoints.
ENDPOINTS = [
    _page(
        "home",
        "get",
        (),
        other=FORBIDDEN,
        worker_assigned=Outcome(302, True, goes_to="support:my_cases"),
        worker_not_assigned=Outcome(302, True, goes_to="support:my_cases"),
        coordinator=Outcome(302, True, goes_to="support:intake"),
    ),
    _page("my_cases", "get", (), other=FORBIDDEN, **_list()),
    _page(
        "intake",
        "get",
        (),
        other=FORBIDDEN,
        coordinator=Outcome(200, True, shows_case=False),  # triaged and assigned: not intake
    ),
    _page("all_cases", "get", (), other=FORBIDDEN, coordinator=Outcome(200, True, shows_case=True)),
    _page("case_detail", "get", CASE, **worker_and_coordinator(OK, OK)),
    _page(
        "case_assign",
        "post",
        CASE,
        True,
        ASSIGN,
        **worker_and_coordinator(PAGE_REFUSED, PAGE_DONE),
    ),
    _page(
        "case_unassign",
        "post",
        ("case", "worker"),
        True,
        **worker_and_coordinator(PAGE_REFUSED, PAGE_DONE),
    ),
    _page(
        "case_severity",
        "post",
        CASE,
        True,
        SEVERITY,
        **worker_and_coordinator(PAGE_REFUSED, PAGE_DONE),
    ),
    _page(
        "case_transition",
        "post",
        CASE,
        True,
        TRANSITION,
        **worker_and_coordinator(PAGE_DONE, PAGE_DONE),
    ),
    _page("case_note", "post", CASE, True, NOTE, **worker_and_coordinator(PAGE_DONE, PAGE_DONE)),
    _page(
        "case_message",
        "post",
        CASE,
        True,
        MESSAGE,
        **worker_and_coordinator(PAGE_DONE, PAGE_DONE),
    ),
    _page("case_evidence", "get", ("case", "evidence"), **worker_and_coordinator(OK, OK)),
    _page(
        "match_decide",
        "post",
        MATCH_DECISION,
        True,
        **worker_and_coordinator(PAGE_DONE, PAGE_DONE),
    ),
    # Notifications reach every signed-in account but a receipt holder's (a reporter is told when
    # a role is asked for them); each person sees only their own, so the assigned worker's
    # reminder opens for them alone (and leads to the case).
    _page("notifications", "get", (), other=OK, receipt_holder=NOT_FOUND),
    _page("notification", "get", ("notification",), other=NOT_FOUND, worker_assigned=OK),
    _page(
        "notification",
        "post",
        ("notification",),
        other=NOT_FOUND,
        worker_assigned=Outcome(302, True, goes_to="case"),
    ),
    _page("alerts", "get", (), other=FORBIDDEN, coordinator=OK),
    # Roles asked for by an administrator: coordinators decide (SECURITY 8). The request is for
    # someone else; support/test_role_requests.py and test_p08 hold the rest.
    _page("roles", "get", (), other=FORBIDDEN, coordinator=OK),
    _page(
        "role_confirm",
        "post",
        ("role_request",),
        other=FORBIDDEN,
        coordinator=Outcome(302, True, goes_to="support:roles"),
    ),
    _page(
        "role_decline",
        "post",
        ("role_request",),
        other=FORBIDDEN,
        coordinator=Outcome(302, True, goes_to="support:roles"),
    ),
    _api("cases", "get", (), other=FORBIDDEN, **_list()),
    _api("case", "get", CASE, **worker_and_coordinator(OK, OK)),
    _api(
        "case_assignments",
        "post",
        CASE,
        True,
        ASSIGN,
        **worker_and_coordinator(API_REFUSED, CREATED),
    ),
    _api(
        "case_assignment",
        "delete",
        ("case", "worker"),
        True,
        **worker_and_coordinator(API_REFUSED, NO_CONTENT),
    ),
    _api("case_transitions", "post", CASE, True, TRANSITION, **worker_and_coordinator(OK, OK)),
    _api("case_severity", "post", CASE, True, SEVERITY, **worker_and_coordinator(API_REFUSED, OK)),
    _api("case_notes", "get", CASE, **worker_and_coordinator(OK, OK)),
    _api("case_notes", "post", CASE, True, NOTE, **worker_and_coordinator(CREATED, CREATED)),
    _api("case_messages", "get", CASE, **worker_and_coordinator(OK, OK)),
    _api("case_messages", "post", CASE, True, MESSAGE, **worker_and_coordinator(CREATED, CREATED)),
    _api("case_matches", "get", CASE, **worker_and_coordinator(OK, OK)),
    _api(
        "case_match_decision",
        "post",
        MATCH_DECISION,
        True,
        **worker_and_coordinator(OK, OK),
    ),
    _api("resources", "get", (), other=OK, anonymous_visitor=OK),  # the public directory
    _api(
        "case_audit",
        "get",
        CASE,
        **worker_and_coordinator(
            Outcome(403, False, error="The audit trail is for coordinators."), OK
        ),
    ),
    # The reporter's side of the conversation: staff accounts have no report of their own, so a
    # report page or endpoint answers them as for a report that does not exist (404).
    Endpoint(
        "incidents:report_message",
        "post",
        ("report",),
        page_rules(
            other=NOT_FOUND,
            reporter=Outcome(302, True, goes_to="report"),
            receipt_holder=NOT_FOUND,
        ),
        REPLY,
        True,
    ),
    Endpoint("api:report_messages", "get", ("report",), api_rules(other=NOT_FOUND, reporter=OK)),
    Endpoint(
        "api:report_messages",
        "post",
        ("report",),
        api_rules(other=NOT_FOUND, reporter=CREATED),
        REPLY,
        True,
    ),
]
CELLS = [(endpoint, role) for endpoint in ENDPOINTS for role in ROLES]


def _cell_id(value) -> str:
    return value.label if isinstance(value, Endpoint) else value.replace(" ", "-")


ATTRIBUTE = {
    "reporter": "reporter",
    "receipt holder": "receipt_holder",
    "worker assigned": "worker",
    "worker not assigned": "other_worker",
    "coordinator": "coordinator",
    "analyst": "analyst",
    "administrator": "administrator",
    "superuser without a case role": "superuser",
}


def _user(cast: Cast, role: str):
    """The person in `role` (made on first use), or None for an anonymous visitor."""
    return getattr(cast, ATTRIBUTE[role]) if role in ATTRIBUTE else None


def _client(cast: Cast, role: str, *, api: bool):
    """Signed in as people sign in: a session or a token; the receipt holder with the receipt."""
    if role == "receipt holder":
        return receipt_client(cast.receipt) if api else receipt_web_client(cast.receipt)
    user = _user(cast, role)
    if not api:
        return web_client(user)
    return token_client(user) if user is not None else APIClient()


def _ids(cast: Cast, evidence_id: str, **more: str) -> dict[str, str]:
    return {
        "case": str(cast.case.public_id),
        "evidence": evidence_id,
        "report": str(cast.report.public_id),
        "worker": cast.worker.username,
        "match": str(uuid.uuid4()),
        "notification": str(uuid.uuid4()),
        "role_request": str(uuid.uuid4()),
        "action": "accept",
    } | more


def _missing_ids(cast: Cast) -> dict[str, str]:
    return {
        "case": str(uuid.uuid4()),
        "evidence": str(uuid.uuid4()),
        "report": str(uuid.uuid4()),
        "worker": cast.worker.username,
        "match": str(uuid.uuid4()),
        "notification": str(uuid.uuid4()),
        "role_request": str(uuid.uuid4()),
        "action": "accept",
    }


def _objects(cast: Cast, endpoint: Endpoint) -> dict[str, str]:
    """The match, notification or role request an endpoint acts on (a suggestion on the case;
    the assigned worker's reminder about it; a role asked for a new account)."""
    more = {}
    if "match" in endpoint.args:
        more["match"] = add_match(cast.case)
    if "notification" in endpoint.args:
        more["notification"] = add_notification(cast.case, cast.worker)
    if "role_request" in endpoint.args:
        asked = role_set(actor=cast.administrator, user=UserFactory(), role=Role.SUPPORT_WORKER)
        more["role_request"] = str(asked.public_id)
    return more


def _expected_location(goes_to: str, cast: Cast) -> str:
    if goes_to == "login":
        return reverse("core:login")
    if goes_to == "case":
        return cast.case.get_absolute_url()
    if goes_to == "report":
        return cast.report.get_absolute_url()
    return reverse(goes_to)


def _shown_errors(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode()


def _check_redirect(response, expected: Outcome, cast: Cast) -> None:
    if expected.goes_to:
        assert response["Location"].startswith(_expected_location(expected.goes_to, cast))
    if expected.status == 302 and expected.goes_to == "case":
        assert _shown_errors(response) == ([expected.error] if expected.error else [])


@pytest.mark.parametrize(("endpoint", "role"), CELLS, ids=_cell_id)
def test_each_role_gets_exactly_what_the_table_allows_and_a_refusal_changes_nothing(endpoint, role):
    cast = make_cast()
    evidence_id = add_evidence(cast.report) if "evidence" in endpoint.args else str(uuid.uuid4())
    ids = _ids(cast, evidence_id, **_objects(cast, endpoint))
    client = _client(cast, role, api=endpoint.api)
    expected = endpoint.rules[role]
    before = case_state(cast.case)

    response = endpoint.call(client, ids)
    body = _body(response)

    assert response.status_code == expected.status, body[:300]
    _check_redirect(response, expected, cast)
    if expected.error and endpoint.api:
        assert expected.error in body
    if expected.shows_case is not None:
        assert (str(cast.case.public_id) in body) is expected.shows_case
    if not expected.allowed:
        assert case_state(cast.case) == before
    elif endpoint.writes:
        assert case_state(cast.case) != before
    if expected is NOT_FOUND:
        missing = endpoint.call(client, _missing_ids(cast))
        assert (missing.status_code, _body(missing)) == (404, body)


# The guard: every route of the staff side and of the case API is in the table above.


def _routes(patterns=None, namespace: str = "", prefix: str = ""):
    """(namespaced name, route, view) of every URL pattern, walking includes."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        else:
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern.callback


def _api_methods(view: Callable) -> set[str]:
    cls = view.cls  # DRF's as_view() keeps the class
    return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


def test_every_staff_page_and_case_endpoint_is_in_the_matrix():
    in_table = {(endpoint.name, endpoint.method) for endpoint in ENDPOINTS}
    names_in_table = {name for name, _ in in_table}
    routes = list(_routes())

    staff_pages = {name for name, _, _ in routes if name.startswith("support:")}
    case_api = {
        (name, method)
        for name, route, view in routes
        if route.startswith("api/v1/cases") or name == "api:report_messages"
        for method in _api_methods(view)
    }

    assert len(staff_pages) >= 12
    assert len(case_api) >= 13
    assert staff_pages - names_in_table == set()
    assert case_api - in_table == set()
    assert ("incidents:report_message", "post") in in_table


def test_the_matrix_covers_every_role_for_every_endpoint():
    for endpoint in ENDPOINTS:
        assert set(endpoint.rules) == set(ROLES), endpoint.label


@pytest.mark.parametrize(
    "endpoint",
    [
        e
        for e in ENDPOINTS
        if e.method == "post"
        and not e.api
        and not any(o.name == e.name and o.method == "get" for o in ENDPOINTS)
    ],
    ids=lambda e: e.label,
)
def test_no_page_changes_a_case_on_a_get(endpoint):
    cast = make_cast()
    before = case_state(cast.case)

    allowed = cast.reporter if endpoint.name.startswith("incidents:") else cast.coordinator
    response = web_client(allowed).get(endpoint.url(_ids(cast, str(uuid.uuid4()))))

    assert response.status_code == 405
    assert case_state(cast.case) == before


# SECURITY 7: unassigning takes effect on the worker's very next request.


def test_an_unassigned_worker_loses_the_case_page_on_their_next_request():
    cast = make_cast()
    page = web_client(cast.worker)
    url = cast.case.get_absolute_url()
    assert page.get(url).status_code == 200

    response = web_client(cast.coordinator).post(
        reverse("support:case_unassign", args=[cast.case.public_id, cast.worker.username])
    )
    assert response.status_code == 302
    assert _shown_errors(response) == []

    assert page.get(url).status_code == 404
    assert str(cast.case.public_id) not in page.get(reverse("support:my_cases")).content.decode()


def test_an_unassigned_worker_loses_the_case_in_the_api_on_their_next_request():
    cast = make_cast()
    api = token_client(cast.worker)
    url = f"/api/v1/cases/{cast.case.public_id}/"
    assert api.get(url).status_code == 200
    assert api.get(f"{url}notes/").status_code == 200

    response = token_client(cast.coordinator).delete(f"{url}assignments/{cast.worker.username}/")
    assert response.status_code == 204

    assert api.get(url).status_code == 404
    assert api.get(f"{url}notes/").status_code == 404
    assert api.post(f"{url}notes/", NOTE, format="json").status_code == 404
    assert api.get("/api/v1/cases/").json()["count"] == 0


def test_a_reassigned_worker_gets_the_case_back_on_their_next_request():
    cast = make_cast()
    api = token_client(cast.other_worker)
    url = f"/api/v1/cases/{cast.case.public_id}/"
    assert api.get(url).status_code == 404

    services.case_assign(actor=cast.coordinator, case=cast.case, worker=cast.other_worker)

    assert api.get(url).status_code == 200


def test_unassigning_writes_the_permission_change_event_and_audit_together():
    cast = make_cast()
    before = case_state(cast.case)

    services.case_unassign(actor=cast.coordinator, case=cast.case, worker=cast.worker)

    after = case_state(cast.case)
    assert after["assignees"] == []
    assert after["events"] == before["events"] + 1
    assert after["audit"] == before["audit"] + 1


# SECURITY 9: only coordinators assign; nobody assigns themselves.


def test_a_coordinator_cannot_assign_a_case_to_themselves_through_the_service():
    cast = make_cast()
    before = case_state(cast.case)

    with pytest.raises(DomainError, match="themselves"):
        services.case_assign(actor=cast.coordinator, case=cast.case, worker=cast.coordinator)

    assert case_state(cast.case) == before


def test_a_coordinator_cannot_assign_a_case_to_themselves_through_the_api_or_the_page():
    cast = make_cast()
    before = case_state(cast.case)

    api = token_client(cast.coordinator).post(
        f"/api/v1/cases/{cast.case.public_id}/assignments/",
        {"worker": cast.coordinator.username},
        format="json",
    )
    page = web_client(cast.coordinator).post(
        reverse("support:case_assign", args=[cast.case.public_id]),
        {"worker": cast.coordinator.username},
    )

    assert api.status_code == 400
    assert "worker" in api.json()
    assert page.status_code == 302
    assert len(_shown_errors(page)) == 1
    assert case_state(cast.case) == before


def test_a_worker_cannot_assign_anyone_least_of_all_themselves():
    cast = make_cast()
    assigned, unassigned = token_client(cast.worker), token_client(cast.other_worker)
    other_case = make_case(coordinator=cast.coordinator, workers=(cast.worker,))
    before = [case_state(cast.case), case_state(other_case)]

    by_assigned = assigned.post(
        f"/api/v1/cases/{cast.case.public_id}/assignments/",
        {"worker": cast.other_worker.username},
        format="json",
    )
    by_unassigned = unassigned.post(
        f"/api/v1/cases/{cast.case.public_id}/assignments/",
        {"worker": cast.other_worker.username},
        format="json",
    )
    page = web_client(cast.other_worker).post(
        reverse("support:case_assign", args=[cast.case.public_id]),
        {"worker": cast.other_worker.username},
    )

    assert by_assigned.status_code == 400
    assert ONLY_COORDINATORS in by_assigned.content.decode()
    assert by_unassigned.status_code == 404
    assert page.status_code == 404
    with pytest.raises(DomainError, match=ONLY_COORDINATORS):
        services.case_assign(actor=cast.other_worker, case=cast.case, worker=cast.other_worker)
    assert [case_state(cast.case), case_state(other_case)] == before


def test_only_active_support_workers_can_be_assigned():
    cast = make_cast()
    cast.other_worker.is_active = False
    cast.other_worker.save()
    before = case_state(cast.case)

    for person in (cast.other_worker, cast.analyst, cast.administrator, cast.superuser):
        with pytest.raises(DomainError, match="active support workers"):
            services.case_assign(actor=cast.coordinator, case=cast.case, worker=person)

    assert case_state(cast.case) == before


# SECURITY 8: a superuser (or an administrator) without a case role reads no case content.


def _superusers_and_administrators():
    return {
        "superuser administrator": superuser_user(),
        "superuser reporter": superuser_user(role=Role.REPORTER),
        "administrator": administrator_user(),
    }


def test_a_superuser_or_administrator_without_a_case_role_sees_no_case_anywhere():
    cases = [make_case(), make_case(status=CaseStatus.IN_PROGRESS)]
    evidence = add_evidence(cases[0].report)
    for label, person in _superusers_and_administrators().items():
        api, page = token_client(person), web_client(person)
        assert case_visible(actor=person).count() == 0, label
        assert api.get("/api/v1/cases/").status_code == 403, label
        assert page.get(reverse("support:all_cases")).status_code == 403, label
        for case in cases:
            for tail in ("", "notes/", "messages/", "audit/"):
                response = api.get(f"/api/v1/cases/{case.public_id}/{tail}")
                assert response.status_code == 404, (label, tail)
            assert page.get(case.get_absolute_url()).status_code == 404, label
        download = reverse("support:case_evidence", args=[cases[0].public_id, evidence])
        assert page.get(download).status_code == 404, label


def test_guardians_superuser_shortcut_does_not_open_a_case():
    """guardian's checker says yes to every superuser; the case selectors never ask it."""
    case = make_case()
    root = superuser_user(role=Role.SUPPORT_WORKER)  # even with the worker role, not assigned

    assert ObjectPermissionChecker(root).has_perm("work_case", case) is True
    assert root.has_perm("support.work_case", case) is True
    assert case_visible(actor=root).count() == 0
    assert token_client(root).get(f"/api/v1/cases/{case.public_id}/").status_code == 404
    assert web_client(root).get(case.get_absolute_url()).status_code == 404
    assert root not in assignees(Case.objects.get(pk=case.pk))
