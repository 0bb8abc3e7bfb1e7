"""SECURITY 1 for the staff side: notes, messages both ways, and the reasons given for status and
severity changes lie in the database only sealed. A copy of the database file and the media
directory, without the keyring, holds no byte of a canary planted in any of them."""

import pytest
from django.urls import reverse

from support.models import CaseEvent, CaseNote, Message
from support.services import case_assign
from tests.factories import UserFactory, make_anonymous_report
from tests.security.support import (
    API,
    canary,
    find,
    read_at_rest,
    receipt_client,
    receipt_web_client,
    token_client,
)
from tests.support.factories import (
    add_evidence,
    coordinator_user,
    make_case,
    web_client,
    worker_user,
)

pytestmark = pytest.mark.django_db(transaction=True)


class Canaries(dict):
    """label -> canary string, one fresh canary for every place a secret is planted."""

    def plant(self, label: str) -> str:
        self[label] = canary(label)
        return self[label]


def _created(response) -> None:
    assert response.status_code in (200, 201, 302), response.content[:300]


def _plant_through_the_api(case, coordinator, worker, canaries: Canaries) -> None:
    staff, boss = token_client(worker), token_client(coordinator)
    reporter = token_client(case.report.reporter)
    base = f"{API}/cases/{case.public_id}"
    _created(staff.post(f"{base}/notes/", {"body": canaries.plant("api-note")}, format="json"))
    _created(
        staff.post(f"{base}/messages/", {"body": canaries.plant("api-message")}, format="json")
    )
    _created(
        reporter.post(
            f"{API}/reports/{case.report.public_id}/messages/",
            {"body": canaries.plant("api-reply")},
            format="json",
        )
    )
    _created(
        boss.post(
            f"{base}/severity/",
            {"severity": "critical", "reason": canaries.plant("api-severity-reason")},
            format="json",
        )
    )
    _created(
        staff.post(
            f"{base}/transitions/",
            {"status": "in_progress", "reason": canaries.plant("api-status-reason")},
            format="json",
        )
    )
    _created(
        boss.post(
            f"{base}/transitions/",
            {"status": "closed", "reason": canaries.plant("api-close-reason")},
            format="json",
        )
    )


def _plant_through_the_pages(case, coordinator, worker, canaries: Canaries) -> None:
    staff, boss = web_client(worker), web_client(coordinator)
    args = [case.public_id]
    _created(
        staff.post(reverse("support:case_note", args=args), {"body": canaries.plant("pg-note")})
    )
    _created(
        staff.post(reverse("support:case_message", args=args), {"body": canaries.plant("pg-msg")})
    )
    _created(
        web_client(case.report.reporter).post(
            reverse("incidents:report_message", args=[case.report.public_id]),
            {"body": canaries.plant("pg-reply")},
        )
    )
    _created(
        boss.post(
            reverse("support:case_severity", args=args),
            {"severity": "low", "reason": canaries.plant("pg-severity-reason")},
        )
    )
    _created(
        staff.post(
            reverse("support:case_transition", args=args),
            {"status": "in_progress", "reason": canaries.plant("pg-status-reason")},
        )
    )


def _plant_by_receipt(case, worker, receipt: str, canaries: Canaries) -> None:
    """The anonymous reporter answers through the API and through the receipt's web session."""
    _created(
        token_client(worker).post(
            f"{API}/cases/{case.public_id}/messages/",
            {"body": canaries.plant("anon-staff-message")},
            format="json",
        )
    )
    _created(
        receipt_client(receipt).post(
            f"{API}/reports/{case.report.public_id}/messages/",
            {"body": canaries.plant("anon-api-reply")},
            format="json",
        )
    )
    _created(
        receipt_web_client(receipt).post(
            reverse("incidents:report_message", args=[case.report.public_id]),
            {"body": canaries.plant("anon-page-reply")},
        )
    )


def _shown_to_staff(case, coordinator) -> str:
    response = token_client(coordinator).get(f"{API}/cases/{case.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def _anonymous_case(coordinator, worker):
    report, receipt = make_anonymous_report()
    case_assign(actor=coordinator, case=report.case, worker=worker)
    return report.case, receipt


def test_no_note_message_or_reason_lies_in_the_database_or_media_files(committed_db):
    canaries = Canaries()
    coordinator, worker = coordinator_user(), worker_user()
    by_api = make_case(UserFactory(), coordinator=coordinator, workers=(worker,), status="triaged")
    by_page = make_case(UserFactory(), coordinator=coordinator, workers=(worker,), status="triaged")
    add_evidence(by_page.report)  # so the media directory is not empty
    anonymous, receipt = _anonymous_case(coordinator, worker)

    _plant_through_the_api(by_api, coordinator, worker, canaries)
    _plant_through_the_pages(by_page, coordinator, worker, canaries)
    _plant_by_receipt(anonymous, worker, receipt, canaries)

    # Stored: every canary comes back to staff on the case, opened with the keyring.
    shown = "".join(_shown_to_staff(case, coordinator) for case in (by_api, by_page, anonymous))
    assert [label for label, text in canaries.items() if text not in shown] == []
    assert CaseNote.objects.count() == 2
    assert Message.objects.filter(from_reporter=True).count() == 4
    assert Message.objects.filter(from_reporter=False).count() == 3
    assert CaseEvent.objects.filter(kind="severity").count() == 2

    blobs = read_at_rest()
    assert any(path.suffix == ".bin" for path in blobs)  # media files were scanned too
    assert find(blobs, canaries) == []


def test_the_reporter_reads_back_messages_but_not_notes(committed_db):
    """The reporter side opens the same sealed messages, and the note stays on the staff side."""
    canaries = Canaries()
    coordinator, worker = coordinator_user(), worker_user()
    case = make_case(UserFactory(), coordinator=coordinator, workers=(worker,), status="triaged")

    _plant_through_the_api(case, coordinator, worker, canaries)

    response = token_client(case.report.reporter).get(
        f"{API}/reports/{case.report.public_id}/messages/"
    )
    shown = response.content.decode()
    assert canaries["api-message"] in shown
    assert canaries["api-reply"] in shown
    assert canaries["api-note"] not in shown
    assert find(read_at_rest(), canaries) == []


def test_the_scan_finds_a_canary_the_staff_side_keeps_in_the_clear(committed_db):
    """The control: a worker's username is plaintext (in the user row and in the case's
    assignment event), and the same scan finds it in the database file."""
    plain = canary("username")
    coordinator = coordinator_user()
    make_case(coordinator=coordinator, workers=(worker_user(username=plain),))

    found = find(read_at_rest(), {"username": plain})

    assert any(hit.startswith("username (utf-8)") for hit in found)
