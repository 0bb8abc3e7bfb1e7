import re
import uuid

import pytest
from knox.models import AuthToken

from core.models import User
from incidents.models import Report
from incidents.receipts import receipt_display
from tests.api.helpers import (
    ANONYMOUS_LOGIN,
    ANONYMOUS_REPORTS,
    REPORTS,
    evidence_url,
    incidents_url,
    report_body,
    report_url,
    stored_counts,
)
from tests.conftest import api_login
from tests.factories import make_anonymous_report, make_report

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r"^[0-9A-Z]{28}$")


def receipt_login(client, receipt: str):
    return client.post(ANONYMOUS_LOGIN, {"receipt": receipt}, format="json")


def test_anyone_files_an_anonymous_report_and_gets_a_receipt(api_client):
    response = api_client.post(ANONYMOUS_REPORTS, report_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "receipt", "acknowledgement"}
    assert RECEIPT.match(body["receipt"])
    report = Report.objects.get(public_id=uuid.UUID(body["id"]))
    assert report.reporter.is_receipt_account
    assert not report.reporter.has_usable_password()


def test_two_anonymous_reports_get_different_receipts_and_accounts(api_client):
    first = api_client.post(ANONYMOUS_REPORTS, report_body(), format="json").json()
    second = api_client.post(ANONYMOUS_REPORTS, report_body(), format="json").json()

    assert first["receipt"] != second["receipt"]
    assert Report.objects.values("reporter").distinct().count() == 2


def test_a_bad_anonymous_report_is_refused_and_creates_no_account(api_client):
    users = User.objects.count()

    response = api_client.post(ANONYMOUS_REPORTS, report_body(region="mars"), format="json")

    assert response.status_code == 400
    assert "region" in response.json()
    assert User.objects.count() == users
    assert stored_counts()["Report"] == 0


def test_a_future_dated_anonymous_report_is_refused_and_creates_no_account(api_client):
    users = User.objects.count()

    response = api_client.post(
        ANONYMOUS_REPORTS, report_body(occurred_on="9999-01-01"), format="json"
    )

    assert response.status_code == 400
    assert "occurred_on" in response.json()
    assert User.objects.count() == users
    assert stored_counts()["Report"] == 0


@pytest.mark.parametrize(
    "typed",
    [
        lambda receipt: receipt,
        lambda receipt: receipt.lower(),
        receipt_display,
        lambda receipt: receipt_display(receipt).lower(),
    ],
    ids=["plain", "lower-case", "with-dashes", "lower-case-with-dashes"],
)
def test_the_receipt_gets_a_token_that_opens_only_its_report(api_client, typed):
    report, receipt = make_anonymous_report(narrative="Only mine.")
    make_anonymous_report()

    response = receipt_login(api_client, typed(receipt))

    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry"}
    assert response.json()["expiry"] is not None
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert [item["id"] for item in api_client.get(REPORTS).json()] == [str(report.public_id)]
    detail = api_client.get(report_url(report.public_id))
    assert detail.json()["incidents"][0]["narrative"] == "Only mine."


def test_a_receipt_token_gets_404_for_another_report(api_client, outsider):
    _report, receipt = make_anonymous_report()
    other_anonymous, _ = make_anonymous_report()
    other = make_report(outsider)
    token = receipt_login(api_client, receipt).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    for target in [other, other_anonymous]:
        assert api_client.get(report_url(target.public_id)).status_code == 404
        assert api_client.delete(report_url(target.public_id)).status_code == 404
        response = api_client.post(
            incidents_url(target.public_id), {"narrative": "x"}, format="json"
        )
        assert response.status_code == 404
        assert api_client.post(evidence_url(target.public_id), {}).status_code == 404
    assert Report.objects.count() == 3


def test_a_receipt_account_cannot_file_another_report(api_client):
    _report, receipt = make_anonymous_report()
    token = receipt_login(api_client, receipt).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    before = stored_counts()

    response = api_client.post(REPORTS, report_body(), format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    assert stored_counts() == before


def test_a_receipt_account_can_add_an_incident_to_its_report(api_client):
    report, receipt = make_anonymous_report()
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Token {receipt_login(api_client, receipt).json()['token']}"
    )

    response = api_client.post(
        incidents_url(report.public_id), {"narrative": "Again today."}, format="json"
    )

    assert response.status_code == 201
    assert report.incidents.count() == 2


def test_erasing_an_anonymous_report_ends_its_receipt(
    api_client, django_capture_on_commit_callbacks
):
    report, receipt = make_anonymous_report()
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Token {receipt_login(api_client, receipt).json()['token']}"
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(report_url(report.public_id)).status_code == 204

    assert not Report.objects.exists()
    assert not User.objects.filter(is_receipt_account=True).exists()
    assert api_client.get(REPORTS).status_code == 401
    api_client.credentials()
    assert "token" not in receipt_login(api_client, receipt).json()


@pytest.mark.parametrize(
    "typed", ["0" * 28, "not a receipt", "", "A" * 64], ids=["unknown", "words", "blank", "long"]
)
def test_a_wrong_receipt_gets_no_token(api_client, typed):
    make_anonymous_report()

    response = receipt_login(api_client, typed)

    assert response.status_code != 200
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_a_receipt_with_one_wrong_character_gets_no_token(api_client):
    _report, receipt = make_anonymous_report()
    wrong = receipt[:-1] + ("1" if receipt.endswith("0") else "0")

    response = receipt_login(api_client, wrong)

    assert response.status_code != 200
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_a_wrong_receipt_is_a_401_like_any_failed_sign_in(api_client):
    make_anonymous_report()

    response = receipt_login(api_client, "0" * 28)

    assert response.status_code == 401
    assert response.json()["detail"] == "That receipt does not open a report."


def test_a_receipt_login_without_a_body_is_a_400(api_client):
    response = api_client.post(ANONYMOUS_LOGIN, {}, format="json")

    assert response.status_code == 400
    assert "receipt" in response.json()


def test_a_signed_in_reporter_can_still_file_anonymously_without_linking_it(api_client, reporter):
    api_login(api_client, reporter)

    response = api_client.post(ANONYMOUS_REPORTS, report_body(), format="json")

    assert response.status_code == 201
    assert not Report.objects.filter(reporter=reporter).exists()
