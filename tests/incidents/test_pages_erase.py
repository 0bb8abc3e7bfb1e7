import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent, KeyWrap
from incidents.models import Evidence, Incident, Report
from incidents.services import incident_add
from tests.factories import incident_input, make_report
from tests.incidents.helpers import field_errors, media_files, text

pytestmark = pytest.mark.django_db


def erase_url(report) -> str:
    return reverse("incidents:report_erase", args=[report.public_id])


@pytest.fixture
def full_report(reporter_client, reporter):
    """A report with two incidents and two files, added through the pages."""
    report = make_report(reporter)
    incident_add(actor=reporter, report=report, data=incident_input(narrative="Again."))
    for name in ["one.txt", "two.txt"]:
        file = SimpleUploadedFile(name, b"evidence " + name.encode(), content_type="text/plain")
        reporter_client.post(
            reverse("incidents:evidence_new", args=[report.public_id]), {"file": file}
        )
    assert Evidence.objects.filter(report=report).count() == 2
    assert len(media_files()) == 2
    return report


def test_erase_page_asks_for_confirmation(reporter_client, full_report):
    response = reporter_client.get(erase_url(full_report))

    assert response.status_code == 200
    assert 'type="checkbox" name="confirm"' in text(response)
    assert Report.objects.filter(pk=full_report.pk).exists()


def test_erasing_without_the_confirmation_changes_nothing(reporter_client, full_report):
    # A browser sends the CSRF token even when the box is not ticked.
    response = reporter_client.post(erase_url(full_report), {"csrfmiddlewaretoken": "token"})

    assert response.status_code == 200
    assert "confirm" in field_errors(response)
    assert Report.objects.filter(pk=full_report.pk).exists()
    assert Incident.objects.filter(report=full_report).count() == 2
    assert Evidence.objects.filter(report=full_report).count() == 2
    assert len(media_files()) == 2


def test_erasing_with_the_confirmation_removes_the_report_and_everything_in_it(
    reporter_client, full_report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reporter_client.post(erase_url(full_report), {"confirm": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:report_list")
    assert not Report.objects.filter(pk=full_report.pk).exists()
    assert not Incident.objects.exists()
    assert not Evidence.objects.exists()
    assert not KeyWrap.objects.filter(owner_id=full_report.public_id).exists()
    assert media_files() == []
    assert AuditEvent.objects.filter(action="report.erase").count() == 1


def test_an_erased_report_is_gone_for_its_owner(
    reporter_client, full_report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reporter_client.post(erase_url(full_report), {"confirm": "on"})

    assert reporter_client.get(full_report.get_absolute_url()).status_code == 404
    assert full_report.get_absolute_url() not in text(
        reporter_client.get(reverse("incidents:report_list"))
    )


def test_erasing_one_report_leaves_the_others(
    reporter_client, reporter, full_report, django_capture_on_commit_callbacks
):
    other = make_report(reporter)

    with django_capture_on_commit_callbacks(execute=True):
        reporter_client.post(erase_url(other), {"confirm": "on"})

    assert Report.objects.filter(pk=full_report.pk).exists()
    assert Evidence.objects.filter(report=full_report).count() == 2
    assert len(media_files()) == 2


def test_another_reporter_cannot_erase_a_report(client, outsider, full_report):
    client.force_login(outsider)

    response = client.post(erase_url(full_report), {"confirm": "on"})

    assert response.status_code == 404
    assert Report.objects.filter(pk=full_report.pk).exists()
    assert len(media_files()) == 2
