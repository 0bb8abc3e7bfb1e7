"""Sending the same filing form twice (a reload of the page that answered it) files one report."""

import pytest
from django.urls import reverse

from core.models import User
from incidents.models import Report
from tests.factories import report_input
from tests.incidents.helpers import answers

pytestmark = pytest.mark.django_db


def _final_post(client, url):
    page = client.get(url)
    key = page.context["form"]["submission_key"].value()
    data = {**answers(), "step": "5", "action": "submit", "submission_key": key}
    return data, client.post(url, data)


def test_resending_the_anonymous_form_does_not_file_a_second_report(client):
    url = reverse("incidents:anonymous_new")
    data, first = _final_post(client, url)
    assert first.status_code == 200
    assert "receipt" in first.context
    again = client.post(url, data)
    assert again.status_code == 200
    assert "already sent" in again.content.decode()
    assert Report.objects.count() == 1
    assert User.objects.filter(is_receipt_account=True).count() == 1


def test_resending_a_signed_in_reporters_form_does_not_file_a_second_report(reporter_client):
    url = reverse("incidents:report_new")
    data, first = _final_post(reporter_client, url)
    assert first.status_code == 302
    again = reporter_client.post(url, data)
    assert "already sent" in again.content.decode()
    assert Report.objects.count() == 1


def test_two_fresh_forms_get_different_submission_keys(client):
    url = reverse("incidents:anonymous_new")
    first = client.get(url).context["form"]["submission_key"].value()
    second = client.get(url).context["form"]["submission_key"].value()
    assert first
    assert second
    assert first != second


def test_the_submission_key_is_stored_only_as_a_keyed_hash(reporter):
    from incidents.services import report_submit

    report = report_submit(actor=reporter, data=report_input(submission_key="plain-key-123"))
    assert report.submission_digest
    assert "plain-key-123" not in report.submission_digest
    assert len(report.submission_digest) == 64


def test_a_flagged_danger_is_answered_with_a_call_911_notice(reporter_client, reporter):
    from incidents.services import report_submit

    report = report_submit(actor=reporter, data=report_input(risk_flags=["imminent_danger"]))
    page = reporter_client.get(report.get_absolute_url())
    assert "If you are in danger now, call 911" in page.content.decode()
    calm = report_submit(actor=reporter, data=report_input())
    assert (
        "call 911"
        not in reporter_client.get(calm.get_absolute_url()).content.decode().split("<footer")[0]
    )
