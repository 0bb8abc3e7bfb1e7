"""Issue 4, acknowledgement: the moment a report is filed, the reporter is told we have it, what
happens next and how soon (by its severity), and to call 911 now when they said they may be in
danger; on the API response, the receipt page and the report page."""

import html

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from support.models import CaseStatus
from tests.factories import UserFactory, make_report
from tests.incidents.helpers import submit_wizard
from tests.security.support import report_payload, token_client
from tests.support.factories import walk_to, web_client

pytestmark = pytest.mark.django_db

# (facts, the first-response promise)
PROMISES = [
    ({"abuse_types": ["insults"], "risk_flags": ["imminent_danger"]}, "within 1 hour."),
    ({"abuse_types": ["threat_of_violence"]}, "within 4 hours."),
    ({"abuse_types": ["identity_hate"]}, "within 24 hours."),
    ({"abuse_types": ["insults"]}, "within 72 hours."),
]
DANGER = {"abuse_types": ["insults"], "risk_flags": ["imminent_danger"]}
URGENT = "You told us you may be in danger. If you are in danger now, call 911."


def _filed(payload: dict, *, anonymous: bool = False) -> dict:
    if anonymous:
        response = APIClient().post("/api/v1/anonymous/reports/", payload, format="json")
    else:
        response = token_client(UserFactory()).post("/api/v1/reports/", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("anonymous", [False, True], ids=["signed-in", "anonymous"])
@pytest.mark.parametrize(("facts", "promise"), PROMISES, ids=lambda v: str(v))
def test_the_api_acknowledges_with_the_response_time_of_the_reports_severity(
    facts, promise, anonymous
):
    ack = _filed(report_payload(**facts), anonymous=anonymous)["acknowledgement"]

    assert set(ack) == {"message", "next_steps", "call_911", "urgent"}
    assert ack["message"] == "Thank you. We have your report, and you are not alone in this."
    assert ack["next_steps"][0].endswith(promise)
    assert len(ack["next_steps"]) == 3


@pytest.mark.parametrize("anonymous", [False, True], ids=["signed-in", "anonymous"])
def test_the_api_tells_someone_in_danger_to_call_911(anonymous):
    body = _filed(report_payload(**DANGER), anonymous=anonymous)

    assert body["acknowledgement"]["call_911"] is True
    assert "911" in body["acknowledgement"]["urgent"]
    assert body["acknowledgement"]["urgent"] == URGENT
    if anonymous:
        assert body["receipt"]


@pytest.mark.parametrize(
    "flags", [[], ["location_known"], ["family_targeted", "escalating"]], ids=str
)
def test_only_imminent_danger_calls_for_911(flags):
    ack = _filed(report_payload(abuse_types=["threat_of_violence"], risk_flags=flags))[
        "acknowledgement"
    ]

    assert ack["call_911"] is False
    assert ack["urgent"] == ""
    assert "911" not in " ".join(ack["next_steps"])


def test_the_last_step_follows_whether_contact_details_were_given():
    with_contact = _filed(report_payload(contact_details="Text me after 6 pm"))
    without = _filed(report_payload(contact_details=""), anonymous=True)

    assert with_contact["acknowledgement"]["next_steps"][-1] == (
        "We will contact you the way you asked."
    )
    assert without["acknowledgement"]["next_steps"][-1].startswith("Replies appear on your report")


def test_the_acknowledgement_follows_a_changed_deadline_setting(settings):
    settings.RECOURSE_RESPONSE_HOURS = {**settings.RECOURSE_RESPONSE_HOURS, "high": 2}

    ack = _filed(report_payload(abuse_types=["stalking"]))["acknowledgement"]

    assert ack["next_steps"][0].endswith("within 2 hours.")


# The pages.


def _page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_receipt_page_says_what_happens_next(client):
    body = _page(submit_wizard(client, reverse("incidents:anonymous_new")))

    assert "What happens next" in body
    assert "someone will respond within 4 hours" in body
    assert URGENT not in body
    assert "If you are in danger now, call 911" not in body


def test_the_receipt_page_tells_someone_in_danger_to_call_911(client):
    body = _page(
        submit_wizard(client, reverse("incidents:anonymous_new"), risk_flags=["imminent_danger"])
    )

    assert "What happens next" in body
    assert URGENT in body
    assert "If you are in danger now, call 911" in body
    assert "within 1 hour." in body


def test_the_signed_in_report_page_says_what_happens_next(reporter, reporter_client):
    report = make_report(reporter)

    body = _page(reporter_client.get(report.get_absolute_url()))

    assert "What happens next" in body
    assert "within 4 hours." in body
    assert URGENT not in body


def test_the_signed_in_report_page_tells_someone_in_danger_to_call_911(reporter, reporter_client):
    report = make_report(reporter, **DANGER)

    body = _page(reporter_client.get(report.get_absolute_url()))

    assert URGENT in body
    assert "within 1 hour." in body


def test_the_wizard_lands_on_the_report_page_with_the_acknowledgement(reporter, reporter_client):
    response = submit_wizard(reporter_client, reverse("incidents:report_new"))
    assert response.status_code == 302

    body = _page(reporter_client.get(response["Location"]))

    assert "What happens next" in body


def test_once_work_has_started_the_report_page_no_longer_shows_the_acknowledgement(
    reporter, coordinator
):
    report = make_report(reporter)
    walk_to(report.case, CaseStatus.IN_PROGRESS, coordinator=coordinator)

    body = _page(web_client(reporter).get(report.get_absolute_url()))

    assert "What happens next" not in body
