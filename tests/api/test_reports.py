import uuid
from datetime import timedelta

import pytest
from knox.models import AuthToken

from core.models import AuditEvent, KeyWrap, Role
from incidents.models import Incident, PerpetratorMark, Report
from tests.api.helpers import REPORTS, report_body, report_url, stored_counts
from tests.conftest import api_login
from tests.factories import UserFactory, make_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def reporter_api(api_client, reporter):
    return api_login(api_client, reporter)


def test_reporter_files_a_report_with_every_field(reporter_api, reporter):
    response = reporter_api.post(REPORTS, report_body(), format="json")

    assert response.status_code == 201
    assert set(response.json()) == {"id", "acknowledgement"}
    report = Report.objects.get(public_id=uuid.UUID(response.json()["id"]))
    assert report.reporter == reporter
    assert report.role == "candidate"
    assert report.region == "toronto"
    assert report.channels == ["x_twitter", "email"]
    assert report.abuse_types == ["threat_of_violence"]
    assert report.bias_grounds == ["race", "creed"]
    assert report.perpetrator_type == "anonymous_account"
    assert report.risk_flags == ["escalating"]
    assert report.needs == ["police", "digital_security"]
    assert report.preferred_language == "fr"
    assert report.consent_statistics is True
    assert report.consent_matching is True
    assert Incident.objects.filter(report=report).count() == 1
    assert PerpetratorMark.objects.filter(report=report).count() == 2
    assert AuditEvent.objects.filter(action="report.submit", object_id=str(report.public_id))


def test_a_report_with_only_the_required_fields_takes_the_defaults(reporter_api):
    body = {"role": "councillor", "region": "eastern", "narrative": "Threatening voicemail."}

    response = reporter_api.post(REPORTS, body, format="json")

    assert response.status_code == 201
    report = Report.objects.get()
    assert report.perpetrator_type == "unknown"
    assert report.preferred_language == "en"
    assert report.channels == []
    assert report.consent_statistics is False
    assert not PerpetratorMark.objects.exists()


def test_reporter_reads_their_report_decrypted(reporter_api):
    report_id = reporter_api.post(REPORTS, report_body(), format="json").json()["id"]

    response = reporter_api.get(report_url(report_id))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == report_id
    assert body["status"] == "received"
    assert body["municipality"] == "Toronto"
    assert body["contact_details"] == "Call the campaign office, ask for Sam."
    assert body["bias_grounds"] == ["race", "creed"]
    assert body["needs"] == ["police", "digital_security"]
    [incident] = body["incidents"]
    assert incident["narrative"] == report_body()["narrative"]
    assert incident["occurred_on"] == report_body()["occurred_on"]
    assert incident["perpetrator_identifiers"] == ["@burn_it_down", "https://x.com/burn_it_down"]
    assert body["evidence"] == []


def test_report_list_holds_only_the_reporters_own_reports(reporter_api, reporter, outsider):
    mine = {str(make_report(reporter).public_id) for _ in range(2)}
    make_report(outsider)

    response = reporter_api.get(REPORTS)

    assert response.status_code == 200
    assert {item["id"] for item in response.json()} == mine
    assert "narrative" not in response.json()[0]


def test_reporter_erases_their_report(reporter_api, reporter, django_capture_on_commit_callbacks):
    report = make_report(reporter)

    with django_capture_on_commit_callbacks(execute=True):
        response = reporter_api.delete(report_url(report.public_id))

    assert response.status_code == 204
    assert reporter_api.get(report_url(report.public_id)).status_code == 404
    assert reporter_api.delete(report_url(report.public_id)).status_code == 404
    assert not Report.objects.exists()
    assert not Incident.objects.exists()
    assert not KeyWrap.objects.filter(owner_id=report.public_id).exists()


def test_a_report_that_does_not_exist_is_a_404(reporter_api):
    assert reporter_api.get(report_url(uuid.uuid4())).status_code == 404
    assert reporter_api.delete(report_url(uuid.uuid4())).status_code == 404


@pytest.mark.parametrize("path", ["not-a-uuid", "1", "00000000-0000-0000-0000"])
def test_a_report_id_that_is_not_a_uuid_is_a_404(reporter_api, reporter, path):
    make_report(reporter)

    assert reporter_api.get(f"{REPORTS}{path}/").status_code == 404
    assert reporter_api.delete(f"{REPORTS}{path}/").status_code == 404
    assert Report.objects.count() == 1


# Outsiders


def test_another_reporter_gets_404_for_a_report(api_client, reporter, outsider):
    report = make_report(reporter)
    api_login(api_client, outsider)

    assert api_client.get(report_url(report.public_id)).status_code == 404


def test_another_reporter_cannot_erase_a_report(api_client, reporter, outsider):
    report = make_report(reporter)
    api_login(api_client, outsider)

    assert api_client.delete(report_url(report.public_id)).status_code == 404
    assert Report.objects.filter(pk=report.pk).exists()


def test_another_reporters_list_does_not_show_the_report(api_client, reporter, outsider):
    make_report(reporter)
    api_login(api_client, outsider)

    assert api_client.get(REPORTS).json() == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_token_is_a_401_on_the_report_list(api_client, reporter, method):
    make_report(reporter)

    response = getattr(api_client, method)(REPORTS, report_body(), format="json")

    assert response.status_code == 401
    assert Report.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "delete"])
def test_no_token_is_a_401_on_a_report(api_client, reporter, method):
    report = make_report(reporter)

    response = getattr(api_client, method)(report_url(report.public_id))

    assert response.status_code == 401
    assert Report.objects.filter(pk=report.pk).exists()


def test_an_expired_token_is_a_401(api_client, reporter):
    _, token = AuthToken.objects.create(user=reporter, expiry=timedelta(seconds=-1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert api_client.get(REPORTS).status_code == 401


def test_staff_token_is_refused_on_reports(api_client, reporter):
    report = make_report(reporter)
    api_login(api_client, UserFactory(role=Role.SUPPORT_WORKER))

    assert api_client.get(REPORTS).status_code == 403
    assert api_client.get(report_url(report.public_id)).status_code == 404
    assert api_client.post(REPORTS, report_body(), format="json").status_code == 403
    assert api_client.delete(report_url(report.public_id)).status_code == 404
    assert stored_counts()["Report"] == 1
