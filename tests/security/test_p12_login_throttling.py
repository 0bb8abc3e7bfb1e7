"""SECURITY.md 12: sign-in is throttled (five failures for one account from one client lock that
account on that client for a while, with a clear message, on the pages and the API alike; see
test_p12_lockout_by_account_and_client.py for the other clients), and report submission and receipt
sign-in are rate-limited per client, without the client's address being stored anywhere.

The suite's settings raise every rate; each test here sets the few it needs (DRF reads its rates
when it is imported, so the throttle's class attribute is replaced, not only the setting)."""

from datetime import timedelta
from ipaddress import ip_address, ip_network

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from incidents.models import Report
from tests.factories import PASSWORD, UserFactory, make_anonymous_report
from tests.incidents.helpers import REVIEW_STEP, answers, submit_wizard, text
from tests.security.support import API, canary, report_payload, token_client

pytestmark = pytest.mark.django_db

LOGIN = reverse("core:login")
API_LOGIN = f"{API}/auth/login/"
WIZARD = reverse("incidents:report_new")
ANONYMOUS_WIZARD = reverse("incidents:anonymous_new")
RECEIPT_PAGE = reverse("incidents:anonymous_open")
API_REPORTS = f"{API}/reports/"
API_ANONYMOUS_REPORTS = f"{API}/anonymous/reports/"
API_RECEIPT = f"{API}/anonymous/login/"

HERE = "203.0.113.7"
UNIQUE_LOCAL = ip_network("fd00::/8")
ELSEWHERE = "198.51.100.23"
UNLIMITED = {
    "api": "100000/min",
    "login": "100000/min",
    "receipt": "100000/min",
    "submit": "100000/min",
    "signup": "100000/min",
}


@pytest.fixture
def rates(monkeypatch):
    """Set some throttle rates for this test (the others stay out of the way)."""
    cache.clear()

    def set_rates(**scopes: str) -> None:
        monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**UNLIMITED, **scopes})

    set_rates()
    yield set_rates
    cache.clear()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


def page_sign_in(username: str, password: str, address: str = HERE):
    return Client().post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def api_sign_in(username: str, password: str, address: str = HERE):
    return APIClient().post(
        API_LOGIN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def fail_to_sign_in(username: str, times: int) -> None:
    for _ in range(times):
        response = page_sign_in(username, "not the password at all")
        assert response.status_code in (200, 429)


def signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def cool_off_passes(seconds_more: int = 1) -> None:
    """As if the cool-off time had gone by since the last failure."""
    earlier = settings.AXES_COOLOFF_TIME + timedelta(seconds=seconds_more)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - earlier
        )


# Sign-in lockout, per account.


def test_five_wrong_passwords_lock_the_account_and_then_even_the_right_one_gets_429(rates, alice):
    for attempt in range(4):
        response = page_sign_in("alice", f"wrong password {attempt}")
        assert response.status_code == 200
        assert not response.wsgi_request.user.is_authenticated

    fifth = page_sign_in("alice", "wrong password 5")
    sixth = page_sign_in("alice", PASSWORD)

    assert fifth.status_code == 429
    assert sixth.status_code == 429
    assert not sixth.wsgi_request.user.is_authenticated
    assert "locked for 15 minutes" in text(sixth)
    assert "Too many failed sign-ins for this account" in text(sixth)
    assert sixth["Retry-After"] == "900"


def test_a_locked_account_is_locked_for_the_api_too(rates, alice):
    fail_to_sign_in("alice", 5)

    response = api_sign_in("alice", PASSWORD)

    assert response.status_code == 429
    assert "locked for 15 minutes" in response.json()["detail"]
    assert "token" not in response.json()


def test_failures_on_the_api_lock_the_page_as_well(rates, alice):
    for _ in range(5):
        assert api_sign_in("alice", "wrong password").status_code in (401, 429)

    response = page_sign_in("alice", PASSWORD)

    assert response.status_code == 429
    assert "locked for 15 minutes" in text(response)


def test_a_lockout_does_not_touch_another_account_even_from_the_same_client(rates, alice):
    UserFactory(username="bob")
    fail_to_sign_in("alice", 5)

    assert signed_in(page_sign_in("bob", PASSWORD))
    assert api_sign_in("bob", PASSWORD).status_code == 200


def test_a_lockout_holds_just_before_the_cool_off_ends(rates, alice):
    fail_to_sign_in("alice", 5)
    cool_off_passes(seconds_more=-60)

    assert page_sign_in("alice", PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_works_again(rates, alice):
    fail_to_sign_in("alice", 5)
    cool_off_passes()

    assert signed_in(page_sign_in("alice", PASSWORD))


def test_a_correct_sign_in_resets_the_count_of_failures(rates, alice):
    fail_to_sign_in("alice", 4)
    assert signed_in(page_sign_in("alice", PASSWORD))

    fail_to_sign_in("alice", 4)

    assert signed_in(page_sign_in("alice", PASSWORD))


def test_no_client_address_is_stored_with_failed_sign_ins(rates, alice):
    fail_to_sign_in("alice", 6)
    api_sign_in("alice", "wrong password")
    page_sign_in("alice", PASSWORD)

    attempts = list(AccessAttempt.objects.all())
    assert attempts, "the failures are recorded, per account and client"
    # The client is stood for by a made-up unique-local address (core.throttling.client_address).
    assert all(ip_address(attempt.ip_address) in UNIQUE_LOCAL for attempt in attempts)
    assert not AccessLog.objects.exists()
    rows = [*AccessAttempt.objects.values(), *AccessFailureLog.objects.values()]
    assert not [row for row in rows if HERE in str(row)]


# Report submission, per client.


def test_the_wizard_refuses_a_submission_past_the_rate_keeping_what_was_typed(
    rates, reporter_client
):
    rates(submit="2/hour")
    assert submit_wizard(reporter_client, WIZARD).status_code == 302
    assert submit_wizard(reporter_client, WIZARD).status_code == 302
    narrative = canary("narrative")

    response = submit_wizard(reporter_client, WIZARD, narrative=narrative)

    assert response.status_code == 429
    assert "Too many tries from here" in text(response)
    assert narrative in text(response)
    assert Report.objects.count() == 2


def test_the_anonymous_wizard_refuses_a_submission_past_the_rate_keeping_what_was_typed(rates):
    rates(submit="2/hour")
    client = Client(REMOTE_ADDR=HERE)
    for _ in range(2):
        assert submit_wizard(client, ANONYMOUS_WIZARD).status_code == 200
    narrative = canary("narrative")

    response = submit_wizard(client, ANONYMOUS_WIZARD, narrative=narrative)

    assert response.status_code == 429
    assert "Too many tries from here" in text(response)
    assert narrative in text(response)
    assert Report.objects.count() == 2


def test_the_wizard_steps_before_the_final_submit_do_not_count(rates):
    rates(submit="1/hour")
    client = Client(REMOTE_ADDR=HERE)
    for step in range(REVIEW_STEP):
        response = client.post(ANONYMOUS_WIZARD, {**answers(), "step": str(step), "action": "next"})
        assert response.status_code == 200
        assert f"Step {step + 2} of" in text(response)

    assert submit_wizard(client, ANONYMOUS_WIZARD).status_code == 200
    assert Report.objects.count() == 1


def test_another_client_can_still_submit_when_one_is_over_the_rate(rates):
    rates(submit="1/hour")
    submit_wizard(Client(REMOTE_ADDR=HERE), ANONYMOUS_WIZARD)
    assert submit_wizard(Client(REMOTE_ADDR=HERE), ANONYMOUS_WIZARD).status_code == 429

    response = submit_wizard(Client(REMOTE_ADDR=ELSEWHERE), ANONYMOUS_WIZARD)

    assert response.status_code == 200
    assert Report.objects.count() == 2


def test_another_account_can_still_submit_when_one_is_over_the_rate(rates, reporter_client):
    rates(submit="1/hour")
    submit_wizard(reporter_client, WIZARD)
    assert submit_wizard(reporter_client, WIZARD).status_code == 429
    other = Client()
    other.force_login(UserFactory())

    assert submit_wizard(other, WIZARD).status_code == 302
    assert Report.objects.count() == 2


def test_the_api_refuses_a_report_past_the_submit_rate(rates, reporter):
    rates(submit="2/hour")
    client = token_client(reporter)
    for _ in range(2):
        assert client.post(API_REPORTS, report_payload(), format="json").status_code == 201

    response = client.post(API_REPORTS, report_payload(), format="json")

    assert response.status_code == 429
    assert Report.objects.count() == 2


def test_the_api_refuses_an_anonymous_report_past_the_submit_rate(rates):
    rates(submit="2/hour")
    client = APIClient(REMOTE_ADDR=HERE)
    for _ in range(2):
        assert (
            client.post(API_ANONYMOUS_REPORTS, report_payload(), format="json").status_code == 201
        )

    response = client.post(API_ANONYMOUS_REPORTS, report_payload(), format="json")

    assert response.status_code == 429
    assert "detail" in response.json()
    assert "receipt" not in response.json()
    assert Report.objects.count() == 2
    other = APIClient(REMOTE_ADDR=ELSEWHERE)
    assert other.post(API_ANONYMOUS_REPORTS, report_payload(), format="json").status_code == 201


def test_the_wizard_and_the_api_share_one_submit_limit_per_signed_in_client(rates, reporter):
    rates(submit="2/hour")
    page = Client()
    page.force_login(reporter)
    assert submit_wizard(page, WIZARD).status_code == 302
    assert token_client(reporter).post(
        API_REPORTS, report_payload(), format="json"
    ).status_code == (201)

    assert submit_wizard(page, WIZARD).status_code == 429
    response = token_client(reporter).post(API_REPORTS, report_payload(), format="json")
    assert response.status_code == 429
    assert Report.objects.count() == 2


def test_the_wizard_and_the_api_share_one_submit_limit_per_anonymous_client(rates):
    rates(submit="2/hour")
    assert submit_wizard(Client(REMOTE_ADDR=HERE), ANONYMOUS_WIZARD).status_code == 200
    api = APIClient(REMOTE_ADDR=HERE)
    assert api.post(API_ANONYMOUS_REPORTS, report_payload(), format="json").status_code == 201

    assert submit_wizard(Client(REMOTE_ADDR=HERE), ANONYMOUS_WIZARD).status_code == 429
    assert api.post(API_ANONYMOUS_REPORTS, report_payload(), format="json").status_code == 429
    assert Report.objects.count() == 2


# Receipt sign-in, per client.


def test_receipt_sign_in_on_the_page_past_the_rate_gets_429_even_with_the_right_receipt(rates):
    rates(receipt="3/min")
    _, receipt = make_anonymous_report()
    client = Client(REMOTE_ADDR=HERE)
    for _ in range(3):
        response = client.post(RECEIPT_PAGE, {"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG"})
        assert response.status_code == 200

    response = client.post(RECEIPT_PAGE, {"receipt": receipt})

    assert response.status_code == 429
    assert "Too many tries from here" in text(response)
    assert not response.wsgi_request.user.is_authenticated
    other = Client(REMOTE_ADDR=ELSEWHERE)
    assert other.post(RECEIPT_PAGE, {"receipt": receipt}).status_code == 302


def test_receipt_sign_in_on_the_api_past_the_rate_gets_429_even_with_the_right_receipt(rates):
    rates(receipt="3/min")
    _, receipt = make_anonymous_report()
    client = APIClient(REMOTE_ADDR=HERE)
    for _ in range(3):
        wrong = {"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG"}
        assert client.post(API_RECEIPT, wrong, format="json").status_code in (400, 401)

    response = client.post(API_RECEIPT, {"receipt": receipt}, format="json")

    assert response.status_code == 429
    assert "token" not in response.json()
    other = APIClient(REMOTE_ADDR=ELSEWHERE)
    assert other.post(API_RECEIPT, {"receipt": receipt}, format="json").status_code == 200


def test_the_sign_in_page_is_rate_limited_per_client_whatever_the_account(rates):
    rates(login="3/min")
    for number in range(3):
        assert page_sign_in(f"nobody{number}", "wrong password").status_code == 200

    response = page_sign_in("somebody-else", "wrong password")

    assert response.status_code == 429
    assert "Too many tries from here" in text(response)
    assert page_sign_in("somebody-else", "wrong password", ELSEWHERE).status_code == 200


# The client is who it is: no escaping the limit, no address kept.

FORWARDED_FOR = ["192.0.2.1", "192.0.2.2", "10.0.0.1, 192.0.2.3", "unknown"]


@pytest.mark.parametrize(
    ("scope", "post"),
    [
        ("submit", lambda headers: submit_wizard(Client(**headers), ANONYMOUS_WIZARD)),
        (
            "submit",
            lambda headers: APIClient(**headers).post(
                API_ANONYMOUS_REPORTS, report_payload(), format="json"
            ),
        ),
        ("receipt", lambda headers: Client(**headers).post(RECEIPT_PAGE, {"receipt": "x"})),
        (
            "receipt",
            lambda headers: APIClient(**headers).post(API_RECEIPT, {"receipt": "x"}, format="json"),
        ),
        (
            "login",
            lambda headers: Client(**headers).post(LOGIN, {"username": "x", "password": "y"}),
        ),
        (
            "login",
            lambda headers: APIClient(**headers).post(
                API_LOGIN, {"username": "x", "password": "y"}, format="json"
            ),
        ),
    ],
    ids=["wizard", "api report", "receipt page", "receipt api", "login page", "login api"],
)
def test_x_forwarded_for_does_not_let_a_client_escape_its_limit(rates, scope, post):
    rates(**{scope: "1/hour"})
    assert post({"REMOTE_ADDR": HERE}).status_code != 429

    for forwarded in FORWARDED_FOR:
        response = post({"REMOTE_ADDR": HERE, "HTTP_X_FORWARDED_FOR": forwarded})
        assert response.status_code == 429, forwarded


def _throttle_keys() -> list[str]:
    if settings.REDIS_URL:  # the suite's run on Redis
        client = cache._cache.get_client()
        return [key.decode() for key in client.scan_iter("*throttle*")]
    return [key for key in cache._cache if "throttle" in key]  # the local-memory cache's keys


def test_no_cache_key_holds_a_client_address_in_clear(rates):
    rates(submit="1/hour", receipt="1/hour", login="1/hour")
    headers = {"REMOTE_ADDR": HERE}
    for _ in range(2):
        submit_wizard(Client(**headers), ANONYMOUS_WIZARD)
        APIClient(**headers).post(API_ANONYMOUS_REPORTS, report_payload(), format="json")
        Client(**headers).post(RECEIPT_PAGE, {"receipt": "x"})
        APIClient(**headers).post(API_RECEIPT, {"receipt": "x"}, format="json")
        Client(**headers).post(LOGIN, {"username": "x", "password": "y"})
        APIClient(**headers).post(API_LOGIN, {"username": "x", "password": "y"}, format="json")

    keys = _throttle_keys()
    assert len(keys) >= 3, keys
    leaked = [key for key in keys if HERE in key or HERE.replace(".", "") in key]
    assert leaked == [], leaked
