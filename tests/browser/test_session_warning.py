"""In the browser: before a session ends for lack of activity, the page warns, moves focus to
"Stay signed in", and pressing it (Enter, no mouse) keeps the person signed in; if they do
nothing, the page leads to the sign-in page with a word on why."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def short_sessions(settings):
    settings.RECOURSE_IDLE_SECONDS = 8  # a reporter is signed out after 8 idle seconds
    settings.RECOURSE_SESSION_WARNING_SECONDS = 6  # and warned 6 seconds before


def test_the_warning_comes_first_and_staying_by_keyboard_keeps_the_session(
    browse, site, short_sessions
):
    page = browse.page(UserFactory())
    page.goto(site + "/reports/")
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=8000)
    stay = warning.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    expect(warning.locator("time[datetime]")).to_have_text(re.compile(r"\d"))
    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()
    left = page.evaluate("fetch('/session/').then(r => r.json())")
    assert left["seconds_left"] >= 6
    assert page.url == site + "/reports/"


def test_doing_nothing_leads_to_the_sign_in_page_with_the_reason(browse, site, short_sessions):
    page = browse.page(UserFactory())
    page.goto(site + "/reports/")
    expect(page.locator("#session-warning")).to_be_visible(timeout=8000)
    page.wait_for_url(re.compile(r"/login/\?next="), timeout=12000)
    expect(page.get_by_text("You were signed out to keep your account safe.")).to_be_visible()


def test_a_french_page_warns_in_french(browse, site, short_sessions):
    page = browse.page(UserFactory(), language="fr")
    page.goto(site + "/reports/")
    warning = page.locator("#session-warning")
    expect(warning).to_be_visible(timeout=8000)
    expect(warning.get_by_role("heading")).not_to_have_text("Are you still there?")
