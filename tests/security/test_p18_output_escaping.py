"""SECURITY 18: what people write is shown as text. Hostile markup planted in every free-text
field a person can fill in (the report, its incidents, files, notes, messages both ways, case
reasons, staff names, the resources administrators load, and what pages echo back from a query)
never becomes markup on any page that shows it, to any role that may see it. Notes and messages
keep their line breaks, and only http, https and mailto addresses in them become links, each
marked rel="noopener noreferrer nofollow"."""

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from core.models import User
from core.templatetags.richtext import richtext
from incidents import services as report_services
from incidents.inputs import IncidentInput
from support import services
from support.models import Case, CaseStatus, Match, Severity
from support.resources import resources_load
from tests.factories import UserFactory
from tests.incidents.helpers import REVIEW_STEP, answers
from tests.support.factories import coordinator_user, make_case, pdf, web_client, worker_user

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "x' onmouseover='alert(1)",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">',
    "<iframe src=//evil>",
]
HOSTILE_ELEMENTS = {"style", "iframe", "svg", "math", "object", "embed", "frame", "frameset"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
LINK_REL = {"noopener", "noreferrer", "nofollow"}
HELP_LINK = "https://example.org/help"


# Reading a page as a browser would: its elements with their attributes, and its text.


@dataclass
class Page:
    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = "".join(self._text)


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def _scheme_of(value: str) -> str:
    """An attribute value as a browser resolves its scheme: case and any whitespace or control
    characters (which browsers skip inside a URL) do not matter."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value).lower()


def dangers(html: str) -> list[str]:
    """Everything on a page through which a script could run or a link could leak."""
    found = []
    for tag, attrs in read(html).elements:
        if tag == "script" and not attrs.get("src", "").startswith(settings.STATIC_URL):
            found.append(f"a <script> not from {settings.STATIC_URL}: {attrs}")
        if tag in HOSTILE_ELEMENTS:
            found.append(f"a <{tag}> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                found.append(f"<{tag}> with a style attribute {value!r}")
            # A form field showing back what was typed is text, never followed as an address.
            if name != "value" and _scheme_of(value).startswith(BAD_SCHEMES):
                found.append(f"<{tag} {name}={value!r}>")
        off_site = tag == "a" and urlsplit(attrs.get("href", "")).netloc
        if off_site and not set(attrs.get("rel", "").split()) >= LINK_REL:
            found.append(f"an off-site link without rel={' '.join(sorted(LINK_REL))}: {attrs}")
    return found


def links(html: str) -> list[dict[str, str]]:
    return [attrs for tag, attrs in read(html).elements if tag == "a"]


# The world: one case whose every free-text field carries the payload, through the services and
# the forms people use.


@dataclass
class World:
    reporter: User
    worker: User
    coordinator: User
    case: Case
    planted: dict[str, str]  # label -> the text planted under that label


def _resources(path: Path, payload: str) -> dict[str, str]:
    """Two resources an administrator loads with the payload in every text field that is shown."""
    entries, texts = [], {}
    for slug in ("hostile-accepted", "hostile-dismissed"):
        entry = {
            "slug": slug,
            "name": f"{slug} name {payload}",
            "kind": "organization",
            "description": f"{slug} description {payload}",
            "services": ["legal"],
            "audience": f"{slug} audience {payload}",
            "cost": payload[:16],
            "hours": f"hours {payload}"[:64],
            "phone": f"phone {payload}"[:64],
            "website": "https://example.org/" + payload.replace(" ", "%20"),
            "email": "help@example.org",
        }
        entries.append(entry)
        texts.update({f"{slug} {key}": entry[key] for key in ("name", "description", "audience")})
    texts["hostile-accepted hours"] = entries[0]["hours"]
    texts["hostile-accepted phone"] = entries[0]["phone"]
    path.write_text(json.dumps(entries), encoding="utf-8")
    assert resources_load(path=path) == (2, 0)
    return texts


def _post(client, url: str, data: dict) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def _work_the_case(world: World, payload: str) -> None:
    """Notes, messages both ways, a new incident, a file, reasons and match decisions."""
    case, planted = world.case, world.planted
    planted["note"] = f"note {payload}"
    planted["staff message"] = f"staff message {payload}"
    planted["reporter message"] = f"reporter message {payload}"
    report, worker = case.report, web_client(world.worker)
    _post(worker, reverse("support:case_note", args=[case.public_id]), {"body": planted["note"]})
    _post(
        worker,
        reverse("support:case_message", args=[case.public_id]),
        {"body": planted["staff message"]},
    )
    _post(
        web_client(world.reporter),
        reverse("incidents:report_message", args=[report.public_id]),
        {"body": planted["reporter message"]},
    )

    planted["incident narrative"] = f"incident narrative {payload}"
    planted["incident identifier"] = f"incident identifier {payload}"
    report_services.incident_add(
        actor=world.reporter,
        report=report,
        data=IncidentInput(
            narrative=planted["incident narrative"],
            perpetrator_identifiers=[planted["incident identifier"]],
        ),
    )
    planted["file description"] = f"file description {payload}"
    report_services.evidence_add(
        actor=world.reporter,
        report=report,
        upload=pdf(name=f"{payload}.pdf"),  # the stored name drops <>":|*?, so it is not checked
        description=planted["file description"],
    )

    planted["status reason"] = f"status reason {payload}"
    services.case_transition(
        actor=world.coordinator,
        case=case,
        status=CaseStatus.IN_PROGRESS,
        reason=planted["status reason"],
    )
    planted["severity reason"] = f"severity reason {payload}"
    other = next(s for s in Severity.values if s != Case.objects.get(pk=case.pk).severity)
    services.case_set_severity(
        actor=world.coordinator, case=case, severity=other, reason=planted["severity reason"]
    )

    services.case_triage(case_id=case.pk)  # the task's work: the suggestions
    matches = {m.resource.slug: m for m in Match.objects.filter(case=case)}
    services.match_decide(actor=world.worker, match=matches["hostile-accepted"], action="accept")
    planted["dismissal reason"] = f"dismissal reason {payload}"
    services.match_decide(
        actor=world.worker,
        match=matches["hostile-dismissed"],
        action="dismiss",
        reason=planted["dismissal reason"],
    )


def plant(payload: str, tmp_path: Path) -> World:
    planted = _resources(tmp_path / "resources.json", payload)
    planted["helper name"] = payload[:150]
    coordinator = coordinator_user(username="cora", first_name=payload[:150])
    worker = worker_user(username="wren", first_name=payload[:150])
    reporter = UserFactory(username="riley")
    planted.update(
        {
            "narrative": f"narrative {payload}",
            "identifier": f"identifier {payload}",
            "municipality": f"municipality {payload}"[:200],
            "contact": f"contact {payload}\nsecond line {payload}",
        }
    )
    case = make_case(
        reporter,
        coordinator=coordinator,
        workers=(worker,),
        status=CaseStatus.TRIAGED,
        narrative=planted["narrative"],
        perpetrator_identifiers=[planted["identifier"]],
        municipality=planted["municipality"],
        contact_details=planted["contact"],
        needs=["legal"],
    )
    world = World(reporter, worker, coordinator, case, planted)
    _work_the_case(world, payload)
    return world


# Which texts each page shows, by label.

REPORT = [
    "narrative",
    "identifier",
    "municipality",
    "contact",
    "incident narrative",
    "incident identifier",
    "file description",
]
RESOURCE = [f"hostile-accepted {part}" for part in ("name", "description", "audience", "hours")]
RESOURCE += ["hostile-accepted phone"]
CONVERSATION = ["staff message", "reporter message"]
CASE_ONLY = ["note", "status reason", "severity reason", "dismissal reason"]
CASE_ONLY += ["hostile-dismissed name", "hostile-accepted name"]


def pages(world: World, payload: str) -> list[tuple[str, User | None, str, list[str]]]:
    """(what, who, url, labels of the planted texts it must show) for every page that shows
    them, for each role that may see it."""
    report, case = world.case.report, world.case
    report_url = reverse("incidents:report_detail", args=[report.public_id])
    case_url = reverse("support:case_detail", args=[case.public_id])
    query = {"assignee": payload}
    return [
        ("report list", world.reporter, reverse("incidents:report_list"), []),
        (
            "report page",
            world.reporter,
            report_url,
            [*REPORT, *CONVERSATION, *RESOURCE, "helper name"],
        ),
        (
            "printable report",
            world.reporter,
            reverse("incidents:report_export", args=[report.public_id]),
            REPORT,
        ),
        ("my cases", world.worker, reverse("support:my_cases"), []),
        ("case page", world.worker, case_url, [*REPORT, *CONVERSATION, *CASE_ONLY]),
        ("notifications", world.worker, reverse("support:notifications"), []),
        ("intake", world.coordinator, reverse("support:intake"), []),
        (
            "all cases, filtered",
            world.coordinator,
            reverse("support:all_cases") + "?" + urlencode(query),
            [],
        ),
        ("case page", world.coordinator, case_url, [*REPORT, *CONVERSATION, *CASE_ONLY]),
        ("pattern alerts", world.coordinator, reverse("support:alerts"), []),
        ("find support", None, reverse("find_support"), RESOURCE),
        (
            "find support, searched",
            None,
            reverse("find_support") + "?" + urlencode({"q": payload}),
            [],
        ),
    ]


def _shown(text: str, page_text: str) -> bool:
    """Every line of the planted text is on the page, as text."""
    return all(line in page_text for line in text.splitlines())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_planted_in_every_free_text_field_is_shown_as_text_on_every_page(payload, tmp_path):
    world = plant(payload, tmp_path)
    problems, missing = [], []

    for what, who, url, labels in pages(world, payload):
        response = web_client(who).get(url)
        assert response.status_code == 200, f"{what} as {who}: {response.status_code}"
        html = response.content.decode()
        problems += [f"{what} as {who}: {danger}" for danger in dangers(html)]
        text = read(html).text
        missing += [
            f"{what} as {who}: {label}"
            for label in labels
            if not _shown(world.planted[label], text)
        ]

    assert problems == []
    assert missing == []  # the payloads were really on those pages, as text


def test_a_link_in_a_message_is_clickable_and_tells_its_target_nothing(tmp_path):
    world = plant("plain words", tmp_path)
    case = world.case
    services.message_send_staff(
        actor=world.worker,
        case=case,
        body=f"The form is at {HELP_LINK}.\nWrite to wren@example.org if it fails.",
    )
    services.note_add(actor=world.worker, case=case, body=f"Sent them {HELP_LINK}")

    for who, url in [
        (world.reporter, case.report.get_absolute_url()),
        (world.worker, case.get_absolute_url()),
    ]:
        html = web_client(who).get(url).content.decode()
        helps = [a for a in links(html) if a.get("href") == HELP_LINK]
        mails = [a for a in links(html) if a.get("href") == "mailto:wren@example.org"]
        assert helps, f"no link to {HELP_LINK} for {who}"
        assert mails, f"no mailto link for {who}"
        for link in helps + mails:
            assert set(link.get("rel", "").split()) == LINK_REL
        assert dangers(html) == []


@pytest.mark.parametrize(
    "address",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "[x](javascript:alert(1))",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "javascript://example.org/%0aalert(1)",
    ],
)
def test_an_address_of_another_kind_in_a_message_stays_plain_text(tmp_path, address):
    world = plant("plain words", tmp_path)
    services.message_send_staff(actor=world.worker, case=world.case, body=f"Open {address} now")

    html = web_client(world.reporter).get(world.case.report.get_absolute_url()).content.decode()

    assert f"Open {address} now" in read(html).text
    assert not [
        a for a in links(html) if "alert" in a.get("href", "") or "msgbox" in a.get("href", "")
    ]
    assert dangers(html) == []


def test_notes_and_messages_keep_their_line_breaks_and_nothing_else():
    shown = richtext('First line\nsecond line\n\nA new paragraph <b title="x">bold?</b>')

    assert shown == (
        "<p>First line<br>second line</p>\n\n"
        "<p>A new paragraph &lt;b title=&quot;x&quot;&gt;bold?&lt;/b&gt;</p>"
    )


def test_a_link_carries_only_its_address_and_rel():
    shown = richtext("See https://example.org/help?a=1&b=2, then (https://example.org/x).")

    assert shown == (
        '<p>See <a href="https://example.org/help?a=1&amp;b=2" '
        'rel="noopener noreferrer nofollow">https://example.org/help?a=1&amp;b=2</a>, then '
        '(<a href="https://example.org/x" rel="noopener noreferrer nofollow">'
        "https://example.org/x</a>).</p>"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_review_step_of_the_report_form_shows_markup_as_text(client, payload):
    typed = {
        "narrative": f"narrative {payload}",
        "perpetrator_identifiers": f"identifier {payload}",
        "municipality": f"municipality {payload}"[:200],
        "contact_details": f"contact {payload}",
    }
    data = answers(**typed)
    data.update(step=str(REVIEW_STEP - 1), action="next")

    response = client.post(reverse("incidents:anonymous_new"), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Check your answers" in html
    assert dangers(html) == []
    shown = read(html).text
    assert [name for name, value in typed.items() if value not in shown] == []


@pytest.mark.parametrize("payload", ["<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>'])
def test_a_username_with_markup_is_refused_at_signup_and_echoed_as_text(client, payload):
    response = client.post(
        reverse("core:signup"), {"username": payload, "password": "a long enough passphrase"}
    )

    assert response.status_code == 200
    assert not User.objects.filter(username=payload).exists()
    html = response.content.decode()
    assert dangers(html) == []
    assert [
        attrs["value"] for tag, attrs in read(html).elements if attrs.get("name") == "username"
    ] == [payload]


@pytest.mark.parametrize(
    "payload",
    [p for p in PAYLOADS if "/" not in p],  # a name in the URL cannot hold a slash
)
def test_a_name_echoed_in_an_error_message_is_shown_as_text(tmp_path, payload):
    world = plant("plain words", tmp_path)
    client = web_client(world.coordinator)

    response = client.post(
        reverse("support:case_unassign", args=[world.case.public_id, payload]), follow=True
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f"{payload} does not work on this case." in read(html).text
    assert dangers(html) == []


APPS = ("core", "incidents", "support", "insights", "api")


def _escaping_turned_off() -> list[str]:
    """Every template that marks text safe or turns autoescaping off, and every module that
    builds markup Django will not escape again."""
    base = Path(settings.BASE_DIR)
    templates = [path for app in APPS for path in (base / app / "templates").rglob("*.html")]
    found = []
    for path in templates:
        source = path.read_text(encoding="utf-8")
        for pattern in (r"\|\s*safe(seq)?\b", r"{%\s*autoescape\s+off"):
            if re.search(pattern, source):
                found.append(f"{path.relative_to(base)}: {pattern}")
    for path in (path for app in APPS for path in (base / app).rglob("*.py")):
        if re.search(r"\b(mark_safe|SafeString|format_html)\(", path.read_text(encoding="utf-8")):
            found.append(str(path.relative_to(base)))
    return found


def test_no_template_or_code_turns_escaping_off_except_the_richtext_filter():
    assert _escaping_turned_off() == ["core/templatetags/richtext.py"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "website", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://x.ca"]
)
def test_a_resource_website_that_is_not_a_web_address_is_refused_and_never_linked(client, website):
    from django.core.exceptions import ValidationError

    from support.models import Resource

    resource = Resource(
        slug="odd", name="Odd", kind="organization", description="d", website=website
    )
    with pytest.raises(ValidationError) as refused:
        resource.full_clean()
    assert set(refused.value.message_dict) == {"website"}
    resource.save()  # as a row written without validation would be
    page = client.get(reverse("find_support")).content.decode()
    assert "Odd" in page
    assert website.split(":")[0] + ":" not in page
