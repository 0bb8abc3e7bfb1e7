"""SECURITY 6, the reporter's half: every reporter page and API endpoint of a report answers another
reporter, or the holder of another report's receipt, with the same 404 as a report that does not
exist, and changes nothing."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, KeyWrap
from incidents import selectors, services
from incidents.models import Report
from tests.factories import UserFactory, make_anonymous_report, make_report
from tests.security.support import (
    API,
    incident_payload,
    receipt_client,
    receipt_web_client,
    token_client,
)

pytestmark = pytest.mark.django_db


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "scan.pdf", b"%PDF-1.4\nsome evidence\n", content_type="application/pdf"
    )


def _web(name: str, with_evidence: bool = False) -> Callable[[str, str], str]:
    def url(report_id: str, evidence_id: str) -> str:
        args = [report_id, evidence_id] if with_evidence else [report_id]
        return reverse(f"incidents:{name}", args=args)

    return url


def _api(tail: str = "") -> Callable[[str, str], str]:
    def url(report_id: str, evidence_id: str) -> str:
        return f"{API}/reports/{report_id}/" + tail.format(evidence=evidence_id)

    return url


@dataclass(frozen=True)
class Endpoint:
    label: str
    api: bool
    method: str
    url: Callable[[str, str], str]
    body: Callable[[], dict] | None = None
    format: str | None = None
    owner_gets: frozenset[int] = frozenset({200})

    def call(self, client, report_id: str, evidence_id: str):
        url = self.url(report_id, evidence_id)
        kwargs = {"format": self.format} if self.format else {}
        if self.body is None:
            return getattr(client, self.method)(url)
        return getattr(client, self.method)(url, self.body(), **kwargs)


REDIRECT = frozenset({302})
ENDPOINTS = [
    Endpoint("page report_detail GET", False, "get", _web("report_detail")),
    Endpoint("page report_export GET", False, "get", _web("report_export")),
    Endpoint("page incident_new GET", False, "get", _web("incident_new")),
    Endpoint(
        "page incident_new POST",
        False,
        "post",
        _web("incident_new"),
        lambda: {"narrative": "An added incident.", "channels": ["phone"]},
        owner_gets=REDIRECT,
    ),
    Endpoint("page evidence_new GET", False, "get", _web("evidence_new")),
    Endpoint(
        "page evidence_new POST",
        False,
        "post",
        _web("evidence_new"),
        lambda: {"file": _pdf(), "description": "added"},
        owner_gets=REDIRECT,
    ),
    Endpoint("page evidence_download GET", False, "get", _web("evidence_download", True)),
    Endpoint("page report_erase GET", False, "get", _web("report_erase")),
    Endpoint(
        "page report_erase POST",
        False,
        "post",
        _web("report_erase"),
        lambda: {"confirm": "on"},
        owner_gets=frozenset({200, 302}),  # a receipt holder sees a goodbye page
    ),
    Endpoint("api report GET", True, "get", _api()),
    Endpoint("api report DELETE", True, "delete", _api(), owner_gets=frozenset({204})),
    Endpoint(
        "api incidents POST",
        True,
        "post",
        _api("incidents/"),
        incident_payload,
        "json",
        frozenset({201}),
    ),
    Endpoint(
        "api evidence POST",
        True,
        "post",
        _api("evidence/"),
        lambda: {"file": _pdf(), "description": "added"},
        "multipart",
        frozenset({201}),
    ),
    Endpoint("api evidence GET", True, "get", _api("evidence/{evidence}/")),
]
ENDPOINT_IDS = [endpoint.label for endpoint in ENDPOINTS]


@dataclass
class Party:
    """Someone with a report, and the two ways they are signed in: a browser and an API client."""

    report: Report
    evidence_id: str
    web: Client
    api: Client

    def client_for(self, endpoint: Endpoint) -> Client:
        return self.api if endpoint.api else self.web


def _with_evidence(report: Report, user) -> str:
    evidence = services.evidence_add(actor=user, report=report, upload=_pdf(), description="x")
    return str(evidence.public_id)


def _signed_in_party() -> Party:
    user = UserFactory()
    report = make_report(user)
    web = Client()
    web.force_login(user)
    return Party(report, _with_evidence(report, user), web, token_client(user))


def _receipt_party() -> Party:
    report, receipt = make_anonymous_report()
    evidence_id = _with_evidence(report, report.reporter)
    return Party(report, evidence_id, receipt_web_client(receipt), receipt_client(receipt))


PARTIES = {"signed-in reporter": _signed_in_party, "receipt holder": _receipt_party}


def _state(report: Report) -> dict:
    report = Report.objects.get(pk=report.pk)
    view = selectors.report_open(report=report)  # the owner's content still opens
    media = Path(settings.MEDIA_ROOT)
    return {
        "updated_at": report.updated_at,
        "channels": report.channels,
        "incidents": [item.narrative for item in view.incidents],
        "evidence": [(item.public_id, item.sha256) for item in view.evidence],
        "keys": KeyWrap.objects.filter(owner_id=report.public_id).count(),
        "events": AuditEvent.objects.count(),
        "files": sorted(path for path in media.rglob("*") if path.is_file()),
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("owner_kind", PARTIES, ids=lambda kind: f"of {kind}")
@pytest.mark.parametrize("intruder_kind", PARTIES, ids=lambda kind: f"by {kind}")
def test_another_report_answers_exactly_like_a_missing_one_and_does_not_change(
    endpoint, owner_kind, intruder_kind
):
    owner = PARTIES[owner_kind]()
    intruder = PARTIES[intruder_kind]()
    client = intruder.client_for(endpoint)
    before = _state(owner.report)

    response = endpoint.call(client, str(owner.report.public_id), owner.evidence_id)
    missing = endpoint.call(client, str(uuid.uuid4()), str(uuid.uuid4()))

    assert response.status_code == 404
    assert missing.status_code == 404
    assert response.content == missing.content
    assert response["Content-Type"] == missing["Content-Type"]
    assert _state(owner.report) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("owner_kind", PARTIES, ids=lambda kind: f"by {kind}")
def test_the_owner_reaches_every_endpoint_in_the_table(endpoint, owner_kind):
    """The control: the same requests work for the report's owner, so the 404s above are the
    access rule at work, not a wrong URL or a bad request."""
    owner = PARTIES[owner_kind]()

    response = endpoint.call(
        owner.client_for(endpoint), str(owner.report.public_id), owner.evidence_id
    )

    assert response.status_code in endpoint.owner_gets, response.content[:300]
