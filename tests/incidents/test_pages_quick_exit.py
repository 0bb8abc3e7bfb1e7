from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from core.models import Role
from tests.factories import UserFactory, make_report
from tests.incidents.helpers import has_quick_exit, submit_wizard, text

pytestmark = pytest.mark.django_db

SIGNED_OUT_PAGES = ["core:home", "core:signup", "core:login", "incidents:anonymous_open"]
REPORT_PAGES = [
    "incidents:report_detail",
    "incidents:incident_new",
    "incidents:evidence_new",
    "incidents:report_export",
    "incidents:report_erase",
]


def reporter_pages(client, reporter):
    """Every page a reporter sees, by name, fetched as that reporter would."""
    pages = {name: client.get(reverse(name)) for name in SIGNED_OUT_PAGES}
    pages["incidents:anonymous_new"] = client.get(reverse("incidents:anonymous_new"))
    pages["receipt"] = submit_wizard(client, reverse("incidents:anonymous_new"))
    client.force_login(reporter)
    report = make_report(reporter)
    pages["core:home (signed in)"] = client.get(reverse("core:home"))
    pages["incidents:report_list"] = client.get(reverse("incidents:report_list"))
    pages["incidents:report_new"] = client.get(reverse("incidents:report_new"))
    for name in REPORT_PAGES:
        pages[name] = client.get(reverse(name, args=[report.public_id]))
    return pages


def test_every_reporter_page_has_the_quick_exit(client, reporter):
    pages = reporter_pages(client, reporter)

    assert len(pages) == 14
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert has_quick_exit(response), name
        assert '<script src="/static/js/quick-exit.js" defer></script>' in text(response), name


def test_every_reporter_page_is_never_cached(client, reporter):
    for name, response in reporter_pages(client, reporter).items():
        assert response["Cache-Control"] == "no-store", name


def test_the_403_page_for_staff_is_never_cached(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    response = client.get(reverse("incidents:report_list"))

    assert response["Cache-Control"] == "no-store"
    assert has_quick_exit(response)


def test_quick_exit_script_leaves_without_a_history_entry():
    path = finders.find("js/quick-exit.js")
    assert path is not None
    script = Path(path).read_text()

    assert "location.replace(" in script
    assert "data-quick-exit" in script
    assert "location.href =" not in script


def _moves_on_to_the_neutral_page(response) -> bool:
    """The exit page leaves by a meta refresh, not a redirect: our CSP's form-action would block
    a form's redirect to another site (tests/security/test_p24_quick_exit.py has the rest)."""
    refresh = f'<meta http-equiv="refresh" content="0;url={settings.RECOURSE_QUICK_EXIT_URL}">'
    return response.status_code == 200 and refresh in text(response)


def test_quick_exit_signs_out_and_goes_to_the_neutral_page(reporter_client):
    response = reporter_client.post(reverse("incidents:quick_exit"))

    assert _moves_on_to_the_neutral_page(response)
    assert reporter_client.get(reverse("incidents:report_list")).status_code == 302


def test_quick_exit_works_when_not_signed_in(client):
    response = client.post(reverse("incidents:quick_exit"))

    assert _moves_on_to_the_neutral_page(response)


def test_quick_exit_only_answers_post(reporter_client):
    response = reporter_client.get(reverse("incidents:quick_exit"))

    assert response.status_code == 405
    assert reporter_client.get(reverse("incidents:report_list")).status_code == 200
