"""SECURITY.md 24 in a real browser: the quick exit leaves the site, and ends the session, with
JavaScript on and with it off.

Without JavaScript the quick exit is a form posting to /exit/. A redirect from there to another
site would be blocked by our own `form-action 'self'` (browsers apply it to the redirect target of
a form submission), so these tests point the exit at another origin, as in production: a tiny
page served by Python's http.server on another local port. Nothing outside this machine is
reached."""

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.factories import UserFactory, make_report

pytestmark = pytest.mark.browser

MODES = [pytest.param(False, id="JavaScript off"), pytest.param(True, id="JavaScript on")]


class NeutralPage(BaseHTTPRequestHandler):
    """The everyday page the quick exit leads to; it remembers what it was asked."""

    requests: list[tuple[str, dict[str, str]]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        NeutralPage.requests.append((self.path, dict(self.headers)))
        body = b"<!doctype html><title>Weather</title><h1>Today: sunny</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the test output stays the test's."""


@pytest.fixture
def neutral_site(settings) -> Iterator[str]:
    """Another origin (another port) serving the neutral page; the quick exit points there."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), NeutralPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    NeutralPage.requests = []
    address = f"http://127.0.0.1:{server.server_address[1]}/weather"
    settings.RECOURSE_QUICK_EXIT_URL = address
    yield address
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def contexts(chromium) -> Iterator[list]:
    opened: list = []
    yield opened
    for context in opened:
        context.close()


def _signed_in(chromium, contexts, site, user, *, javascript: bool):
    """A page in a fresh browser context, JavaScript on or off, signed in as `user`; with the
    session cookie's value, to try it again afterwards."""
    context = chromium.new_context(java_script_enabled=javascript, locale="en-CA")
    contexts.append(context)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])
    return context, context.new_page(), cookie.value


def _opens_the_reports(session: str) -> bool:
    """Whether this session cookie, presented again, still opens the reporter's list."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client.get("/reports/").status_code == 200


def _soon(condition, seconds: float = 3.0) -> bool:
    """Whether `condition` holds within a few seconds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _quick_exit_from_a_report(chromium, contexts, site, *, javascript: bool):
    reporter = UserFactory()
    report = make_report(reporter)
    context, page, session = _signed_in(chromium, contexts, site, reporter, javascript=javascript)
    assert _opens_the_reports(session)
    page.goto(f"{site}/reports/{report.public_id}/")
    expect(page.get_by_text("Someone posted my home address")).to_be_visible()
    page.get_by_role("button", name="Quick exit").click()
    return context, page, session


@pytest.mark.parametrize("javascript", MODES)
def test_the_quick_exit_leaves_for_the_neutral_page_and_ends_the_session(
    chromium, contexts, site, neutral_site, javascript
):
    context, page, session = _quick_exit_from_a_report(
        chromium, contexts, site, javascript=javascript
    )

    page.wait_for_url(neutral_site, timeout=5000)
    expect(page.get_by_role("heading", name="Today: sunny")).to_be_visible()
    # With JavaScript the exit is posted in the background as the page leaves: allow it a moment.
    assert _soon(lambda: not _opens_the_reports(session))
    assert _soon(lambda: context.cookies(site) == [])  # nothing of ours is left in the browser


@pytest.mark.parametrize("javascript", MODES)
def test_the_neutral_site_is_not_told_where_the_person_came_from(
    chromium, contexts, site, neutral_site, javascript
):
    _, page, _ = _quick_exit_from_a_report(chromium, contexts, site, javascript=javascript)

    page.wait_for_url(neutral_site, timeout=5000)
    arrival = [headers for path, headers in NeutralPage.requests if path == "/weather"]
    assert len(arrival) == 1
    assert "Referer" not in arrival[0]
    assert not [headers for _, headers in NeutralPage.requests if site in str(headers)]


def test_going_back_after_the_exit_without_javascript_shows_no_report(
    chromium, contexts, site, neutral_site
):
    _, page, _ = _quick_exit_from_a_report(chromium, contexts, site, javascript=False)
    page.wait_for_url(neutral_site, timeout=5000)

    page.go_back()

    expect(page).to_have_url(re.compile(r"/login/\?next=/reports/"))
    expect(page.get_by_text("Someone posted my home address")).to_have_count(0)


def test_a_second_tab_still_leaves_without_javascript_after_the_first_one_exited(
    chromium, contexts, site, neutral_site
):
    # The first exit has the browser drop our cookies, the CSRF cookie with them; the second
    # tab's form then fails its CSRF check, and must still leave rather than stay on our site.
    reporter = UserFactory()
    report = make_report(reporter)
    context, first, _ = _signed_in(chromium, contexts, site, reporter, javascript=False)
    second = context.new_page()
    for page in (first, second):
        page.goto(f"{site}/reports/{report.public_id}/")
    first.get_by_role("button", name="Quick exit").click()
    first.wait_for_url(neutral_site, timeout=5000)

    second.get_by_role("button", name="Quick exit").click()

    second.wait_for_url(neutral_site, timeout=5000)
