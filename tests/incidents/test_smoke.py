import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Evidence
from tests.factories import make_report

pytestmark = pytest.mark.django_db


def test_the_whole_wizard_files_a_report(reporter_client):
    url = reverse("incidents:report_new")
    assert reporter_client.get(url).status_code == 200
    data = {
        "step": "0",
        "action": "next",
        "narrative": "They followed me home.",
        "channels": ["in_person"],
        "abuse_types": ["stalking"],
    }
    response = reporter_client.post(url, data)
    assert b"Step 2 of 6" in response.content
    data.update(step="1", perpetrator_type="unknown")
    response = reporter_client.post(url, data)
    assert b"Step 3 of 6" in response.content
    data.update(step="2", role="councillor", region="central", preferred_language="en")
    response = reporter_client.post(url, data)
    data.update(step="3")
    response = reporter_client.post(url, data)
    data.update(step="4")
    response = reporter_client.post(url, data)
    assert b"Check and send" in response.content
    data.update(step="5", action="submit")
    response = reporter_client.post(url, data)
    assert response.status_code == 302
    detail = reporter_client.get(response["Location"])
    assert b"They followed me home." in detail.content


def test_evidence_upload_and_download(reporter_client, reporter):
    report = make_report(reporter)
    upload = SimpleUploadedFile("note.txt", b"hello evidence", content_type="text/plain")
    url = reverse("incidents:evidence_new", args=[report.public_id])
    response = reporter_client.post(url, {"file": upload, "description": "a note"})
    assert response.status_code == 302, response.content
    evidence = Evidence.objects.get()
    download = reporter_client.get(
        reverse("incidents:evidence_download", args=[report.public_id, evidence.public_id])
    )
    assert b"".join(download.streaming_content) == b"hello evidence"
