"""SECURITY.md 13, and WCAG 2.2.1 (timing adjustable): before a session ends, its pages warn and
offer to stay signed in. Asking how long is left is not activity; saying "I am still here" is."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from tests.factories import UserFactory
from tests.security.test_p13_sessions import (
    MINUTE,
    idle_for,
    session_exists,
    signed_in_as,
    started_ago,
)
from tests.support.factories import coordinator_user

pytestmark = pytest.mark.django_db

SESSION = reverse("core:session")
HOUR = 60 * MINUTE


def _left(client: Client, method: str = "get") -> tuple[int, dict]:
    answer = getattr(client, method)(SESSION)
    return answer.status_code, answer.json()


def _seen(client: Client) -> int:
    from core.middleware import SESSION_SEEN

    return client.session[SESSION_SEEN]


def test_a_reporters_page_carries_the_warning_with_the_time_left():
    client = signed_in_as(UserFactory())
    page = client.get(reverse("incidents:report_list")).text
    assert 'id="session-warning"' in page
    assert 'data-seconds-left="7200"' in page
    assert 'data-warn-before="120"' in page
    assert "Stay signed in" in page
    assert "js/session-timeout.js" in page


def test_a_staff_page_warns_of_the_shorter_staff_limit():
    client = signed_in_as(coordinator_user())
    assert 'data-seconds-left="1800"' in client.get(reverse("support:intake")).text


def test_asking_how_long_is_left_is_not_activity():
    client = signed_in_as(UserFactory())
    idle_for(client, 90 * MINUTE)
    seen = _seen(client)
    status, body = _left(client)
    assert status == 200
    assert 30 * MINUTE - 2 <= body["seconds_left"] <= 30 * MINUTE
    assert body["extendable"] is True
    assert _seen(client) == seen


def test_staying_signed_in_counts_as_activity_and_puts_the_end_off():
    client = signed_in_as(UserFactory())
    idle_for(client, 90 * MINUTE)
    status, body = _left(client, "post")
    assert status == 200
    assert body["seconds_left"] >= 2 * HOUR - 2
    assert _left(client)[1]["seconds_left"] >= 2 * HOUR - 2


def test_near_the_absolute_lifetime_the_end_cannot_be_put_off():
    client = signed_in_as(UserFactory())
    started_ago(client, 8 * HOUR - 5 * MINUTE)
    status, body = _left(client, "post")
    assert status == 200
    assert 5 * MINUTE - 12 <= body["seconds_left"] <= 5 * MINUTE
    assert body["extendable"] is False


def test_once_the_time_is_up_asking_ends_the_session_and_answers_401_without_a_redirect():
    client = signed_in_as(UserFactory())
    key = client.session.session_key
    idle_for(client, 2 * HOUR + 1)
    status, body = _left(client)
    assert status == 401
    assert body == {"seconds_left": 0, "extendable": False}
    assert not session_exists(key)


def test_staying_signed_in_needs_the_csrf_token():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(SESSION).status_code == 403


def test_an_outsider_without_a_session_learns_nothing_and_sees_no_warning(client):
    status, body = _left(client)
    assert status == 401
    assert body == {"seconds_left": 0, "extendable": False}
    assert 'id="session-warning"' not in client.get("/").text


def test_staff_still_to_give_their_code_may_ask_too():
    client = Client()
    user = coordinator_user()
    client.force_login(user)
    session = client.session
    session.pop(DEVICE_ID_SESSION_KEY, None)
    session.save()
    assert client.get(SESSION).status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_refused(client, method):
    assert getattr(client, method)(SESSION).status_code == 405
