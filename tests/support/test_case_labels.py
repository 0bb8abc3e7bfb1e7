"""The staff pages name case events, their values, notices and suggestions by their labels, in
the reader's language, never by the codes stored."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from support import matching, services
from support.models import CaseStatus, Match
from support.resources import resources_load
from tests.support.factories import make_case, make_cast, web_client

pytestmark = pytest.mark.django_db


def _french(text: str) -> str:
    with translation.override("fr"):
        return gettext(text)


def test_the_case_history_shows_labels_in_english_and_in_french():
    cast = make_cast(status=CaseStatus.TRIAGED)
    page = (
        web_client(cast.coordinator)
        .get(f"/staff/cases/{cast.case.public_id}/", HTTP_ACCEPT_LANGUAGE="en")
        .text
    )
    assert "Status changed: New → Triaged" in page
    french = (
        web_client(cast.coordinator)
        .get(f"/staff/cases/{cast.case.public_id}/", HTTP_ACCEPT_LANGUAGE="fr")
        .text
    )
    assert f"{_french('Status changed')}: {_french('New')} → {_french('Triaged')}" in french
    assert _french("Triaged") != "Triaged"
    assert "→ triaged" not in french


def test_a_notice_is_named_by_its_label_in_both_languages():
    cast = make_cast()
    make_case(risk_flags=["imminent_danger"])  # the coordinator is told of a critical case
    client = web_client(cast.coordinator)
    assert "Critical case ·" in client.get("/staff/notifications/", HTTP_ACCEPT_LANGUAGE="en").text
    french = client.get("/staff/notifications/", HTTP_ACCEPT_LANGUAGE="fr").text
    assert f"{_french('Critical case')} ·" in french


def test_a_suggestions_status_is_shown_by_its_label():
    resources_load()  # the directory the suggestions come from
    cast = make_cast()
    matching.case_match(case=cast.case)  # what the triage task does
    assert Match.objects.filter(case=cast.case, status="suggested").exists()
    french = (
        web_client(cast.worker)
        .get(f"/staff/cases/{cast.case.public_id}/", HTTP_ACCEPT_LANGUAGE="fr")
        .text
    )
    assert f"({_french('Suggested')}, " in french


def test_a_reason_the_system_gave_is_shown_in_the_readers_language_and_a_persons_as_written():
    cast = make_cast(status=CaseStatus.WAITING_ON_REPORTER)
    services.message_send_reporter(actor=cast.reporter, report=cast.report, body="Here it is.")
    client = web_client(cast.coordinator)
    url = f"/staff/cases/{cast.case.public_id}/"
    assert "— reporter replied" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").text
    assert f"— {_french('reporter replied')}" in french
    assert _french("reporter replied") != "reporter replied"
    assert "— moving along" in french  # the coordinator's own words, as written
