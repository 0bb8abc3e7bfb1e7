"""Every page type, for every role, in English and in French: axe-core finds no violation.

axe-core (the copy axe-playwright-python ships) runs its whole rule set — WCAG 2.0, 2.1 and 2.2
A and AA, and its best practices — in Debian's Chromium against the live site. Each test visits
every page one person sees and reports all violations at once."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.models import Incident, Report
from support.models import Notification
from tests.factories import UserFactory
from tests.incidents.helpers import RECEIPT_PATTERN, REVIEW_STEP, answers
from tests.support.factories import add_evidence, coordinator_user, make_case, make_cast

pytestmark = pytest.mark.browser

AXE = Axe()
MISSING = "/no-such-page/"


def _pages(cast) -> dict[str, tuple[object, list[str]]]:
    report, case = cast.report, cast.case
    evidence = add_evidence(report)  # noqa: F841  (the case and report pages list it)
    report_url = f"/reports/{report.public_id}/"
    case_url = f"/staff/cases/{case.public_id}/"
    make_case(risk_flags=["imminent_danger"])  # a critical case: the coordinator is notified
    notice = Notification.objects.filter(recipient=cast.coordinator).latest("pk")
    return {
        "anonymous": (
            None,
            [
                "/",
                "/signup/",
                "/login/",
                "/find-support/",
                "/find-support/?q=police",
                "/anonymous/new/",
                "/anonymous/open/",
                MISSING,
            ],
        ),
        "reporter": (
            cast.reporter,
            [
                "/reports/",
                "/reports/new/",
                report_url,
                f"{report_url}incidents/new/",
                f"{report_url}evidence/new/",
                f"{report_url}export/",
                f"{report_url}erase/",
                "/account/security/",
                "/account/second-factor/",
            ],
        ),
        "coordinator": (
            cast.coordinator,
            [
                "/staff/intake/",
                "/staff/cases/",
                "/staff/cases/mine/",
                case_url,
                "/staff/notifications/",
                f"/staff/notifications/{notice.public_id}/",
                "/staff/cases/?status=new&severity=critical",
                "/staff/alerts/",
                "/account/security/",
            ],
        ),
        "support worker": (
            cast.worker,
            ["/staff/cases/mine/", case_url, "/staff/notifications/"],
        ),
        "analyst": (cast.analyst, ["/insights/", "/insights/explore/", "/insights/about/"]),
    }


def _violations(page) -> list[str]:
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_page_of_any_role_has_an_accessibility_violation(browse, site, language):
    found = {}
    for role, (user, paths) in _pages(make_cast()).items():
        page = browse.page(user, language=language)
        for path in paths:
            answer = page.goto(site + path)
            # The page itself, not a sign-in page it sent the person to.
            assert answer.status == (404 if path == MISSING else 200), path
            assert page.url == site + path, path
            problems = _violations(page)
            if problems:
                found[f"{role} {path}"] = problems
    assert found == {}


def _post_answers(page, step: int, action: str = "next", **overrides) -> None:
    """Post every wizard answer from the page's own form (its CSRF token with it), as the browser
    does on each step, and wait for the next page."""
    fields = {**answers(**overrides), "step": str(step), "action": action}
    with page.expect_navigation():
        page.evaluate(
            """fields => {
                const form = document.querySelector("main form[method=post]");
                form.querySelectorAll("input:not([name=csrfmiddlewaretoken]), select, textarea")
                    .forEach(element => element.remove());
                for (const [name, value] of Object.entries(fields)) {
                    for (const one of [].concat(value)) {
                        const input = document.createElement("input");
                        input.type = "hidden"; input.name = name; input.value = one;
                        form.appendChild(input);
                    }
                }
                form.submit();
            }""",
            fields,
        )


def _check(page, where: str, found: dict) -> None:
    if problems := _violations(page):
        found[where] = problems


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_step_of_both_wizards_the_receipt_and_the_receipts_report_have_none(
    browse, site, language
):
    found: dict[str, list[str]] = {}
    page = browse.page(UserFactory(), language=language)
    page.goto(site + "/reports/new/")
    for step in range(REVIEW_STEP):
        _post_answers(page, step)
        _check(page, f"reporter wizard, after step {step}", found)
    _post_answers(page, 0, narrative="")  # a step sent back with an error
    _check(page, "reporter wizard, an error", found)
    _post_answers(page, REVIEW_STEP, "submit", risk_flags=["imminent_danger"])
    _check(page, "reporter, after filing", found)
    visitor = browse.page(language=language)
    visitor.goto(site + "/anonymous/new/")
    _post_answers(visitor, REVIEW_STEP, "submit")
    _check(visitor, "anonymous, the receipt", found)
    receipt = RECEIPT_PATTERN.search(visitor.content()).group(0)
    visitor.goto(site + "/anonymous/open/")
    visitor.locator("main input[name=receipt]").fill(receipt)
    visitor.locator("main form[method=post] button[type=submit]").first.click()
    visitor.wait_for_load_state()
    _check(visitor, "receipt holder, their report", found)
    assert "/reports/" in visitor.url
    assert found == {}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_sign_in_second_factor_wrong_role_and_admin_pages_have_none(browse, site, language):
    found: dict[str, list[str]] = {}
    visitor = browse.page(language=language)
    visitor.goto(site + "/login/")
    visitor.locator("main form[method=post] button[type=submit]").first.click()
    visitor.wait_for_load_state()
    _check(visitor, "sign-in refused", found)
    newcomer = coordinator_user()
    enrolling = browse.page(newcomer, language=language, verified=False)
    TOTPDevice.objects.filter(user=newcomer).delete()  # a new staff member, no device yet
    enrolling.goto(site + "/staff/intake/")  # no device yet: sent to enrolment
    assert "/account/second-factor/" in enrolling.url
    _check(enrolling, "second factor enrolment", found)
    cast = make_cast()
    verifying = browse.page(cast.worker, language=language, verified=False)
    verifying.goto(site + "/staff/cases/mine/")
    assert "/login/code/" in verifying.url
    _check(verifying, "second factor code", found)
    for user, path in [
        (cast.reporter, "/staff/cases/mine/"),
        (cast.reporter, "/insights/"),
        (cast.analyst, "/reports/"),
        (cast.administrator, "/admin/"),
        (cast.administrator, "/admin/support/resource/"),
        (cast.administrator, "/admin/core/user/"),
    ]:
        page = browse.page(user, language=language)
        page.goto(site + path)
        _check(page, f"{user.username} {path}", found)
    assert found == {}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pages_after_an_action_have_none(browse, site, language):
    """The backup codes just made, a statistics table asked for, a report erased."""
    found: dict[str, list[str]] = {}
    cast = make_cast()
    staff = browse.page(cast.coordinator, language=language)
    staff.goto(site + "/account/security/")
    staff.locator("main form[action='/account/backup-codes/'] button[type=submit]").click()
    staff.wait_for_load_state()
    assert "/account/backup-codes/" in staff.url
    _check(staff, "backup codes", found)
    analyst = browse.page(cast.analyst, language=language)
    analyst.goto(site + "/insights/explore/?first=region&second=role&start=2026-01&end=2026-12")
    assert analyst.locator("main table").count() >= 1
    _check(analyst, "statistics table", found)
    reporter = browse.page(cast.reporter, language=language)
    reporter.goto(f"{site}/reports/{cast.report.public_id}/erase/")
    reporter.locator("main input[name=confirm]").check()
    reporter.locator("main form[method=post] button[type=submit]").click()
    reporter.wait_for_load_state()
    assert not Report.objects.filter(pk=cast.report.pk).exists()
    _check(reporter, "report erased", found)
    assert found == {}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_wait_page_and_the_damaged_record_page_have_none(browse, site, language, monkeypatch):
    found: dict[str, list[str]] = {}
    monkeypatch.setattr("core.throttling.throttled", lambda request, scope: 60)  # over the limit
    visitor = browse.page(language=language)
    visitor.goto(site + "/login/")
    with visitor.expect_response(lambda answer: answer.status == 429):
        visitor.locator("main form[method=post] button[type=submit]").first.click()
    _check(visitor, "too many tries", found)
    cast = make_cast()
    incident = cast.report.incidents.get()
    sealed = bytearray(incident.narrative_sealed)
    sealed[len(sealed) // 2] ^= 1  # one bit of the narrative altered where it is stored
    Incident.objects.filter(pk=incident.pk).update(narrative_sealed=bytes(sealed))
    reporter = browse.page(cast.reporter, language=language)
    answer = reporter.goto(f"{site}/reports/{cast.report.public_id}/")
    assert answer.status == 500
    _check(reporter, "a damaged record", found)
    assert found == {}
