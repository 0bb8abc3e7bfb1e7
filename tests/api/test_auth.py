from datetime import datetime

import pytest
from django.utils import timezone
from knox.models import AuthToken

from tests.api.helpers import LOGIN, REPORTS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_reporter_logs_in_and_gets_an_expiring_token(api_client, reporter):
    response = api_client.post(
        LOGIN, {"username": reporter.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    assert body["token"]
    assert AuthToken.objects.filter(user=reporter).count() == 1


def test_a_login_token_expires_within_the_configured_lifetime(api_client, reporter, settings):
    before = timezone.now()

    body = api_client.post(
        LOGIN, {"username": reporter.username, "password": PASSWORD}, format="json"
    ).json()

    assert body["expiry"] is not None
    expiry = datetime.fromisoformat(body["expiry"])
    assert before < expiry <= timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    assert AuthToken.objects.get(user=reporter).expiry == expiry


def test_the_login_token_opens_the_reporters_endpoints(api_client, reporter):
    token = api_client.post(
        LOGIN, {"username": reporter.username, "password": PASSWORD}, format="json"
    ).json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert api_client.get(REPORTS).status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "riley", "password": "not the password"},
        {"username": "nobody-by-that-name", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-user"],
)
def test_wrong_credentials_get_no_token(api_client, reporter, credentials):
    response = api_client.post(LOGIN, credentials, format="json")

    assert response.status_code != 200
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_a_wrong_password_is_a_401_not_a_403(api_client, reporter):
    response = api_client.post(
        LOGIN, {"username": reporter.username, "password": "not it"}, format="json"
    )

    assert response.status_code in {400, 401}
    assert response.json()["detail"] == "The username or password is not right."


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "riley"}, {"password": PASSWORD}, {"username": ["riley"], "password": 1}],
    ids=["empty", "no-password", "no-username", "wrong-types"],
)
def test_incomplete_login_is_a_400_with_field_errors(api_client, reporter, body):
    response = api_client.post(LOGIN, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) <= {"username", "password"}
    assert not AuthToken.objects.exists()


def test_a_bogus_token_is_a_401(api_client, reporter):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert api_client.get(REPORTS).status_code == 401
