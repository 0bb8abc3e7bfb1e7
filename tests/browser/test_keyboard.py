"""With the keyboard alone: the skip link comes first and leads into the page, every control
shows where the focus is, and the quick exit is reached by Tab or by pressing Escape twice."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.support.factories import make_cast

pytestmark = pytest.mark.browser

NEUTRAL = "https://neutral.example/"  # where the quick exit goes in these tests
SHOWS_FOCUS = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""
FOCUSED = "() => document.activeElement.outerHTML.slice(0, 120)"


@pytest.fixture
def neutral_site(settings):
    settings.RECOURSE_QUICK_EXIT_URL = NEUTRAL


def _answer_neutral(page) -> None:
    """The neutral site, answered by the browser itself: the tests reach nothing outside."""
    page.route(f"{NEUTRAL}**", lambda route: route.fulfill(body="<title>Weather</title>"))


def _tab_through(page, limit: int = 80) -> list[str]:
    """Press Tab until the focus comes round again; the controls that did not show focus."""
    unseen, seen = [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = page.evaluate(FOCUSED)
        if here in seen or here.startswith("<body"):
            break
        seen.add(here)
        if not page.evaluate(SHOWS_FOCUS):
            unseen.append(here)
    assert len(seen) > 3
    return unseen


def test_the_skip_link_is_the_first_stop_and_leads_into_the_page(browse, site):
    page = browse.page()
    page.goto(site + "/find-support/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_control_shows_where_the_focus_is_for_every_role(browse, site, language):
    cast = make_cast()
    visits = [
        (None, "/"),
        (cast.reporter, "/reports/new/"),
        (cast.reporter, f"/reports/{cast.report.public_id}/"),
        (cast.coordinator, f"/staff/cases/{cast.case.public_id}/"),
        (cast.analyst, "/insights/"),
    ]
    unseen = {}
    for user, path in visits:
        page = browse.page(user, language=language)
        page.goto(site + path)
        if missing := _tab_through(page):
            unseen[path] = missing
    assert unseen == {}


def test_the_quick_exit_is_reached_by_tab_and_leaves_without_a_way_back(browse, site, neutral_site):
    page = browse.page(UserFactory())
    _answer_neutral(page)
    page.goto(site + "/find-support/")
    page.goto(site + "/reports/new/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Quick exit")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(NEUTRAL)
    page.go_back()
    assert not page.url.endswith("/reports/new/")  # the form was replaced in the history


def test_pressing_escape_twice_leaves_at_once_and_ends_the_session(browse, site, neutral_site):
    page = browse.page(UserFactory())
    _answer_neutral(page)
    page.goto(site + "/reports/")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL)
    page.goto(site + "/reports/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/reports/"))


def test_pressing_escape_once_does_nothing(browse, site, neutral_site):
    page = browse.page(UserFactory())
    _answer_neutral(page)
    page.goto(site + "/reports/")
    page.keyboard.press("Escape")
    page.wait_for_timeout(1000)  # longer than the 800 ms in which a second press would count
    assert page.url == site + "/reports/"
