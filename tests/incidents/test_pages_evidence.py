import hashlib
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Evidence
from tests.factories import make_report
from tests.incidents.helpers import field_errors, login_url_for, media_files, text

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
SIZE_LIMIT = re.compile(r"\b[\d,.]+ ?(bytes|KiB|MiB|GiB|KB|MB)\b")
TEXT = "Voicemail transcript: « we know where you live ».\n".encode()


def upload_url(report) -> str:
    return reverse("incidents:evidence_new", args=[report.public_id])


def download_url(report, evidence) -> str:
    return reverse("incidents:evidence_download", args=[report.public_id, evidence.public_id])


def upload(client, report, name: str, content: bytes, description: str = "", **extra):
    file = SimpleUploadedFile(name, content, content_type=extra.pop("content_type", "text/plain"))
    return client.post(upload_url(report), {"file": file, "description": description})


def test_add_file_page_shows_the_form(reporter_client, reporter):
    report = make_report(reporter)

    response = reporter_client.get(upload_url(report))

    assert response.status_code == 200
    assert 'type="file"' in text(response)
    assert 'enctype="multipart/form-data"' in text(response)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screenshot.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("letter.pdf", PDF, "application/pdf"),
        ("transcript.txt", TEXT, "text/plain"),
    ],
    ids=["png", "jpeg", "pdf", "text"],
)
def test_reporter_can_add_an_accepted_kind_of_file(
    reporter_client, reporter, name, content, content_type
):
    report = make_report(reporter)

    response = upload(reporter_client, report, name, content, "from the council meeting")

    assert response.status_code == 302, field_errors(response)
    assert response["Location"] == report.get_absolute_url()
    evidence = Evidence.objects.get(report=report)
    detail = text(reporter_client.get(report.get_absolute_url()))
    assert name in detail
    assert "from the council meeting" in detail
    assert download_url(report, evidence) in detail
    download = reporter_client.get(download_url(report, evidence))
    assert download["Content-Type"] == content_type


def test_stored_evidence_file_is_ciphertext(reporter_client, reporter):
    report = make_report(reporter)

    upload(reporter_client, report, "transcript.txt", TEXT)

    [stored] = media_files()
    assert TEXT not in stored.read_bytes()
    assert b"Voicemail" not in stored.read_bytes()


def test_an_executable_named_like_a_pdf_is_refused(reporter_client, reporter):
    report = make_report(reporter)
    content = b"MZ\x90\x00" + os.urandom(2000)

    response = upload(
        reporter_client, report, "invoice.pdf", content, content_type="application/pdf"
    )

    assert response.status_code == 200
    assert "This kind of file is not accepted" in field_errors(response)["file"]
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_a_large_executable_named_like_a_pdf_is_refused_early(reporter_client, reporter):
    report = make_report(reporter)
    content = b"MZ\x90\x00" + os.urandom(200_000)

    response = upload(reporter_client, report, "invoice.pdf", content)

    assert "This kind of file is not accepted" in field_errors(response)["file"]
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_an_empty_file_is_refused(reporter_client, reporter):
    report = make_report(reporter)

    response = upload(reporter_client, report, "empty.txt", b"")

    assert response.status_code == 200
    assert "empty" in field_errors(response)["file"]
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_a_file_past_the_size_limit_is_refused_and_nothing_is_stored(
    reporter_client, reporter, settings
):
    settings.RECOURSE_MAX_UPLOAD_BYTES = 1024
    report = make_report(reporter)

    response = upload(reporter_client, report, "long.txt", b"a" * 4096)

    assert response.status_code == 200
    message = field_errors(response)["file"]
    assert "larger than" in message
    assert SIZE_LIMIT.search(message), message  # "50 MiB" today; the configured limit later
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_a_file_at_the_size_limit_is_accepted(reporter_client, reporter, settings):
    settings.RECOURSE_MAX_UPLOAD_BYTES = 1024
    report = make_report(reporter)

    response = upload(reporter_client, report, "exact.txt", b"a" * 1024)

    assert response.status_code == 302
    assert Evidence.objects.count() == 1


def test_a_missing_file_is_refused(reporter_client, reporter):
    report = make_report(reporter)

    response = reporter_client.post(upload_url(report), {"description": "nothing attached"})

    assert response.status_code == 200
    assert "file" in field_errors(response)
    assert not Evidence.objects.exists()


def test_a_path_in_the_file_name_is_not_kept(reporter_client, reporter):
    report = make_report(reporter)

    upload(reporter_client, report, "../../etc/passwd.txt", TEXT)

    detail = text(reporter_client.get(report.get_absolute_url()))
    assert ">passwd.txt</a>" in detail
    assert "../" not in detail


def test_download_returns_the_exact_bytes(reporter_client, reporter):
    report = make_report(reporter)
    content = TEXT * 5000  # more than one 64 KiB chunk
    upload(reporter_client, report, "transcript.txt", content)

    response = reporter_client.get(download_url(report, Evidence.objects.get()))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Length"] == str(len(content))
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_is_an_attachment_never_shown_inline(reporter_client, reporter):
    report = make_report(reporter)
    upload(reporter_client, report, "transcript.txt", TEXT)

    response = reporter_client.get(download_url(report, Evidence.objects.get()))

    assert response.get("Content-Disposition", "").startswith("attachment;")
    assert 'filename="transcript.txt"' in response.get("Content-Disposition", "")


def test_printable_copy_shows_the_sha256_of_each_file(reporter_client, reporter):
    report = make_report(reporter)
    upload(reporter_client, report, "letter.pdf", PDF)

    response = reporter_client.get(reverse("incidents:report_export", args=[report.public_id]))

    assert hashlib.sha256(PDF).hexdigest() in text(response)
    assert "letter.pdf" in text(response)


def test_another_reporter_gets_404_for_a_file(client, reporter, outsider):
    report = make_report(reporter)
    client.force_login(reporter)
    upload(client, report, "transcript.txt", TEXT)
    evidence = Evidence.objects.get()
    client.force_login(outsider)

    assert client.get(download_url(report, evidence)).status_code == 404


def test_another_reporter_cannot_add_a_file_to_a_report(client, reporter, outsider):
    report = make_report(reporter)
    client.force_login(outsider)

    response = upload(client, report, "transcript.txt", TEXT)

    assert response.status_code == 404
    assert not Evidence.objects.exists()
    assert media_files() == []


def test_a_file_cannot_be_downloaded_through_another_report(client, reporter):
    report = make_report(reporter)
    other = make_report(reporter)
    client.force_login(reporter)
    upload(client, report, "transcript.txt", TEXT)

    response = client.get(download_url(other, Evidence.objects.get()))

    assert response.status_code == 404


def test_anonymous_visitor_is_sent_to_log_in_for_a_file(client, reporter):
    report = make_report(reporter)
    client.force_login(reporter)
    upload(client, report, "transcript.txt", TEXT)
    client.logout()
    url = download_url(report, Evidence.objects.get())

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == login_url_for(url)
