"""SECURITY 3: no log line carries report content, a receipt, a token, a session or CSRF cookie, a
query string or a reporter's address. A realistic journey (filing with and without an account,
receipts right and wrong, sign-ins right and wrong, a 404, a careless error log of a whole
request, background tasks and a notification e-mail) runs with the configured handlers writing,
at every level, to a buffer; then nothing planted or handed out may be found in it. The filter
(core.logging.RedactFilter) is also tested on each pattern it redacts, and on a harmless line it
must leave as it is."""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from secrets import choice, token_hex
from uuid import uuid4

import pytest
from django.conf import settings
from django.core import mail
from django.http import HttpResponseServerError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.log import log_response
from django_q.models import Task
from rest_framework.test import APIClient

from core.logging import ADDRESS, REDACTED, RedactFilter, redact
from incidents.receipts import ALPHABET, receipt_display
from tests.factories import PASSWORD, UserFactory
from tests.incidents.helpers import RECEIPT_PATTERN, submit_wizard
from tests.security.support import API, canary
from tests.support.factories import coordinator_user

CLIENT_IP = "203.0.113.77"
PROXY_IP = "198.51.100.23"
CLIENT_IPV6 = "2001:db8:85a3::8a2e:370:7334"
BROWSER = {
    "REMOTE_ADDR": CLIENT_IP,
    "HTTP_X_FORWARDED_FOR": f"{CLIENT_IP}, {PROXY_IP}",
    "HTTP_X_REAL_IP": CLIENT_IPV6,
}


class Secrets(dict):
    """label -> what must never be logged."""

    def plant(self, label: str) -> str:
        self[label] = canary(label)
        return self[label]

    def found_in(self, text: str) -> list[str]:
        return [label for label, value in self.items() if value.lower() in text.lower()]


# Capturing what the configured handlers write.


def _ours(handler: logging.Handler) -> bool:
    """A handler that writes somewhere: from settings.LOGGING or a library, not one pytest adds
    to capture logs, nor a library's NullHandler."""
    return not (
        isinstance(handler, logging.NullHandler) or type(handler).__module__.startswith("_pytest")
    )


def _all_handlers() -> list[tuple[str, logging.Handler]]:
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return [
        (logger.name, handler)
        for logger in loggers
        for handler in logger.handlers
        if _ours(handler)
    ]


@contextmanager
def captured_logs() -> Iterator[StringIO]:
    """The configured handlers (with their filters) write to a buffer, and every logger lets
    everything through, down to DEBUG, while the block runs."""
    buffer = StringIO()
    streams = [
        (handler, handler.setStream(buffer))
        for _, handler in _all_handlers()
        if isinstance(handler, logging.StreamHandler)
    ]
    assert streams, "no configured handler to capture"
    loggers = [
        logging.getLogger(),
        *(logging.getLogger(name) for name in settings.LOGGING["loggers"]),
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for logger, level in levels:
            logger.setLevel(level)
        for handler, stream in streams:
            handler.setStream(stream)


def _ok(response, status: int) -> None:
    assert response.status_code == status, response.content.decode()[:1000]


# The journey.


def _file_with_an_account(secrets: Secrets, browser: Client) -> None:
    wrong = secrets.plant("wrong-password")
    _ok(browser.post(reverse("core:login"), {"username": "riley", "password": wrong}), 200)
    _ok(browser.post(reverse("core:login"), {"username": "riley", "password": PASSWORD}), 302)
    secrets["session cookie"] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    response = submit_wizard(
        browser,
        reverse("incidents:report_new") + f"?from={secrets.plant('query')}",
        narrative=f"He wrote {secrets.plant('narrative')} on my door.",
        municipality=secrets.plant("municipality"),
        contact_details=f"Call {secrets.plant('contact')}",
        perpetrator_identifiers=f"@{secrets.plant('handle')}",
        risk_flags=["imminent_danger"],  # critical: the coordinators are e-mailed
    )
    _ok(response, 302)
    report_url = response["Location"]
    _ok(
        browser.post(
            report_url.rstrip("/") + "/messages/", {"body": f"Also {secrets.plant('message')}"}
        ),
        302,
    )
    if settings.CSRF_COOKIE_NAME in browser.cookies:
        secrets["csrf cookie"] = browser.cookies[settings.CSRF_COOKIE_NAME].value
    # A report that does not exist, with something private in the query string.
    _ok(browser.get(f"/reports/{uuid4()}/?note={secrets.plant('404-query')}"), 404)


def _file_anonymously(secrets: Secrets) -> None:
    browser = Client(**BROWSER)
    response = submit_wizard(
        browser,
        reverse("incidents:anonymous_new"),
        narrative=f"Anonymous {secrets.plant('anonymous-narrative')}",
        contact_details=secrets.plant("anonymous-contact"),
    )
    _ok(response, 200)
    [shown] = RECEIPT_PATTERN.findall(response.content.decode())
    secrets["receipt"] = shown
    secrets["receipt typed"] = shown.replace("-", "")
    wrong = "".join(choice(ALPHABET) for _ in range(28))
    secrets["wrong receipt"] = receipt_display(wrong)
    secrets["wrong receipt typed"] = wrong
    opening = reverse("incidents:anonymous_open")
    _ok(browser.post(opening, {"receipt": secrets["wrong receipt"]}), 200)
    _ok(browser.post(opening, {"receipt": shown}), 302)

    api = APIClient(**BROWSER)
    _ok(api.post(f"{API}/anonymous/login/", {"receipt": wrong}, format="json"), 401)
    response = api.post(f"{API}/anonymous/login/", {"receipt": shown}, format="json")
    _ok(response, 200)
    secrets["receipt token"] = response.json()["token"]


def _use_the_api(secrets: Secrets) -> None:
    api = APIClient(**BROWSER)
    wrong = secrets.plant("api-wrong-password")
    login = f"{API}/auth/login/"
    _ok(api.post(login, {"username": "riley", "password": wrong}, format="json"), 401)
    response = api.post(login, {"username": "riley", "password": PASSWORD}, format="json")
    _ok(response, 200)
    secrets["token"] = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {secrets['token']}")
    _ok(api.get(f"{API}/reports/?q={secrets.plant('api-query')}"), 200)
    made_up = token_hex(32)
    secrets["made-up token"] = made_up
    api.credentials(HTTP_AUTHORIZATION=f"Token {made_up}")
    _ok(api.get(f"{API}/reports/?q={secrets.plant('api-query-2')}"), 401)


def _log_an_error_carelessly(secrets: Secrets) -> None:
    """What a careless line in a view or middleware could log about a failing request: its full
    path, the request itself, its headers, and an exception quoting them."""
    request = RequestFactory().post(
        f"/reports/?search={secrets.plant('error-query')}",
        {"narrative": secrets.plant("error-body")},
        HTTP_AUTHORIZATION=f"Token {secrets['token']}",
        HTTP_COOKIE=f"sessionid={secrets['session cookie']}; csrftoken=abc123def456",
        **BROWSER,
    )
    try:
        raise RuntimeError(f"failed for {request.META['HTTP_AUTHORIZATION']} at {CLIENT_IP}")
    except RuntimeError as exc:
        log_response(
            "%s: %s",
            "Internal Server Error",
            request.get_full_path(),
            response=HttpResponseServerError(),
            request=request,
            exception=exc,
        )
        logging.getLogger("django.request").error(
            "While handling %r from %s: %s",
            request,
            request.META["REMOTE_ADDR"],
            {key: value for key, value in request.META.items() if key.isupper()},
            exc_info=True,
            stack_info=True,
            extra={"status_code": 500, "request": request},
        )


def _journey(secrets: Secrets) -> None:
    browser = Client(**BROWSER)
    _file_with_an_account(secrets, browser)
    _file_anonymously(secrets)
    _use_the_api(secrets)
    _log_an_error_carelessly(secrets)


def test_a_whole_journey_leaves_no_content_receipt_token_or_address_in_the_logs(committed_db):
    coordinator_user(username="cora", email="cora@example.org")
    UserFactory(username="riley")
    secrets = Secrets({"client address": CLIENT_IP, "proxy address": PROXY_IP})
    secrets["client IPv6 address"] = CLIENT_IPV6

    with captured_logs() as output:
        _journey(secrets)
    logged = output.getvalue()

    # The journey did what it says, and the capture saw it.
    assert set(Task.objects.values_list("func", flat=True)) >= {
        "support.tasks.case_triage",
        "support.tasks.notification_email",
    }
    assert mail.outbox
    assert "Not Found: /reports/" in logged
    assert "Unauthorized: /api/v1/auth/login/" in logged
    assert "Internal Server Error: /reports/?[redacted]" in logged
    assert "Traceback" in logged
    assert len(secrets) > 20

    assert secrets.found_in(logged) == []
    assert secrets.found_in(" ".join(m.subject + m.body for m in mail.outbox)) == []


def test_the_capture_sees_what_is_logged(db):
    """The scan itself works: a canary logged, which no pattern redacts, is found."""
    planted = Secrets()

    with captured_logs() as output:
        logging.getLogger("support").warning("leaked %s", planted.plant("planted"))

    assert planted.found_in(output.getvalue()) == ["planted"]


def test_every_handler_redacts():
    handlers = _all_handlers()

    assert handlers
    assert [
        f"{name}: {handler!r}"
        for name, handler in handlers
        if not any(isinstance(f, RedactFilter) for f in handler.filters)
    ] == []
    configured = settings.LOGGING["handlers"]
    assert all("redact" in handler.get("filters", []) for handler in configured.values())
    assert settings.LOGGING["filters"]["redact"] == {"()": "core.logging.RedactFilter"}


def test_the_logger_configuration_keeps_its_meaning():
    loggers = settings.LOGGING["loggers"]

    assert loggers["django.server"] == {"handlers": [], "level": "ERROR", "propagate": False}
    assert loggers["django-q"]["level"] == "WARNING"
    assert logging.getLogger("django").handlers == []  # Django's defaults are gone
    assert logging.getLogger("django").propagate is True  # to the root's redacting console


# The filter, pattern by pattern.

TOKEN = "9f" * 32  # the shape of a knox token: 64 hexadecimal characters


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"request from {CLIENT_IP}", CLIENT_IP),
        (f"forwarded for {CLIENT_IP}, {PROXY_IP}", PROXY_IP),
        (f"from {CLIENT_IP}:51234", CLIENT_IP),
        (f"from {CLIENT_IPV6}", "8a2e:370:7334"),
        ("from ::1 (local)", "::1"),
        ("from [2001:db8::1]:8000", "2001:db8::1"),
        ("from fe80::1%eth0", "fe80::1"),
        ("from ::ffff:203.0.113.9", "203.0.113.9"),
        ("from 2001:0db8:0000:0000:0000:ff00:0042:8329", "0042:8329"),
        (f"Authorization: Token {TOKEN}", TOKEN),
        ("Authorization: Basic cmlsZXk6aHVudGVyMg==", "cmlsZXk6aHVudGVyMg=="),
        ("{'HTTP_AUTHORIZATION': 'Bearer abc.def.ghi'}", "abc.def.ghi"),
        (f"token {TOKEN} expired", TOKEN),
        (f"Token {TOKEN.upper()}", TOKEN.upper()),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("receipt 7K2M-9QXD-4HNP-R8TW-3GBV-6YCZ-1FJS refused", "7K2M-9QXD"),
        ("receipt 7k2m9qxd4hnpr8tw3gbv6ycz1fjs refused", "7k2m9qxd4hnpr8tw3gbv6ycz1fjs"),
        ("receipt 7K2M 9QXD 4HNP R8TW 3GBV 6YCZ 1FJS refused", "R8TW 3GBV"),
        ("Cookie: sessionid=abc123; csrftoken=def456", "abc123"),
        ("{'HTTP_COOKIE': 'sessionid=abc123; csrftoken=def456'}", "def456"),
        ("Set-Cookie: sessionid=abc123; HttpOnly", "abc123"),
        ("set sessionid=abc123 for riley", "abc123"),
        ("deleted session_key=abc123", "abc123"),
        ("form csrfmiddlewaretoken=Zq81xYy&next=/", "Zq81xYy"),
        ("X-CSRFToken: Zq81xYyAbc", "Zq81xYyAbc"),
        ("GET /reports/?q=secret+words&page=2 HTTP/1.1", "secret+words"),
        ("fetched https://example.org/cb?code=s3cret", "s3cret"),
        ("{'QUERY_STRING': 'q=secret'}", "q=secret"),
        ("<WSGIRequest: GET '/reports/?q=secret'>", "q=secret"),
    ],
)
def test_the_filter_redacts(line, secret):
    redacted = redact(line)

    assert secret.lower() not in redacted.lower()
    assert ADDRESS in redacted or REDACTED in redacted


@pytest.mark.parametrize(
    "line",
    [
        "Processed 'support.tasks.case_triage' (paris-nine-alpha) in 0.021s",
        "Not Found: /reports/0b5e3a8e-8a2f-4c43-9a39-8f1b7e2c4d11/",
        "Sweep at 2026-11-22 12:30:45.123456+00:00 climbed 3 rungs; version 5.2.1",
        "CaseUserObjectPermissionBase with this test will pass when they were here",
        "Token authentication failed. Really? Yes: see /docs/architecture.md",
        "mac aa:bb:cc:dd:ee:ff, ratio 1:2:3, time 09:15",
        '  File "x.py", line 3, in run\n    hook(session=session, csrf=checker)',
    ],
)
def test_a_harmless_line_passes_unchanged(line):
    assert redact(line) == line


def _record(msg: str, *args, **attrs) -> logging.LogRecord:
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, msg, args, None)
    record.__dict__.update(attrs)
    return record


def test_the_filter_formats_the_message_once_and_drops_its_arguments():
    record = _record("%s from %s", "GET /reports/?q=secret", CLIENT_IP)

    assert RedactFilter().filter(record) is True
    assert record.msg == f"GET /reports/?{REDACTED} from {ADDRESS}"
    assert record.args is None
    assert record.getMessage() == record.msg


def test_the_filter_redacts_the_traceback_and_the_stack():
    try:
        raise ValueError(f"bad Token {TOKEN} from {CLIENT_IP}")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info(), stack_info=f"at {CLIENT_IP}")

    RedactFilter().filter(record)
    line = logging.Formatter().format(record)

    assert "ValueError: bad Token [redacted] from [address]" in line
    assert TOKEN not in line
    assert CLIENT_IP not in line
    assert record.exc_info is None


def test_the_filter_takes_the_request_off_the_record():
    request = RequestFactory().get("/reports/?q=secret", REMOTE_ADDR=CLIENT_IP)
    record = _record("Not Found: %s", request.path, request=request, status_code=404)

    RedactFilter().filter(record)

    assert not hasattr(record, "request")
    assert record.status_code == 404
    assert logging.Formatter("%(message)s %(status_code)s").format(record) == (
        "Not Found: /reports/ 404"
    )


def test_the_filter_keeps_a_malformed_call_and_still_redacts_it():
    record = _record("%s and %s", f"from {CLIENT_IP}")

    assert RedactFilter().filter(record) is True
    assert CLIENT_IP not in record.getMessage()


def test_redacting_twice_changes_nothing_more():
    line = f"GET /r/?q=1 from {CLIENT_IP} with Token {TOKEN} sessionid=abc"

    assert redact(redact(line)) == redact(line)
