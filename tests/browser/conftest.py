"""Browser tests: Playwright drives the operating system's Chromium (Debian's `chromium`, which
`.ci/run` installs; nothing is downloaded) against the site served by pytest-django's live server.

Playwright's synchronous API runs an event loop in the test's thread, which Django would take for
async code and refuse database access from; the tests are synchronous, so that check is lifted.
"""

import os
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

playwright_api = pytest.importorskip("playwright.sync_api")

# The flags a headless Chromium needs on a closed network as root, with nothing fetched at start.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("RECOURSE_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium is not installed (Debian: chromium); CI must run the browser tests"
            )
        pytest.skip("Chromium is not installed (Debian: chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def site(committed_db, live_server) -> str:
    """The live site's address; its database is committed, as a browser sees it."""
    return live_server.url


class Browse:
    """Opens pages in a fresh browser context: one language, signed in as one person or no one."""

    def __init__(self, chromium: object, site: str) -> None:
        self.chromium, self.site = chromium, site
        self.contexts: list[object] = []

    def page(self, user=None, *, language: str = "en", verified: bool = True):
        """`verified=False`: staff signed in with their password, their code still to give."""
        context = self.chromium.new_context(locale={"en": "en-CA", "fr": "fr-CA"}[language])
        self.contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)  # tests/conftest.py also verifies a staff second factor
            if not verified:
                session = client.session
                session.pop(DEVICE_ID_SESSION_KEY, None)
                session.save()
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.site}])
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browse(chromium, site) -> Iterator[Browse]:
    browsing = Browse(chromium, site)
    yield browsing
    browsing.close()
