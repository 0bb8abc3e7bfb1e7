"""Signing up in the browser: the page made after it shows the whole username (the name typed and
4 characters added), passes axe-core like every other page, and leads on to the person's reports."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from core.models import User

pytestmark = pytest.mark.browser

STRONG = "maple syrup on a quiet tuesday"


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_visitor_signs_up_sees_their_whole_username_and_goes_on_to_their_reports(
    browse, site, language
):
    page = browse.page(language=language)
    page.goto(f"{site}/signup/")
    page.locator("#id_username").fill("riley")
    page.locator("#id_password").fill(STRONG)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    user = User.objects.get(username__regex=r"^riley-[0-9A-Z]{4}$")
    expect(page.locator("#username")).to_have_text(user.username)
    assert axe_violations(page) == []

    with page.expect_navigation():
        page.locator("main a.button").click()
    assert re.fullmatch(rf"{re.escape(site)}/reports/", page.url)
