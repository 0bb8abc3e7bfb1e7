"""SECURITY.md 24: the quick exit leaves the site and ends the session, with JavaScript on and
with it off (tests/browser/test_quick_exit.py shows both in Chromium).

Here, with Django's test client: a POST to /exit/ ends the session on the server and answers
with a page of ours that moves on to the neutral site by a meta refresh (a form's redirect to
another site would be blocked by our own `form-action 'self'`), under the same strict policy as
every page, telling the neutral site nothing and kept by no cache. A GET ends nothing, so no
other site, and no link in a message, can sign a person out."""

import re
from html.parser import HTMLParser
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXIT = reverse("incidents:quick_exit")
NEUTRAL = "https://weather.example/ca?city=Sudbury&units=metric"


@pytest.fixture(autouse=True)
def neutral_site(settings):
    settings.RECOURSE_QUICK_EXIT_URL = NEUTRAL


class ExitPage(HTMLParser):
    """The exit page's ways out (meta refresh, links) and anything that would run a script."""

    def __init__(self) -> None:
        super().__init__()
        self.refresh: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self.scripts = 0
        self.forms = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.refresh.append(values.get("content") or "")
        elif tag == "a":
            self.links.append(values)
        self.scripts += tag == "script" or any(name.startswith("on") for name, _ in attrs)
        self.forms += tag == "form"


def _read(response) -> ExitPage:
    page = ExitPage()
    page.feed(response.content.decode())
    return page


def _session_exists(key: str) -> bool:
    """Asked of the session backend itself, whichever it is (settings.SESSION_ENGINE)."""
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(key)


def _policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        if tokens := part.split():
            directives[tokens[0]] = tokens[1:]
    return directives


def test_the_quick_exit_ends_the_session_on_the_server(reporter_client):
    key = reporter_client.session.session_key
    assert _session_exists(key)

    response = reporter_client.post(EXIT)

    assert response.status_code == 200
    assert not _session_exists(key)
    assert SESSION_KEY not in reporter_client.session
    assert reporter_client.get(reverse("incidents:report_list")).status_code == 302


def test_the_old_session_cookie_opens_nothing_afterwards(reporter_client):
    old = reporter_client.cookies[settings.SESSION_COOKIE_NAME].value
    reporter_client.post(EXIT)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old

    response = replay.get(reverse("incidents:report_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_the_quick_exit_tells_the_browser_to_drop_our_cookies_and_storage(reporter_client):
    response = reporter_client.post(EXIT)

    cleared = {item.strip() for item in response["Clear-Site-Data"].split(",")}
    assert cleared == {'"cookies"', '"storage"'}  # not "cache": Chromium stalls for seconds
    # The only cookie the answer sets is the session cookie's removal: nothing new to leave behind.
    assert {name: cookie.value for name, cookie in response.cookies.items()} == {
        settings.SESSION_COOKIE_NAME: ""
    }
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0


def test_the_exit_page_moves_on_to_the_neutral_site_at_once(reporter_client):
    page = _read(reporter_client.post(EXIT))

    assert page.refresh == [f"0;url={NEUTRAL}"]
    assert [link["href"] for link in page.links] == [NEUTRAL]


def test_the_exit_page_runs_no_script_and_holds_no_form(reporter_client):
    page = _read(reporter_client.post(EXIT))

    assert page.scripts == 0
    assert page.forms == 0


def test_the_exit_page_names_neither_the_site_nor_the_person(client):
    reporter = UserFactory(username="riley.smallville", first_name="Riley")
    client.force_login(reporter)

    body = client.post(EXIT).content.decode()

    for trace in ("Recourse", "riley", "Riley", "report", "/reports/"):
        assert trace not in body


def test_the_quick_exit_works_when_nobody_is_signed_in(client):
    response = client.post(EXIT)

    assert response.status_code == 200
    assert _read(response).refresh == [f"0;url={NEUTRAL}"]


def test_the_exit_page_keeps_the_policy_of_only_our_own_origin(reporter_client):
    response = reporter_client.post(EXIT)
    policy = _policy(response)

    assert policy["form-action"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for sources in policy.values():
        assert set(sources) <= {"'self'", "'none'", "data:"}, sources
    assert "weather.example" not in response["Content-Security-Policy"]


def test_the_neutral_site_is_sent_no_referrer_and_nothing_is_cached(reporter_client):
    response = reporter_client.post(EXIT)
    body = response.content.decode()

    assert response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="referrer" content="no-referrer">' in body
    assert all(link["rel"] == "noreferrer" for link in _read(response).links)
    assert response["Cache-Control"] == "no-store"


def test_a_get_ends_nothing_so_no_other_site_can_sign_a_person_out(reporter_client, reporter):
    key = reporter_client.session.session_key

    response = reporter_client.get(EXIT)

    assert response.status_code == 405
    assert "Clear-Site-Data" not in response
    assert _session_exists(key)
    assert reporter_client.session.get(SESSION_KEY) == str(reporter.pk)


def test_a_post_without_the_csrf_token_ends_nothing_but_still_leaves(reporter):
    # As in a second tab after the first one exited (the browser dropped our CSRF cookie): the
    # person must not be kept here; and a forged post gains nothing but a trip to the weather.
    client = Client(enforce_csrf_checks=True)
    client.force_login(reporter)
    key = client.session.session_key

    response = client.post(EXIT)

    assert response.status_code == 403
    assert "Clear-Site-Data" not in response
    assert _session_exists(key)
    assert _read(response).refresh == [f"0;url={NEUTRAL}"]


def test_other_posts_without_the_csrf_token_get_django_s_refusal_as_before(reporter):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reporter)

    response = client.post(reverse("core:logout"))

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert _read(response).refresh == []
    assert client.session.get(SESSION_KEY) == str(reporter.pk)


def test_the_quick_exit_form_carries_its_csrf_token_so_it_posts_without_javascript(
    reporter_client,
):
    body = reporter_client.get(reverse("incidents:report_list")).content.decode()

    form = re.search(r'<form class="quick-exit".*?</form>', body, re.DOTALL)
    assert form is not None
    assert f'action="{EXIT}"' in form.group()
    assert 'name="csrfmiddlewaretoken"' in form.group()


def test_an_error_page_offers_the_quick_exit_as_a_link_that_tells_the_neutral_site_nothing(
    reporter_client,
):
    # Error pages carry no form and no token (a page that is not yours and a missing one answer
    # with the same bytes), so their quick exit leaves without ending the session.
    response = reporter_client.get("/no-such-page/")

    assert response.status_code == 404
    assert [link for link in _read(response).links if link["href"] == NEUTRAL] == [
        {"href": NEUTRAL, "rel": "noreferrer"}
    ]
