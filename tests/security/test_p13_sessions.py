"""SECURITY.md 13: sessions end after 30 idle minutes for staff (later for reporters) and after an
absolute lifetime however active they are; logging out and disabling an account end them on the
server; cookies are Secure in production, HttpOnly and SameSite=Strict.

Time passes by moving the session's own clock ("recourse.started" / "recourse.seen") back."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from core.middleware import SESSION_SEEN, SESSION_STARTED
from core.models import User, UserSession
from core.sessions import end_sessions
from tests.factories import PASSWORD, UserFactory
from tests.security.support import API, production_settings, token_client
from tests.support.factories import coordinator_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("core:login")
LOGOUT = reverse("core:logout")
STAFF_PAGE = reverse("support:intake")
REPORTER_PAGE = reverse("incidents:report_list")
STAFF_API = f"{API}/cases/"
REPORTER_API = f"{API}/reports/"
MINUTE = 60
SIGNED_OUT_MESSAGE = "You were signed out to keep your account safe."


def signed_in_as(user: User) -> Client:
    """A browser signed in as `user` (staff with their second factor) that has made a request."""
    client = Client()
    client.force_login(user)
    page = REPORTER_PAGE if user.is_reporter else STAFF_PAGE
    assert client.get(page).status_code == 200
    return client


def idle_for(client: Client, seconds: int) -> None:
    session = client.session
    session[SESSION_SEEN] -= seconds
    session.save()


def started_ago(client: Client, seconds: int) -> None:
    session = client.session
    session[SESSION_STARTED] -= seconds
    session[SESSION_SEEN] -= 10  # active a moment ago
    session.save()


def session_exists(key: str) -> bool:
    return UserSession.objects.filter(session_key=key).exists()


def to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(f"{LOGIN}?next=")


@pytest.fixture
def coordinator(db):
    return coordinator_user(username="cora")


def test_the_staff_idle_limit_is_30_minutes_and_reporters_have_a_longer_one():
    assert settings.RECOURSE_STAFF_IDLE_SECONDS == 30 * MINUTE
    assert settings.RECOURSE_IDLE_SECONDS > settings.RECOURSE_STAFF_IDLE_SECONDS
    assert settings.RECOURSE_SESSION_MAX_SECONDS >= settings.RECOURSE_IDLE_SECONDS
    assert settings.SESSION_COOKIE_AGE <= settings.RECOURSE_SESSION_MAX_SECONDS


def test_staff_idle_for_more_than_30_minutes_are_signed_out_on_their_next_page(coordinator):
    client = signed_in_as(coordinator)
    key = client.session.session_key
    idle_for(client, 30 * MINUTE + 1)

    response = client.get(STAFF_PAGE)

    assert to_login(response)
    assert response["Location"] == f"{LOGIN}?next=%2Fstaff%2Fintake%2F"
    assert not session_exists(key)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [SIGNED_OUT_MESSAGE]
    login_page = client.get(response["Location"])
    assert SIGNED_OUT_MESSAGE in login_page.content.decode()
    assert to_login(client.get(STAFF_PAGE))


def test_staff_idle_for_more_than_30_minutes_are_refused_by_the_session_api(coordinator):
    client = signed_in_as(coordinator)
    assert client.get(STAFF_API).status_code == 200
    key = client.session.session_key
    idle_for(client, 30 * MINUTE + 1)

    response = client.get(STAFF_API)

    assert response.status_code in (401, 403)
    assert "results" not in response.json()
    assert not session_exists(key)
    assert client.get(STAFF_API).status_code in (401, 403)


def test_staff_idle_for_29_minutes_keep_their_session(coordinator):
    client = signed_in_as(coordinator)
    key = client.session.session_key
    idle_for(client, 29 * MINUTE)

    assert client.get(STAFF_PAGE).status_code == 200
    assert client.session.session_key == key
    assert session_exists(key)
    idle_for(client, 29 * MINUTE)  # activity restarted the idle clock
    assert client.get(STAFF_PAGE).status_code == 200


def test_reporters_idle_for_31_minutes_keep_their_session(reporter):
    client = signed_in_as(reporter)
    idle_for(client, 31 * MINUTE)

    assert client.get(REPORTER_PAGE).status_code == 200


def test_reporters_idle_past_their_own_limit_are_signed_out(reporter):
    client = signed_in_as(reporter)
    key = client.session.session_key
    idle_for(client, settings.RECOURSE_IDLE_SECONDS + 1)

    assert to_login(client.get(REPORTER_PAGE))
    assert not session_exists(key)


@pytest.mark.parametrize("kind", ["staff", "reporter"])
def test_the_absolute_lifetime_ends_even_an_active_session(kind, coordinator, reporter):
    user = coordinator if kind == "staff" else reporter
    page = STAFF_PAGE if kind == "staff" else REPORTER_PAGE
    client = signed_in_as(user)
    key = client.session.session_key
    started_ago(client, settings.RECOURSE_SESSION_MAX_SECONDS - MINUTE)
    assert client.get(page).status_code == 200
    started_ago(client, MINUTE + 1)

    assert to_login(client.get(page))
    assert not session_exists(key)


def test_logging_out_deletes_the_session_so_the_old_cookie_opens_nothing(reporter):
    client = signed_in_as(reporter)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert session_exists(cookie)

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert not session_exists(cookie)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert to_login(replay.get(REPORTER_PAGE))
    assert replay.get(REPORTER_API).status_code in (401, 403)


def test_a_staff_session_cookie_replayed_after_logout_opens_nothing(coordinator):
    client = signed_in_as(coordinator)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(LOGOUT)

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert to_login(replay.get(STAFF_PAGE))
    assert replay.get(STAFF_API).status_code in (401, 403)
    assert not session_exists(cookie)


def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(coordinator):
    browsers = [signed_in_as(coordinator), signed_in_as(coordinator)]
    keys = [browser.session.session_key for browser in browsers]
    api = token_client(coordinator)
    assert api.get(STAFF_API).status_code == 200
    someone_else = signed_in_as(UserFactory())

    coordinator.is_active = False
    coordinator.save()

    assert not any(session_exists(key) for key in keys)
    assert not AuthToken.objects.filter(user=coordinator).exists()
    assert api.get(STAFF_API).status_code == 401
    assert all(to_login(browser.get(STAFF_PAGE)) for browser in browsers)
    assert someone_else.get(REPORTER_PAGE).status_code == 200


def test_disabling_a_reporter_ends_their_sessions_and_tokens(reporter):
    browser = signed_in_as(reporter)
    key = browser.session.session_key
    api = token_client(reporter)

    account = User.objects.get(pk=reporter.pk)
    account.is_active = False
    account.save(update_fields=["is_active"])

    assert not session_exists(key)
    assert api.get(REPORTER_API).status_code == 401
    assert to_login(browser.get(REPORTER_PAGE))


def test_an_account_disabled_without_save_is_still_refused_on_its_next_request(coordinator):
    browser = signed_in_as(coordinator)
    api = token_client(coordinator)

    User.objects.filter(pk=coordinator.pk).update(is_active=False)

    assert api.get(STAFF_API).status_code == 401
    assert to_login(browser.get(STAFF_PAGE))


def test_the_session_cookie_is_httponly_and_samesite_strict(reporter):
    client = Client()
    client.get(LOGIN)

    response = client.post(LOGIN, {"username": reporter.username, "password": PASSWORD})

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert "HttpOnly" in cookie.output()
    assert "SameSite=Strict" in cookie.output()


def test_the_csrf_cookie_is_httponly_and_samesite_strict():
    response = Client().get(LOGIN)

    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"


SHOW_COOKIE_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE",
]}))
"""


def test_in_production_both_cookies_are_secure_httponly_and_samesite_strict(tmp_path):
    shown = production_settings(tmp_path, SHOW_COOKIE_SETTINGS)

    assert shown == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "CSRF_COOKIE_SAMESITE": "Strict",
    }


def test_each_session_row_names_its_account_and_keeps_its_public_id_and_start(reporter):
    client = signed_in_as(reporter)
    idle_for(client, 5 * MINUTE)
    first = UserSession.objects.get(user=reporter)

    assert client.get(REPORTER_PAGE).status_code == 200  # activity: the session is saved again

    later = UserSession.objects.get(user=reporter)
    assert later.public_id == first.public_id
    assert later.created_at == first.created_at
    assert later.last_seen > first.last_seen


def test_a_person_s_sessions_end_without_decoding_anyone_s(reporter, coordinator):
    mine = [signed_in_as(reporter), signed_in_as(reporter)]
    theirs = signed_in_as(coordinator)

    with mock.patch.object(SessionBase, "decode", side_effect=AssertionError("decoded")):
        assert end_sessions(reporter) == 2

    assert all(to_login(browser.get(REPORTER_PAGE)) for browser in mine)
    assert theirs.get(STAFF_PAGE).status_code == 200


def test_a_person_ends_another_of_their_browser_sessions_from_the_security_page(reporter):
    here, there = signed_in_as(reporter), signed_in_as(reporter)
    other = UserSession.objects.get(session_key=there.session.session_key)

    response = here.post(reverse("core:sign_in_end", args=[other.public_id]))

    assert response.status_code == 302
    assert response["Location"] == reverse("core:account_security")
    assert to_login(there.get(REPORTER_PAGE))
    assert not session_exists(other.session_key)
    assert here.get(REPORTER_PAGE).status_code == 200


def test_ending_this_browser_s_own_session_signs_out_here(coordinator):
    client = signed_in_as(coordinator)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    this_one = UserSession.objects.get(session_key=cookie)

    response = client.post(reverse("core:sign_in_end", args=[this_one.public_id]))

    assert response["Location"] == LOGIN
    assert not session_exists(cookie)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert to_login(replay.get(STAFF_PAGE))


def test_another_account_s_browser_session_cannot_be_ended_by_its_public_id(reporter, coordinator):
    theirs = signed_in_as(coordinator)
    their_session = UserSession.objects.get(user=coordinator)
    mine = signed_in_as(reporter)

    response = mine.post(reverse("core:sign_in_end", args=[their_session.public_id]))

    assert response.status_code == 404
    assert theirs.get(STAFF_PAGE).status_code == 200


def test_a_new_session_key_takes_a_new_row_and_public_id_and_the_old_row_goes(reporter):
    client = signed_in_as(reporter)
    old = UserSession.objects.get(user=reporter)
    session = client.session
    session.cycle_key()  # as giving a second-factor code does
    session.save()

    new = UserSession.objects.get(user=reporter)
    assert new.session_key != old.session_key
    assert new.public_id != old.public_id
    assert new.created_at == old.created_at
