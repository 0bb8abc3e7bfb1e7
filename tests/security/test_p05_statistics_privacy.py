"""SECURITY, issue 5: the analyst reads statistics and nothing else. Every case, report and
evidence page and endpoint refuses an analyst exactly as it refuses a missing object (case
endpoints with the 404 of a case that does not exist; reporter pages and endpoints with their
role gate, before any lookup) and changes nothing; no statistics page or answer, and no row of
the extract, holds anything that leads back to a report."""

import uuid
from dataclasses import dataclass

import pytest
from django.urls import reverse

from insights.models import ExtractRecord
from insights.services import extract_refresh
from support import services
from support.models import Case, CaseNote, CaseStatus, Message
from tests.factories import UserFactory
from tests.insights.helpers import (
    consenting_report,
    distinctive_reports,
    identifiers,
    leads_back,
    snapshot,
)
from tests.security.support import canary, token_client
from tests.support.factories import (
    add_evidence,
    analyst_user,
    coordinator_user,
    make_case,
    web_client,
    worker_user,
)

pytestmark = pytest.mark.django_db

NOT_FOUND = 404
# A staff account has no report of its own: report pages and endpoints answer it as for a
# report that does not exist.
REPORTER_GATE = 404


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    args: tuple[str, ...]
    expected: int
    body: dict | None = None

    @property
    def api(self) -> bool:
        return self.name.startswith("api:")

    def call(self, client, ids: dict[str, str]):
        url = reverse(self.name, args=[ids[arg] for arg in self.args])
        send = getattr(client, self.method)
        if self.body is None:
            return send(url)
        return send(url, self.body, format="json") if self.api else send(url, self.body)


R, C, E = ("report",), ("case",), ("evidence",)
NOTE = {"body": "An analyst's note."}
ENDPOINTS = [
    # The reporter's pages.
    Endpoint("incidents:report_detail", "get", R, REPORTER_GATE),
    Endpoint("incidents:report_export", "get", R, REPORTER_GATE),
    Endpoint("incidents:incident_new", "get", R, REPORTER_GATE),
    Endpoint("incidents:evidence_new", "get", R, REPORTER_GATE),
    Endpoint("incidents:evidence_download", "get", R + E, REPORTER_GATE),
    Endpoint("incidents:report_message", "post", R, REPORTER_GATE, {"body": "Hello"}),
    Endpoint("incidents:report_withdraw_statistics", "post", R, REPORTER_GATE, {}),
    Endpoint("incidents:report_erase", "post", R, REPORTER_GATE, {"confirm": "on"}),
    # The staff's case pages.
    Endpoint("support:case_detail", "get", C, NOT_FOUND),
    Endpoint("support:case_evidence", "get", C + E, NOT_FOUND),
    Endpoint("support:case_note", "post", C, NOT_FOUND, NOTE),
    Endpoint("support:case_message", "post", C, NOT_FOUND, NOTE),
    Endpoint(
        "support:case_transition", "post", C, NOT_FOUND, {"status": "in_progress", "reason": ""}
    ),
    # The API: the reporter's endpoints, then the cases'.
    Endpoint("api:report", "get", R, REPORTER_GATE),
    Endpoint("api:evidence", "get", R + E, REPORTER_GATE),
    Endpoint("api:report_statistics_consent", "delete", R, REPORTER_GATE),
    Endpoint("api:report_messages", "get", R, NOT_FOUND),
    Endpoint("api:report_messages", "post", R, NOT_FOUND, {"body": "Hello"}),
    Endpoint("api:case", "get", C, NOT_FOUND),
    Endpoint("api:case_notes", "get", C, NOT_FOUND),
    Endpoint("api:case_notes", "post", C, NOT_FOUND, NOTE),
    Endpoint("api:case_messages", "get", C, NOT_FOUND),
    Endpoint("api:case_audit", "get", C, NOT_FOUND),
    Endpoint("api:case_matches", "get", C, NOT_FOUND),
    Endpoint("api:case_transitions", "post", C, NOT_FOUND, {"status": "in_progress"}),
]


@dataclass
class Scene:
    analyst: object
    case: Case
    evidence: str
    secrets: list[str]

    @property
    def report(self):
        return self.case.report

    def ids(self) -> dict[str, str]:
        return {
            "report": str(self.report.public_id),
            "case": str(self.case.public_id),
            "evidence": self.evidence,
        }

    @staticmethod
    def missing_ids() -> dict[str, str]:
        return {key: str(uuid.uuid4()) for key in ("report", "case", "evidence")}

    def state(self) -> dict:
        case = Case.objects.select_related("report").get(pk=self.case.pk)
        return {
            "case": (case.status, case.severity, case.first_response_at),
            "consent": case.report.consent_statistics,
            "notes": CaseNote.objects.count(),
            "messages": Message.objects.count(),
            "evidence": case.report.evidence.count(),
            "extract": snapshot(),
        }


@pytest.fixture
def scene() -> Scene:
    coordinator = coordinator_user(username="cora")
    worker = worker_user(username="wren")
    narrative, contact = canary("narrative"), canary("contact")
    case = make_case(
        UserFactory(username="riley"),
        coordinator=coordinator,
        workers=(worker,),
        status=CaseStatus.TRIAGED,
        narrative=narrative,
        contact_details=contact,
        consent_statistics=True,
    )
    note = canary("note")
    services.note_add(actor=worker, case=case, body=note)
    evidence = add_evidence(case.report)
    consenting_report()  # an extract with something in it
    extract_refresh(report_pk=case.report.pk)
    return Scene(analyst_user(username="ana"), case, evidence, [narrative, contact, note])


def _client(scene: Scene, endpoint: Endpoint):
    return token_client(scene.analyst) if endpoint.api else web_client(scene.analyst)


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method.upper()} {e.name}")
def test_an_analyst_is_refused_every_case_report_and_evidence_endpoint_as_if_it_did_not_exist(
    scene, endpoint
):
    before = scene.state()

    real = endpoint.call(_client(scene, endpoint), scene.ids())
    missing = endpoint.call(_client(scene, endpoint), scene.missing_ids())

    assert real.status_code == endpoint.expected
    assert missing.status_code == real.status_code
    body = _text(real)
    for secret in [*scene.secrets, scene.evidence]:
        assert secret not in body
    if endpoint.api:
        assert real.json() == missing.json()
    else:
        assert [t.name for t in real.templates] == [t.name for t in missing.templates]
    assert scene.state() == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/",
        reverse("support:my_cases"),
        reverse("support:all_cases"),
        reverse("support:intake"),
        reverse("support:alerts"),
        reverse("support:home"),
    ],
)
def test_an_analysts_case_lists_are_forbidden(scene, url):
    client = token_client(scene.analyst) if url.startswith("/api/") else web_client(scene.analyst)

    response = client.get(url)

    assert response.status_code == 403
    assert str(scene.case.public_id) not in _text(response)


def test_an_analyst_sees_no_report_in_the_reporters_own_lists(scene):
    web = web_client(scene.analyst).get(reverse("incidents:report_list"))
    api = token_client(scene.analyst).get("/api/v1/reports/")

    assert (web.status_code, api.status_code) == (403, 403)  # the lists are for reporters
    assert str(scene.report.public_id) not in _text(web) + _text(api)


def test_no_extract_row_matches_any_id_of_a_report_its_reporter_or_its_case():
    reports = distinctive_reports()
    assert ExtractRecord.objects.count() == len(reports)

    assert leads_back(reports) == []


def test_nothing_the_analyst_is_shown_holds_an_id_of_a_report(settings):
    reports = distinctive_reports()
    analyst = analyst_user(username="ana")
    month = ExtractRecord.objects.first().month
    period = {"start": month, "end": month}
    web, api = web_client(analyst), token_client(analyst)

    answers = [
        web.get(reverse("insights:dashboard"), period),
        web.get(reverse("insights:explorer"), {**period, "first": "region", "second": "role"}),
        web.get(reverse("insights:export_csv"), {**period, "first": "abuse_type"}),
        api.get("/api/v1/insights/counts/", {"dimensions": "region", "from": month, "to": month}),
    ]

    assert [response.status_code for response in answers] == [200, 200, 200, 200]
    text = "".join(_text(response) for response in answers)
    for report in reports:
        for label, value in identifiers(report).items():
            assert value.lower() not in text.lower(), label
