import hashlib
import os
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Evidence
from tests.api.helpers import evidence_url, report_url
from tests.conftest import api_login
from tests.factories import make_report

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload(client, report_id, name: str, content: bytes, description: str = "a screenshot"):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(
        evidence_url(report_id), {"file": file, "description": description}, format="multipart"
    )


@pytest.fixture
def report(reporter):
    return make_report(reporter)


@pytest.fixture
def reporter_api(api_client, reporter):
    return api_login(api_client, reporter)


@pytest.fixture
def evidence(reporter_api, report):
    response = upload(reporter_api, report.public_id, "letter.pdf", PDF)
    assert response.status_code == 201, response.content
    return Evidence.objects.get(public_id=uuid.UUID(response.json()["id"]))


def test_reporter_adds_a_file_to_their_report(reporter_api, report):
    response = upload(reporter_api, report.public_id, "screenshot.png", PNG, "the reply")

    assert response.status_code == 201
    assert set(response.json()) == {"id"}
    [item] = reporter_api.get(report_url(report.public_id)).json()["evidence"]
    assert item["id"] == response.json()["id"]
    assert item["name"] == "screenshot.png"
    assert item["content_type"] == "image/png"
    assert item["size"] == len(PNG)
    assert item["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert item["description"] == "the reply"


def test_reporter_downloads_the_exact_bytes(reporter_api, report, evidence):
    response = reporter_api.get(evidence_url(report.public_id, evidence.public_id))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"


def test_a_large_file_downloads_the_exact_bytes(reporter_api, report):
    content = b"line of a long transcript\n" * 10_000  # several 64 KiB chunks
    evidence_id = upload(reporter_api, report.public_id, "t.txt", content).json()["id"]

    response = reporter_api.get(evidence_url(report.public_id, evidence_id))

    assert b"".join(response.streaming_content) == content


def test_a_download_is_an_attachment(reporter_api, report, evidence):
    response = reporter_api.get(evidence_url(report.public_id, evidence.public_id))

    assert response.get("Content-Disposition", "").startswith("attachment;")


def test_an_executable_named_like_a_pdf_is_refused(reporter_api, report):
    response = upload(
        reporter_api, report.public_id, "invoice.pdf", b"MZ\x90\x00" + os.urandom(512)
    )

    assert response.status_code == 400
    assert "not accepted" in response.json()["file"][0]
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_an_empty_file_is_refused(reporter_api, report):
    response = upload(reporter_api, report.public_id, "empty.txt", b"")

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_a_file_past_the_size_limit_is_refused(reporter_api, report, settings):
    settings.RECOURSE_MAX_UPLOAD_BYTES = 1024

    response = upload(reporter_api, report.public_id, "long.txt", b"a" * 5000)

    assert response.status_code == 400
    message = response.json()["file"][0]
    assert "larger than" in message
    assert re.search(r"\b[\d,.]+ ?(bytes|KiB|MiB|GiB|KB|MB)\b", message), message
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_a_missing_file_is_refused(reporter_api, report):
    response = reporter_api.post(
        evidence_url(report.public_id), {"description": "no file"}, format="multipart"
    )

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Evidence.objects.exists()


def test_a_json_body_is_not_a_file(reporter_api, report):
    response = reporter_api.post(evidence_url(report.public_id), {"file": "abc"}, format="json")

    assert response.status_code == 415
    assert not Evidence.objects.exists()


def test_a_too_long_description_is_refused(reporter_api, report):
    response = upload(reporter_api, report.public_id, "letter.pdf", PDF, "d" * 2001)

    assert response.status_code == 400
    assert "description" in response.json()
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_erasing_the_report_removes_its_files(
    reporter_api, report, evidence, django_capture_on_commit_callbacks
):
    assert len(media_files()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert reporter_api.delete(report_url(report.public_id)).status_code == 204

    assert not Evidence.objects.exists()
    assert media_files() == []
    assert reporter_api.get(evidence_url(report.public_id, evidence.public_id)).status_code == 404


def test_a_file_does_not_open_through_another_report(reporter_api, reporter, report, evidence):
    other = make_report(reporter)

    response = reporter_api.get(evidence_url(other.public_id, evidence.public_id))

    assert response.status_code == 404


def test_a_file_that_does_not_exist_is_a_404(reporter_api, report):
    assert reporter_api.get(evidence_url(report.public_id, uuid.uuid4())).status_code == 404
    assert reporter_api.get(f"{evidence_url(report.public_id)}nope/").status_code == 404


# Outsiders


def test_another_reporter_gets_404_for_a_file(api_client, report, evidence, outsider):
    api_login(api_client, outsider)

    response = api_client.get(evidence_url(report.public_id, evidence.public_id))

    assert response.status_code == 404


def test_another_reporter_gets_404_adding_a_file(api_client, report, outsider):
    api_login(api_client, outsider)

    response = upload(api_client, report.public_id, "letter.pdf", PDF)

    assert response.status_code == 404
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_no_token_is_a_401_for_a_file(api_client, report, evidence):
    api_client.credentials()

    response = api_client.get(evidence_url(report.public_id, evidence.public_id))

    assert response.status_code == 401


def test_no_token_is_a_401_adding_a_file(api_client, report):
    response = upload(api_client, report.public_id, "letter.pdf", PDF)

    assert response.status_code == 401
    assert not Evidence.objects.exists()
