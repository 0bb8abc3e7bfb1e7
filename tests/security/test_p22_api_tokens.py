"""SECURITY.md 22: API tokens obey the session policy: lifetime within the absolute session limit,
the same idle timeout, revocable by the person (one, or all with "sign out everywhere"), listed
without secrets.

Time passes by moving a token's own clock back: `expiry` (its idle deadline) and `created`."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.models import AuditEvent, Role, UserSession
from tests.factories import PASSWORD, UserFactory, make_anonymous_report, totp_code
from tests.security.support import API

pytestmark = pytest.mark.django_db

LOGIN = f"{API}/auth/login/"
LOGOUT = f"{API}/auth/logout/"
LOGOUT_ALL = f"{API}/auth/logout-all/"
SIGN_INS = f"{API}/auth/sessions/"
STAFF_API = f"{API}/cases/"
REPORTER_API = f"{API}/reports/"
SECURITY_PAGE = reverse("core:account_security")
EVERYWHERE = reverse("core:sign_out_everywhere")
MINUTE = 60


def signed_in(user) -> tuple[APIClient, str]:
    """An API client holding a token from POST auth/login/ (staff give their code)."""
    body = {"username": user.username, "password": PASSWORD}
    if user.role != Role.REPORTER:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        body["otp_token"] = totp_code(device)
    response = APIClient().post(LOGIN, body, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client, token


def row(token: str) -> AuthToken:
    return AuthToken.objects.get(digest=hash_token(token))


def idle_for(token: str, seconds: int) -> None:
    """As if the token had last been used `seconds` earlier than it was."""
    shift = timedelta(seconds=seconds)
    AuthToken.objects.filter(digest=hash_token(token)).update(
        expiry=F("expiry") - shift, created=F("created") - shift
    )


def made_ago(token: str, seconds: int) -> None:
    """As if the token had been made `seconds` earlier, and used a moment ago."""
    AuthToken.objects.filter(digest=hash_token(token)).update(
        created=F("created") - timedelta(seconds=seconds)
    )


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(SECURITY_PAGE).status_code == 200
    return client


def alive(client: Client) -> bool:
    return client.get(SECURITY_PAGE).status_code == 200


@pytest.fixture
def worker(db):
    return UserFactory(username="wes", role=Role.SUPPORT_WORKER)


def test_tokens_last_no_longer_than_sessions_and_start_at_the_role_s_idle_limit(worker, reporter):
    assert settings.REST_KNOX["TOKEN_TTL"] <= timedelta(
        seconds=settings.RECOURSE_SESSION_MAX_SECONDS
    )
    for user, idle in ((worker, settings.RECOURSE_STAFF_IDLE_SECONDS), (reporter, None)):
        idle = idle or settings.RECOURSE_IDLE_SECONDS
        _, token = signed_in(user)
        assert row(token).expiry <= timezone.now() + timedelta(seconds=idle)


def test_a_staff_token_unused_for_more_than_30_minutes_stops_working(worker):
    client, token = signed_in(worker)
    assert client.get(STAFF_API).status_code == 200
    idle_for(token, 30 * MINUTE + 1)

    assert client.get(STAFF_API).status_code == 401
    assert not AuthToken.objects.filter(user=worker).exists()


def test_a_staff_token_in_use_keeps_working_as_each_use_puts_off_its_deadline(worker):
    client, token = signed_in(worker)
    idle_for(token, 29 * MINUTE)
    assert client.get(STAFF_API).status_code == 200
    idle_for(token, 29 * MINUTE)  # the use above restarted the idle clock

    assert client.get(STAFF_API).status_code == 200


def test_a_reporter_token_follows_the_reporters_longer_idle_limit(reporter):
    client, token = signed_in(reporter)
    idle_for(token, 31 * MINUTE)
    assert client.get(REPORTER_API).status_code == 200
    idle_for(token, settings.RECOURSE_IDLE_SECONDS + 1)

    assert client.get(REPORTER_API).status_code == 401


def test_a_token_made_with_a_long_expiry_gets_the_idle_limit_on_its_first_use(worker):
    _, token = AuthToken.objects.create(user=worker, expiry=timedelta(days=30))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(STAFF_API).status_code == 200
    assert row(token).expiry <= timezone.now() + timedelta(minutes=30)
    idle_for(token, 30 * MINUTE + 1)

    assert client.get(STAFF_API).status_code == 401


def test_a_token_in_constant_use_ends_at_the_sessions_absolute_limit(worker):
    client, token = signed_in(worker)
    made_ago(token, settings.RECOURSE_SESSION_MAX_SECONDS - MINUTE)
    assert client.get(STAFF_API).status_code == 200
    made_ago(token, MINUTE + 1)

    assert client.get(STAFF_API).status_code == 401
    assert not AuthToken.objects.filter(user=worker).exists()


def test_a_receipt_token_still_ends_an_hour_after_it_was_given(api_client):
    _report, receipt = make_anonymous_report()
    response = api_client.post(f"{API}/anonymous/login/", {"receipt": receipt}, format="json")
    token = response.json()["token"]
    assert row(token).expiry <= timezone.now() + timedelta(hours=1)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    made_ago(token, 59 * MINUTE)
    assert api_client.get(REPORTER_API).status_code == 200
    made_ago(token, MINUTE + 1)

    assert api_client.get(REPORTER_API).status_code == 401


def test_signing_out_ends_the_token_used_and_no_other(reporter):
    client, _ = signed_in(reporter)
    other, _ = signed_in(reporter)

    assert client.post(LOGOUT).status_code == 204

    assert client.get(REPORTER_API).status_code == 401
    assert client.post(LOGOUT).status_code == 401
    assert other.get(REPORTER_API).status_code == 200


def test_signing_out_everywhere_ends_every_session_and_token_of_the_account_only(worker):
    client, _ = signed_in(worker)
    second, _ = signed_in(worker)
    browsers = [browser(worker), browser(worker)]
    someone = UserFactory(role=Role.SUPPORT_WORKER)
    their_token, _ = signed_in(someone)
    their_browser = browser(someone)

    assert client.post(LOGOUT_ALL).status_code == 204

    assert client.get(STAFF_API).status_code == 401
    assert second.get(STAFF_API).status_code == 401
    assert not any(alive(b) for b in browsers)
    assert not AuthToken.objects.filter(user=worker).exists()
    assert not UserSession.objects.filter(user=worker).exists()
    assert their_token.get(STAFF_API).status_code == 200
    assert alive(their_browser)
    assert AuditEvent.objects.filter(
        action="account.signed_out_everywhere", object_id=str(worker.public_id)
    ).exists()


def test_the_sign_out_everywhere_button_ends_this_browser_the_others_and_every_token(reporter):
    here, there = browser(reporter), browser(reporter)
    client, _ = signed_in(reporter)
    someone = browser(UserFactory())

    response = here.post(EVERYWHERE)

    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")
    assert not alive(here)
    assert not alive(there)
    assert client.get(REPORTER_API).status_code == 401
    assert alive(someone)


def test_signing_out_everywhere_through_the_api_from_a_browser_needs_the_csrf_token(reporter):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reporter)
    api, _ = signed_in(reporter)

    assert client.post(LOGOUT_ALL).status_code == 403

    assert api.get(REPORTER_API).status_code == 200
    assert UserSession.objects.filter(user=reporter).exists()


def test_signing_out_everywhere_through_the_api_with_a_session_ends_that_session_too(reporter):
    client = browser(reporter)

    assert client.post(LOGOUT_ALL).status_code == 204

    assert not alive(client)
    assert not UserSession.objects.filter(user=reporter).exists()


def secrets_of(user, tokens: list[str]) -> list[str]:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    stored = AuthToken.objects.filter(user=user)
    return tokens + keys + [t.token_key for t in stored] + [t.digest for t in stored]


def test_the_security_page_lists_each_session_and_token_with_no_secret(reporter):
    here = browser(reporter)
    browser(reporter)
    _, token = signed_in(reporter)

    page = here.get(SECURITY_PAGE).content.decode()

    assert page.count("(this one)") == 1
    assert page.count(">Browser") == 2
    assert page.count(">API token") == 1
    assert page.count("/end/") == 3
    for secret in secrets_of(reporter, [token]):
        assert secret not in page


def test_the_api_lists_the_same_sign_ins_with_no_secret(reporter):
    here = browser(reporter)
    client, token = signed_in(reporter)

    response = client.get(SIGN_INS)

    assert response.status_code == 200
    found = response.json()
    assert sorted(s["kind"] for s in found) == ["api", "browser"]
    assert [s["kind"] for s in found if s["current"]] == ["api"]
    assert set(found[0]) == {"id", "kind", "created", "last_used", "ends", "current"}
    for secret in secrets_of(reporter, [token]):
        assert secret not in response.content.decode()
    session = UserSession.objects.get(user=reporter)
    assert str(session.public_id) in {s["id"] for s in found}
    assert str(session.public_id) in here.get(SECURITY_PAGE).content.decode()


def test_a_token_s_last_use_is_shown_to_the_minute(worker):
    _, token = signed_in(worker)
    idle_for(token, 10 * MINUTE)

    listed = browser(worker).get(SIGN_INS).json()  # not with the token: that would use it

    shown = next(s["last_used"] for s in listed if s["kind"] == "api")
    last_used = timezone.datetime.fromisoformat(shown)
    assert abs((timezone.now() - timedelta(minutes=10)) - last_used) < timedelta(minutes=1)


def test_a_person_ends_one_of_their_tokens_from_the_page(reporter):
    page = browser(reporter)
    client, _ = signed_in(reporter)
    other, _ = signed_in(reporter)
    target = next(s for s in other.get(SIGN_INS).json() if s["current"])

    response = page.post(reverse("core:sign_in_end", args=[target["id"]]))

    assert response.status_code == 302
    assert other.get(REPORTER_API).status_code == 401
    assert client.get(REPORTER_API).status_code == 200
    assert alive(page)
    assert AuditEvent.objects.filter(action="account.sign_in_ended").exists()


def test_a_person_ends_one_of_their_tokens_or_sessions_through_the_api(reporter):
    client, _ = signed_in(reporter)
    other, _ = signed_in(reporter)
    elsewhere = browser(reporter)
    listed = client.get(SIGN_INS).json()
    theirs = next(s for s in other.get(SIGN_INS).json() if s["current"])
    session = next(s for s in listed if s["kind"] == "browser")

    assert client.delete(f"{SIGN_INS}{theirs['id']}/").status_code == 204
    assert client.delete(f"{SIGN_INS}{session['id']}/").status_code == 204

    assert other.get(REPORTER_API).status_code == 401
    assert not alive(elsewhere)
    assert client.get(REPORTER_API).status_code == 200


def test_ending_the_token_used_through_the_api_signs_it_out(reporter):
    client, _ = signed_in(reporter)
    mine = next(s for s in client.get(SIGN_INS).json() if s["current"])

    assert client.delete(f"{SIGN_INS}{mine['id']}/").status_code == 204

    assert client.get(REPORTER_API).status_code == 401


def test_another_account_s_session_or_token_cannot_be_ended_by_its_public_id(reporter, outsider):
    their_api, _ = signed_in(outsider)
    their_browser = browser(outsider)
    ids = [s["id"] for s in their_api.get(SIGN_INS).json()]
    assert len(ids) == 2
    mine, _ = signed_in(reporter)
    page = browser(reporter)

    for public_id in ids:
        assert mine.delete(f"{SIGN_INS}{public_id}/").status_code == 404
        assert page.post(reverse("core:sign_in_end", args=[public_id])).status_code == 404

    assert their_api.get(REPORTER_API).status_code == 200
    assert alive(their_browser)


def test_a_signed_out_visitor_reaches_none_of_it(reporter):
    _, token = signed_in(reporter)
    session = browser(reporter)
    public_id = UserSession.objects.get(user=reporter).public_id
    api, visitor = APIClient(), Client()

    assert api.get(SIGN_INS).status_code == 401
    assert api.delete(f"{SIGN_INS}{public_id}/").status_code == 401
    assert api.post(LOGOUT).status_code == 401
    assert api.post(LOGOUT_ALL).status_code == 401
    login = reverse("core:login")
    assert visitor.get(SECURITY_PAGE)["Location"].startswith(login)
    assert visitor.post(EVERYWHERE)["Location"].startswith(login)
    end = reverse("core:sign_in_end", args=[public_id])
    assert visitor.post(end)["Location"].startswith(login)

    assert alive(session)
    assert row(token)


@pytest.mark.without_second_factor
def test_staff_who_have_not_given_their_code_reach_none_of_it(worker):
    TOTPDevice.objects.create(user=worker, name="authenticator", confirmed=True)
    client = Client()
    client.post(reverse("core:login"), {"username": worker.username, "password": PASSWORD})
    public_id = UserSession.objects.get(user=worker).public_id

    assert client.get(SECURITY_PAGE)["Location"].startswith(reverse("core:second_factor_verify"))
    assert client.get(SIGN_INS).status_code == 403
    assert client.post(LOGOUT_ALL).status_code == 403
    assert client.delete(f"{SIGN_INS}{public_id}/").status_code == 403
    assert client.post(EVERYWHERE).status_code == 302
    assert UserSession.objects.filter(user=worker).exists()


def test_ending_and_signing_out_everywhere_are_post_only(reporter):
    client = browser(reporter)
    public_id = UserSession.objects.get(user=reporter).public_id

    assert client.get(EVERYWHERE).status_code == 405
    assert client.get(reverse("core:sign_in_end", args=[public_id])).status_code == 405
    assert alive(client)


def test_past_the_token_limit_signing_in_is_refused_clearly_and_dead_tokens_do_not_count(
    reporter, settings
):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    _, first = signed_in(reporter)
    signed_in(reporter)
    body = {"username": reporter.username, "password": PASSWORD}

    refused = APIClient().post(LOGIN, body, format="json")

    assert refused.status_code == 400
    assert "too many places" in str(refused.json())
    assert AuthToken.objects.filter(user=reporter).count() == 2
    idle_for(first, settings.RECOURSE_IDLE_SECONDS + 1)
    again = APIClient().post(LOGIN, body, format="json")
    assert again.status_code == 200, again.content
    assert AuthToken.objects.filter(user=reporter).count() == 2
