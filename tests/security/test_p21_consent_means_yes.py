"""SECURITY.md 21, consents: a consent flag in the API is yes only when it is JSON `true`. DRF's
BooleanField also reads 1, "yes", "on" and "true" as true, so a fuzzer filed reports consenting
with `"consent_matching": 0`-like values; now each is a 400 naming the field, and nothing is
stored. And the anonymous filing endpoint sees who calls: a staff account is refused with a
clear 403, signed in by token or by session, while a signed-out visitor (no CSRF token needed)
and a reporter account (filing anonymously, unlinked from their account) get a receipt."""

import pytest
from rest_framework.test import APIClient

from core.models import AuditEvent, Role, User
from incidents.models import Report
from tests.factories import UserFactory
from tests.security.support import API, report_payload, token_client

pytestmark = pytest.mark.django_db

ANONYMOUS = f"{API}/anonymous/reports/"
FILING = f"{API}/reports/"
CONSENTS = ["consent_statistics", "consent_matching"]
NOT_A_BOOLEAN = [0, 1, "yes", "on", "true", None, []]
STAFF = [Role.SUPPORT_WORKER, Role.COORDINATOR, Role.ANALYST, Role.ADMINISTRATOR]


def _stored() -> tuple[int, int, int]:
    return User.objects.count(), Report.objects.count(), AuditEvent.objects.count()


def _reporter_client() -> APIClient:
    return token_client(UserFactory(role=Role.REPORTER))


@pytest.mark.parametrize("value", NOT_A_BOOLEAN, ids=repr)
@pytest.mark.parametrize("field", CONSENTS)
@pytest.mark.parametrize("endpoint", [ANONYMOUS, FILING])
def test_a_consent_that_is_not_a_json_boolean_is_a_400_naming_the_field(endpoint, field, value):
    client = APIClient() if endpoint == ANONYMOUS else _reporter_client()
    before = _stored()

    response = client.post(endpoint, report_payload(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert _stored() == before


@pytest.mark.parametrize(("statistics", "matching"), [(True, False), (False, True)])
@pytest.mark.parametrize("endpoint", [ANONYMOUS, FILING])
def test_true_and_false_are_stored_as_given(endpoint, statistics, matching):
    client = APIClient() if endpoint == ANONYMOUS else _reporter_client()
    payload = report_payload(consent_statistics=statistics, consent_matching=matching)

    response = client.post(endpoint, payload, format="json")

    assert response.status_code == 201, response.content
    report = Report.objects.get(public_id=response.json()["id"])
    assert (report.consent_statistics, report.consent_matching) == (statistics, matching)


def test_a_consent_left_out_is_no():
    response = APIClient().post(ANONYMOUS, report_payload(), format="json")

    assert response.status_code == 201
    report = Report.objects.get(public_id=response.json()["id"])
    assert (report.consent_statistics, report.consent_matching) == (False, False)


def test_the_schema_still_calls_each_consent_a_boolean():
    schema = APIClient().get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["ReportInputRequest"]["properties"]

    assert [fields[name]["type"] for name in CONSENTS] == ["boolean", "boolean"]


# The anonymous endpoint and who calls it.


def _refused_as_staff(response) -> bool:
    return response.status_code == 403 and "Staff accounts cannot file" in response.json()["detail"]


@pytest.mark.parametrize("role", STAFF)
def test_a_staff_account_signed_in_by_token_cannot_file_anonymously(role):
    client = token_client(UserFactory(role=role))
    before = _stored()

    response = client.post(ANONYMOUS, report_payload(), format="json")

    assert _refused_as_staff(response), response.content
    assert "receipt" not in response.json()
    assert _stored() == before


@pytest.mark.parametrize("role", STAFF)
def test_a_staff_account_signed_in_by_session_cannot_file_anonymously(role):
    client = APIClient()
    client.force_login(UserFactory(role=role))
    before = _stored()

    response = client.post(ANONYMOUS, report_payload(), format="json")

    assert _refused_as_staff(response), response.content
    assert _stored() == before


def test_a_staff_session_without_the_csrf_token_is_refused_too():
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    before = _stored()

    response = client.post(ANONYMOUS, report_payload(), format="json")

    assert response.status_code == 403
    assert _stored() == before


def test_a_signed_out_visitor_still_gets_a_receipt_without_any_csrf_token():
    response = APIClient(enforce_csrf_checks=True).post(ANONYMOUS, report_payload(), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["receipt"]


def test_an_invalid_token_is_a_401_not_a_receipt():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.post(ANONYMOUS, report_payload(), format="json")

    assert response.status_code == 401
    assert not Report.objects.exists()


def test_a_reporter_account_files_anonymously_and_the_report_is_not_linked_to_it():
    """A reporter may choose to file without their name: the report gets a receipt account of its
    own, and their account neither holds it nor can open it."""
    reporter = UserFactory(role=Role.REPORTER)
    client = token_client(reporter)

    response = client.post(ANONYMOUS, report_payload(), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["receipt"]
    report = Report.objects.get(public_id=response.json()["id"])
    assert report.reporter != reporter
    assert report.reporter.is_receipt_account
    assert not reporter.reports.exists()
    assert client.get(f"{FILING}{report.public_id}/").status_code == 404
