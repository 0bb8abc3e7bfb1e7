"""SECURITY.md 15: a strict Content-Security-Policy naming no origin but our own, with
frame-ancestors 'none'; Referrer-Policy no-referrer; Cache-Control no-store on anything showing
case content; a Permissions-Policy denying camera, microphone and geolocation; and pages that
need nothing the policy forbids (no inline script, style or event handler)."""

import uuid
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.security.support import API, token_client
from tests.support.factories import Cast, add_evidence, make_cast

pytestmark = pytest.mark.django_db

# Where a source may point: our own origin, or nowhere. Images may also be data: URLs (the QR
# code of the second-factor enrolment is one).
OWN = {"'self'", "'none'"}
ALSO_ALLOWED = {"img-src": {"data:"}}


@dataclass(frozen=True)
class Page:
    who: str
    path: str
    case_content: bool = False
    html: bool = True


def pages(report: uuid.UUID, case: uuid.UUID, evidence_id: uuid.UUID) -> dict[str, Page]:
    return {
        "home": Page("anonymous visitor", reverse("core:home")),
        "sign-in page": Page("anonymous visitor", reverse("core:login")),
        "sign-up page": Page("anonymous visitor", reverse("core:signup")),
        "anonymous report form": Page("anonymous visitor", reverse("incidents:anonymous_new")),
        "find support": Page("anonymous visitor", reverse("find_support")),
        "a report": Page("reporter", reverse("incidents:report_detail", args=[report]), True),
        "a report's export": Page(
            "reporter", reverse("incidents:report_export", args=[report]), True
        ),
        "the reporter's list": Page("reporter", reverse("incidents:report_list"), True),
        "an evidence file": Page(
            "reporter",
            reverse("incidents:evidence_download", args=[report, evidence_id]),
            case_content=True,
            html=False,
        ),
        "the enrolment page": Page("reporter", reverse("core:second_factor_enrol")),
        "a case": Page("coordinator", reverse("support:case_detail", args=[case]), True),
        "the intake queue": Page("coordinator", reverse("support:intake"), True),
        "the insights dashboard": Page("analyst", reverse("insights:dashboard")),
        "the insights explorer": Page("analyst", reverse("insights:explorer")),
        "the API documentation": Page("anonymous visitor", reverse("api_docs")),
        "the API taxonomy": Page("anonymous visitor", f"{API}/taxonomy/", html=False),
        "a report over the API": Page(
            "reporter token", f"{API}/reports/{report}/", case_content=True, html=False
        ),
        "a case over the API": Page(
            "coordinator token", f"{API}/cases/{case}/", case_content=True, html=False
        ),
        "a page that does not exist": Page("anonymous visitor", "/no-such-page/"),
        "an API address that does not exist": Page(
            "anonymous visitor", f"{API}/no-such-thing/", html=False
        ),
    }


_ANY = pages(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
EVERYTHING = list(_ANY)
WITH_CASE_CONTENT = [name for name, page in _ANY.items() if page.case_content]
HTML_PAGES = [name for name, page in _ANY.items() if page.html]


def _client(cast: Cast, who: str):
    if who == "reporter token":
        return token_client(cast.reporter)
    if who == "coordinator token":
        return token_client(cast.coordinator)
    client = Client()
    user = {"reporter": cast.reporter, "coordinator": cast.coordinator, "analyst": cast.analyst}
    if who in user:
        client.force_login(user[who])
    return client


def fetch(name: str):
    cast = make_cast()
    evidence_id = uuid.UUID(add_evidence(cast.report))
    page = pages(cast.report.public_id, cast.case.public_id, evidence_id)[name]
    response = _client(cast, page.who).get(page.path)
    assert response.status_code in (200, 404), (name, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return page, response, body


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            assert tokens[0] not in directives, f"{tokens[0]} twice"
            directives[tokens[0]] = tokens[1:]
    return directives


@pytest.mark.parametrize("name", EVERYTHING)
def test_the_content_security_policy_allows_only_our_own_origin(name):
    _, response, _ = fetch(name)
    policy = csp(response)

    assert "Content-Security-Policy-Report-Only" not in response
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for directive, sources in policy.items():
        allowed = OWN | ALSO_ALLOWED.get(directive, set())
        assert set(sources) <= allowed, (directive, sources)
    header = response["Content-Security-Policy"]
    for forbidden in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "http:", "https:"):
        assert forbidden not in header


@pytest.mark.parametrize("name", EVERYTHING)
def test_frames_referrers_sniffing_and_powerful_features_are_refused(name):
    _, response, _ = fetch(name)
    features = dict(
        item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
    )

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert features["camera"] == "()"
    assert features["microphone"] == "()"
    assert features["geolocation"] == "()"


@pytest.mark.parametrize("name", WITH_CASE_CONTENT)
def test_what_shows_case_content_is_never_cached(name):
    _, response, _ = fetch(name)
    directives = {part.strip() for part in response["Cache-Control"].split(",")}

    assert "no-store" in directives


class InlineFinder(HTMLParser):
    """Everything in a page that a policy without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
            if not attributes.get("src"):
                self.found.append("a <script> without src")
        if tag == "style":
            self.found.append("a <style> element")
        for name, value in attributes.items():
            if name == "style":
                self.found.append(f"a style attribute on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"an {name} handler on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"a javascript: URL on <{tag}>")


@pytest.mark.parametrize("name", HTML_PAGES)
def test_pages_hold_no_inline_script_style_or_handler(name):
    _, response, body = fetch(name)
    assert response["Content-Type"].startswith("text/html")
    finder = InlineFinder()

    finder.feed(body.decode())

    assert finder.found == []


def test_the_inline_finder_finds_what_the_policy_would_block():
    finder = InlineFinder()
    finder.feed(
        '<script>alert(1)</script><style>p{}</style><p style="color:red" onclick="x()">'
        '<a href="javascript:void(0)">x</a><script src="/static/js/quick-exit.js"></script>'
    )

    assert len(finder.found) == 5
    assert finder.scripts == 2


def test_the_site_pages_load_their_script_from_our_own_files():
    _, response, body = fetch("home")
    finder = InlineFinder()
    finder.feed(body.decode())

    assert finder.scripts >= 1
    assert "/static/js/quick-exit.js" in body.decode()
    assert response.status_code == 200


def test_the_api_documentation_script_is_served_from_here_and_is_not_inline():
    response = APIClient().get(reverse("api_docs"))
    page = response.content.decode()

    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()
