"""SECURITY.md 12, the lockout's other side: five failures for one account lock that account on
the client they came from, and on no other, so someone who only knows a username cannot lock its
owner out of their own device. The client is a keyed hash of its address (an IPv6 client: its
/64), stored by django-axes as a made-up unique-local address. The admin site's own sign-in form
is never served: /admin/login/ sends people to the one sign-in page, with its rate, lockout and
second factor."""

import logging
from ipaddress import ip_address, ip_network

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from core.models import Role
from core.throttling import client_address
from tests.factories import PASSWORD, UserFactory, totp_code
from tests.incidents.helpers import text
from tests.security.support import API

pytestmark = pytest.mark.django_db

LOGIN = reverse("core:login")
API_LOGIN = f"{API}/auth/login/"
ADMIN_LOGIN = "/admin/login/"
VERIFY = reverse("core:second_factor_verify")

HERE = "203.0.113.7"
ELSEWHERE = "198.51.100.23"
UNIQUE_LOCAL = ip_network("fd00::/8")


@pytest.fixture(autouse=True)
def _fresh_rates():
    """The per-client sign-in rate lives in the cache; each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", role=Role.COORDINATOR)


def page_sign_in(username: str, password: str, address: str = HERE, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    return client.post(LOGIN, {"username": username, "password": password})


def api_sign_in(username: str, password: str, address: str = HERE, code: str = ""):
    credentials = {"username": username, "password": password, "otp_token": code}
    return APIClient(REMOTE_ADDR=address).post(API_LOGIN, credentials, format="json")


def fail_five_times(username: str, address: str = HERE, **headers) -> None:
    for attempt in range(5):
        response = page_sign_in(username, f"wrong password {attempt}", address, **headers)
        assert not response.wsgi_request.user.is_authenticated


def signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def stored_client(address: str) -> str:
    return client_address(RequestFactory().get("/", REMOTE_ADDR=address))


# Locked on the client that failed, and there only.


def test_five_failures_from_one_client_lock_the_account_there_and_not_elsewhere(alice):
    fail_five_times("alice")

    here = page_sign_in("alice", PASSWORD)
    assert here.status_code == 429
    assert not here.wsgi_request.user.is_authenticated
    assert signed_in(page_sign_in("alice", PASSWORD, ELSEWHERE))


def test_the_api_refuses_the_locked_client_and_gives_the_person_elsewhere_a_token(alice):
    for _ in range(5):
        assert api_sign_in("alice", "wrong password").status_code in (401, 429)

    device = TOTPDevice.objects.create(user=alice, name="authenticator", confirmed=True)
    here = api_sign_in("alice", PASSWORD, code=totp_code(device))
    assert here.status_code == 429
    assert "token" not in here.json()
    elsewhere = api_sign_in("alice", PASSWORD, ELSEWHERE, code=totp_code(device))
    assert elsewhere.status_code == 200
    assert elsewhere.json()["token"]


def test_signing_in_elsewhere_does_not_lift_the_lockout_on_the_client_that_failed(alice):
    fail_five_times("alice")

    assert signed_in(page_sign_in("alice", PASSWORD, ELSEWHERE))

    assert page_sign_in("alice", PASSWORD).status_code == 429


def test_the_lockout_message_says_it_holds_on_this_device_or_network(alice):
    fail_five_times("alice")

    response = page_sign_in("alice", PASSWORD)

    assert "from this device or network" in text(response)
    assert "locked for 15 minutes" in text(response)
    assert response["Retry-After"] == "900"


def test_an_ipv6_client_moving_within_its_network_stays_locked(alice):
    for host in range(1, 6):
        page_sign_in("alice", "wrong password", f"2001:db8:1:2::{host}")

    assert page_sign_in("alice", PASSWORD, "2001:db8:1:2:ffff::9").status_code == 429
    assert signed_in(page_sign_in("alice", PASSWORD, "2001:db8:1:3::1"))


def test_an_ipv4_client_is_the_same_client_written_as_an_ipv6_mapped_address():
    assert stored_client(f"::ffff:{HERE}") == stored_client(HERE)
    assert stored_client(ELSEWHERE) != stored_client(HERE)


@override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1})
def test_behind_a_proxy_the_client_locked_is_the_one_the_proxy_names(alice):
    proxy = "10.0.0.2"
    fail_five_times("alice", proxy, HTTP_X_FORWARDED_FOR=HERE)

    assert page_sign_in("alice", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=HERE).status_code == 429
    assert signed_in(page_sign_in("alice", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE))


# No address kept: the client stored is a keyed, made-up one.


def test_axes_stores_a_keyed_unique_local_address_never_the_clients_own(alice, caplog):
    caplog.set_level(logging.DEBUG)
    fail_five_times("alice")
    api_sign_in("alice", "wrong password")

    stored = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert stored == {stored_client(HERE)}
    assert ip_address(stored.pop()) in UNIQUE_LOCAL
    assert HERE not in str(list(AccessAttempt.objects.values()))
    assert HERE not in caplog.text


def test_the_stored_client_depends_on_the_secret_key_so_a_copy_of_the_database_names_no_one():
    before = stored_client(HERE)
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-only-0123456789abcdef"):
        assert stored_client(HERE) != before


# /admin/login/: one sign-in page, one set of rules.


def test_the_admin_sign_in_page_sends_a_visitor_to_the_sign_in_page_with_next_kept():
    response = Client().get(ADMIN_LOGIN, {"next": "/admin/core/user/"})

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2Fcore%2Fuser%2F"


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_an_unsafe_next_is_replaced_by_the_admin_home_on_the_way(unsafe):
    response = Client().get(ADMIN_LOGIN, {"next": unsafe})

    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2F"


def test_a_password_posted_to_the_admin_sign_in_page_signs_no_one_in():
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=HERE)

    response = client.post(
        ADMIN_LOGIN, {"username": admin.username, "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_signed_in_reporter_at_the_admin_sign_in_page_is_refused_without_a_redirect_loop(
    reporter_client,
):
    response = reporter_client.get(ADMIN_LOGIN, {"next": "/admin/"})

    assert response.status_code == 403


def test_a_signed_in_reporter_asking_for_the_admin_is_never_sent_round_in_circles(
    reporter_client,
):
    response = reporter_client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) <= 2


@pytest.mark.without_second_factor
def test_an_administrator_signing_in_at_the_sign_in_page_with_their_code_reaches_the_admin():
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="authenticator", confirmed=True)
    client = Client(REMOTE_ADDR=HERE)

    to_sign_in = client.get("/admin/", follow=True)
    assert to_sign_in.request["PATH_INFO"] == LOGIN
    password = client.post(
        f"{LOGIN}?next=%2Fadmin%2F", {"username": admin.username, "password": PASSWORD}
    )
    assert password["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    code = client.post(f"{VERIFY}?next=%2Fadmin%2F", {"code": totp_code(device)})
    assert code["Location"] == "/admin/"

    assert client.get("/admin/").status_code == 200
