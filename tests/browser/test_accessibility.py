"""Every page type, for every role, in English and in French: axe-core finds no violation.

axe-core (the copy axe-playwright-python ships) runs its whole rule set — WCAG 2.0, 2.1 and 2.2
A and AA, and its best practices — in Debian's Chromium against the live site. Each test visits
every page one person sees and reports all violations at once."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.support.factories import add_evidence, make_cast

pytestmark = pytest.mark.browser

AXE = Axe()
MISSING = "/no-such-page/"


def _pages(cast) -> dict[str, tuple[object, list[str]]]:
    report, case = cast.report, cast.case
    evidence = add_evidence(report)  # noqa: F841  (the case and report pages list it)
    report_url = f"/reports/{report.public_id}/"
    case_url = f"/staff/cases/{case.public_id}/"
    return {
        "anonymous": (
            None,
            [
                "/",
                "/signup/",
                "/login/",
                "/find-support/",
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
