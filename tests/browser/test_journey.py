"""End-to-end journeys in the browser: a reporter files a threat with the keyboard alone, the
coordinator sees it first in the intake queue and assigns a support worker, the worker writes to
the reporter and accepts a suggested resource, the reporter reads both, and the analyst sees the
counts with the small ones hidden. Once with an account, once anonymously with a receipt.

The reporter's part uses the keyboard only: focus moves by Tab, choices by Space and the arrow
keys, text is typed into the focused field and forms are sent with Enter. A control Tab cannot
reach fails the journey. The file chooser alone is handled by Playwright, after Space opens it.

With RECOURSE_SCREENSHOTS=1 the account journey also saves the main pages to docs/screenshots/.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from playwright.sync_api import expect

from incidents.models import Report
from incidents.taxonomy import AbuseType
from insights.models import ExtractValue
from support.models import Match, MatchStatus
from support.resources import resources_load
from tests.factories import UserFactory
from tests.support.factories import analyst_user, coordinator_user, make_case, worker_user

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TAB_LIMIT = 80  # more presses than any page here needs to reach a control
THREAT = "Threat of violence"
LOCATION_KNOWN = "They know where I live or work"
NARRATIVE = "A reply under my campaign video said they would come to my office with a weapon."
FILE_DESCRIPTION = "Screenshot of the reply"
MESSAGE = "I read your report and I am here to help. Let us talk about a safety plan today."


# The keyboard.


def is_focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement", timeout=5000)


def tab_to(page, target) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would; a control Tab never
    reaches fails here."""
    for _ in range(TAB_LIMIT):
        if is_focused(target):
            break
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def arrow_to(page, radio) -> None:
    """Move through a radio group with the arrow keys until `radio` is chosen (and focused)."""
    for _ in range(TAB_LIMIT):
        if is_focused(radio):
            break
        page.keyboard.press("ArrowDown")
    expect(radio).to_be_focused()
    expect(radio).to_be_checked()


def tick(page, checkbox) -> None:
    tab_to(page, checkbox)
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()


def type_into(page, field, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)
    expect(field).to_have_value(text)


def press_button(page, name: str) -> None:
    tab_to(page, page.get_by_role("button", name=name, exact=True))
    page.keyboard.press("Enter")


def skip_to_content(page) -> None:
    """The first Tab reaches "Skip to content"; Enter moves the focus to the page's content."""
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def continue_to(page, step_title: str) -> None:
    press_button(page, "Continue")
    expect(page.get_by_role("heading", level=2, name=step_title)).to_be_visible()


def expect_at(page, site: str, path: str) -> None:
    """At `path`; after "Skip to content" its #main fragment may follow the person along."""
    expect(page).to_have_url(re.compile(re.escape(site + path) + "(#main)?$"))


# The people and the pages.


def screenshot(page, name: str) -> None:
    """Only when asked for (RECOURSE_SCREENSHOTS=1), so that ordinary runs leave docs/ alone."""
    if os.environ.get("RECOURSE_SCREENSHOTS") != "1":
        return
    page.set_viewport_size({"width": 1280, "height": 800})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


@pytest.fixture
def earlier_cases(site):
    """The resource directory, and cases filed earlier and less severe: one high (doxxing), the
    others medium or low. All consent to statistics, and they are more than the suppression
    threshold, so the analyst's dashboard has counts it shows as well as counts it hides."""
    resources_load()
    kinds = ["insults", "impersonation", "disinformation", "coordinated_campaign"]
    cases = [make_case(abuse_types=["doxxing"], consent_statistics=True)]
    cases += [
        make_case(abuse_types=[kinds[i % len(kinds)]], consent_statistics=True)
        for i in range(settings.RECOURSE_STATS_THRESHOLD + 1)
    ]
    return cases


@pytest.fixture
def coordinator(site):
    return coordinator_user(first_name="Cora")


@pytest.fixture
def worker(site):
    return worker_user(first_name="Wren")


@pytest.fixture
def analyst(site):
    return analyst_user()


@pytest.fixture
def evidence_file(tmp_path) -> Path:
    path = tmp_path / "threat-reply.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    return path


def describe_a_threat_by_keyboard(page, *, heading: str) -> None:
    """The wizard's first step, by keyboard: what happened, where, and that it was a threat."""
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="What happened")).to_be_visible()
    skip_to_content(page)
    type_into(page, page.get_by_label("What happened?"), NARRATIVE)
    tick(page, page.get_by_label("Facebook", exact=True))
    tick(page, page.get_by_label(THREAT, exact=True))


def finish_the_report_by_keyboard(page) -> None:
    """The other four steps and the review, by keyboard: someone who knows where the reporter
    works, counted in the statistics; then "Send report"."""
    continue_to(page, "Who did this")

    tab_to(page, page.get_by_label("I don't know who it is"))
    arrow_to(page, page.get_by_label("An anonymous or fake account"))
    type_into(page, page.get_by_label("Accounts, addresses or numbers used"), "@not_a_real_account")
    continue_to(page, "About you")

    tab_to(page, page.get_by_label("Candidate", exact=True))  # no choice yet: Tab reaches the first
    arrow_to(page, page.get_by_label("Councillor", exact=True))
    region = page.get_by_label("Region of Ontario")
    tab_to(page, region)
    page.keyboard.type("Eastern")  # a closed list chooses by typing its first letters
    expect(region).to_have_value("eastern")
    type_into(page, page.get_by_label("Municipality"), "Smallville")
    continue_to(page, "Safety and support")

    tick(page, page.get_by_label(LOCATION_KNOWN))
    tick(page, page.get_by_label("Going to the police"))
    continue_to(page, "Your choices")

    tick(page, page.get_by_label(re.compile("^Count this report")))
    continue_to(page, "Check and send")

    review = page.locator("section.review")
    expect(review.filter(has_text="What happened")).to_contain_text(THREAT)
    expect(review.filter(has_text="Safety and support")).to_contain_text(LOCATION_KNOWN)
    press_button(page, "Send report")


def add_a_file_by_keyboard(page, path: Path) -> None:
    """From the report page: "Add a file", the file chooser opened with Space, a description."""
    # Playwright asks the browser to hand it file choosers without waiting for the answer, so a
    # key pressed at once can beat the request. Listening before the next page loads settles it.
    page.on("filechooser", lambda chooser: None)
    tab_to(page, page.get_by_role("link", name="Add a file"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Add a file")).to_be_visible()
    skip_to_content(page)
    tab_to(page, page.get_by_label(re.compile("^File")))
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(path)
    type_into(page, page.get_by_label("What is this?"), FILE_DESCRIPTION)
    press_button(page, "Add file")
    expect(page.get_by_text("The file was encrypted and added to your report.")).to_be_visible()
    files = page.locator("section[aria-labelledby='files-heading']")
    expect(files.get_by_role("link", name=path.name)).to_be_visible()
    expect(files).to_contain_text(FILE_DESCRIPTION)


def coordinator_sees_the_case_first(browse, site, *, case, earlier, coordinator):
    """The intake queue puts the critical case first, above the older, less severe ones."""
    page = browse.page(coordinator)
    page.goto(site + "/staff/intake/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(len(earlier) + 1)
    first = rows.first
    expect(first.locator(".severity")).to_have_text("Critical")
    expect(first.get_by_role("link")).to_have_attribute("href", case.get_absolute_url())
    expect(rows.nth(1).locator(".severity")).not_to_have_text("Critical")
    return page


def coordinator_assigns_the_worker(page, site, *, case, worker) -> None:
    """From the queue, the coordinator opens the case and assigns the support worker."""
    page.locator("table tbody tr").first.get_by_role("link").click()
    expect_at(page, site, case.get_absolute_url())
    page.get_by_label("Support worker").select_option(worker.username)
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text(f"{worker.username} now works on this case.")).to_be_visible()
    assigned = page.locator("dl.facts dt:has-text('Assigned to') + dd")
    expect(assigned).to_contain_text(worker.username)


def worker_writes_and_accepts_recourse(browse, site, *, case, worker):
    """The worker opens the case from "My cases", writes to the reporter and accepts a resource
    suggested for the threat. Returns the case page and the resource's name."""
    page = browse.page(worker)
    page.goto(site + "/staff/cases/mine/")
    page.locator("table tbody").get_by_role("link").first.click()
    expect_at(page, site, case.get_absolute_url())

    page.get_by_label("Write to the reporter").fill(MESSAGE)
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("section[aria-labelledby='messages-heading']")).to_contain_text(MESSAGE)

    # Filing queued the triage task, which matched the case to the directory; the test settings
    # run tasks synchronously (Q_CLUSTER sync), so the suggestions are already on the page.
    suggestion = page.locator(".match").filter(has_text="Suggested because threat of violence")
    expect(suggestion.first).to_be_visible()
    name = suggestion.first.locator("h3").evaluate("h3 => h3.firstChild.textContent.trim()")
    suggestion.first.get_by_role("button", name="Accept").click()
    accepted = page.locator(".match-accepted")
    expect(accepted).to_have_count(1)
    expect(accepted.locator("h3")).to_contain_text(name)
    assert Match.objects.get(case=case, status=MatchStatus.ACCEPTED).resource.name == name
    return page, name


def reporter_reads_the_message_and_the_resource(page, *, worker, resource: str) -> None:
    expect(page.get_by_text(f"{worker.first_name} is helping you.")).to_be_visible()
    conversation = page.locator("ol.entries")
    expect(conversation).to_contain_text("Your support team")
    expect(conversation).to_contain_text(MESSAGE)
    suggested = page.locator("section[aria-labelledby='resources-heading']")
    expect(suggested.get_by_role("heading", name="Recourse suggested for you")).to_be_visible()
    expect(suggested.get_by_role("heading", name=resource, exact=True)).to_be_visible()


def true_counts(dimension: str) -> dict[str, int]:
    """What the statistical extract really holds, before any suppression."""
    rows = ExtractValue.objects.filter(dimension=dimension).values("value").annotate(n=Count("id"))
    return {row["value"]: row["n"] for row in rows}


def numbers_of(page, dimension: str) -> dict[str, str]:
    """A chart's table of numbers, opened from its "The numbers of …" summary: label → text."""
    section = page.locator(f"section[aria-labelledby='chart-{dimension}']")
    section.locator("summary").click()
    rows = section.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    return {row.locator("th").inner_text(): row.locator("td").inner_text() for row in rows.all()}


def analyst_sees_counts_with_small_ones_hidden(browse, site, *, analyst):
    threshold = settings.RECOURSE_STATS_THRESHOLD
    hidden = f"fewer than {threshold + 1}"
    page = browse.page(analyst)
    page.goto(site + "/insights/")
    expect(page.get_by_role("heading", level=1, name="Statistics overview")).to_be_visible()

    # Every report filed so far this month consented, and there are more than the threshold.
    months, per_month = numbers_of(page, "month"), true_counts("month")
    assert per_month
    for month, count in per_month.items():
        assert count > threshold
        assert months[month] == str(count)
    assert months["Total"] == str(sum(per_month.values()))

    # One threat among them: a small count, shown as hidden, in the table and in the chart.
    kinds, per_kind = numbers_of(page, "abuse_type"), true_counts("abuse_type")
    assert 1 <= per_kind["threat_of_violence"] <= threshold
    assert kinds[THREAT] == hidden
    chart = page.locator("section[aria-labelledby='chart-abuse_type'] svg")
    expect(chart.locator("text", has_text=hidden).first).to_be_visible()
    for code, label in AbuseType.choices:
        count = per_kind.get(code, 0)
        if 1 <= count <= threshold:
            assert kinds[label] == hidden, label
        else:  # shown as it is, or hidden too so that no hidden count can be worked out
            assert kinds[label] in (str(count), hidden), label
    return page


# The journeys.


def test_a_reporter_files_a_threat_by_keyboard_and_reads_the_workers_reply_and_recourse(
    browse, site, earlier_cases, coordinator, worker, analyst, evidence_file
):
    reporter = UserFactory()
    page = browse.page(reporter)
    page.goto(site + "/reports/new/")
    describe_a_threat_by_keyboard(page, heading="New report")
    screenshot(page, "reporter-form")
    finish_the_report_by_keyboard(page)
    expect(page.get_by_role("heading", level=1, name="Your report")).to_be_visible()
    report = Report.objects.get(reporter=reporter)
    expect_at(page, site, report.get_absolute_url())
    add_a_file_by_keyboard(page, evidence_file)

    case = report.case
    queue = coordinator_sees_the_case_first(
        browse, site, case=case, earlier=earlier_cases, coordinator=coordinator
    )
    screenshot(queue, "coordinator-queue")
    coordinator_assigns_the_worker(queue, site, case=case, worker=worker)
    case_page, resource = worker_writes_and_accepts_recourse(browse, site, case=case, worker=worker)
    screenshot(case_page, "case-page")

    page.reload()  # the reporter comes back to the report page
    reporter_reads_the_message_and_the_resource(page, worker=worker, resource=resource)
    dashboard = analyst_sees_counts_with_small_ones_hidden(browse, site, analyst=analyst)
    screenshot(dashboard, "dashboard")


def test_an_anonymous_reporter_files_by_keyboard_and_with_the_receipt_reads_reply_and_recourse(
    browse, site, earlier_cases, coordinator, worker, analyst, evidence_file
):
    page = browse.page()
    page.goto(site + "/anonymous/new/")
    describe_a_threat_by_keyboard(page, heading="Report without an account")
    finish_the_report_by_keyboard(page)
    expect(page.get_by_role("heading", level=1, name="Your report was sent")).to_be_visible()
    receipt = page.locator(".receipt code").inner_text()  # written down somewhere safe
    assert re.fullmatch(r"[\w-]{20,}", receipt)
    report = Report.objects.exclude(pk__in=[case.report_id for case in earlier_cases]).get()

    case = report.case
    queue = coordinator_sees_the_case_first(
        browse, site, case=case, earlier=earlier_cases, coordinator=coordinator
    )
    coordinator_assigns_the_worker(queue, site, case=case, worker=worker)
    _, resource = worker_writes_and_accepts_recourse(browse, site, case=case, worker=worker)

    later = browse.page()  # another day, another browser, nobody signed in
    later.goto(site + "/anonymous/open/")
    skip_to_content(later)
    type_into(later, later.get_by_label("Your receipt"), receipt)
    press_button(later, "Open report")
    expect_at(later, site, report.get_absolute_url())
    reporter_reads_the_message_and_the_resource(later, worker=worker, resource=resource)
    add_a_file_by_keyboard(later, evidence_file)
    analyst_sees_counts_with_small_ones_hidden(browse, site, analyst=analyst)
