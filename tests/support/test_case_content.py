"""The case page and the case endpoints for staff on the case: decrypted content, notes, messages,
timeline, evidence, the audit trail for coordinators, and an audit event for every view."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from support import services
from support.models import Case, CaseStatus
from tests.factories import make_report
from tests.security.support import token_client
from tests.support.factories import add_evidence, web_client

pytestmark = pytest.mark.django_db

NARRATIVE = "Someone posted my home address under my campaign video."


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def _events_since(seq: int) -> list[tuple[str, str, str]]:
    return [
        (event.action, event.actor, event.object_id)
        for event in AuditEvent.objects.filter(seq__gt=seq)
    ]


@pytest.fixture
def worked(case, coordinator, worker):
    """The case with a note, a message each way, a status change and a file."""
    services.note_add(actor=worker, case=case, body="Staff only: police contact pending.")
    services.message_send_staff(actor=worker, case=case, body="Hello from your support worker.")
    services.message_send_reporter(
        actor=case.report.reporter, report=case.report, body="Thank you, evenings work."
    )
    services.case_transition(actor=worker, case=case, status="in_progress", reason="called")
    return Case.objects.get(pk=case.pk), add_evidence(case.report)


def _who(request, role):
    return request.getfixturevalue(role)


# Every view of case content writes an audit event, naming who looked at what.


@pytest.mark.parametrize("role", ["worker", "coordinator"])
@pytest.mark.parametrize(
    ("tail", "action"),
    [
        ("", "case.view"),
        ("notes/", "case.notes.view"),
        ("messages/", "case.messages.view"),
    ],
    ids=["detail", "notes", "messages"],
)
def test_each_api_view_of_case_content_is_audited(request, worked, role, tail, action):
    case, _ = worked
    user = _who(request, role)
    seq = _last_seq()

    response = token_client(user).get(f"/api/v1/cases/{case.public_id}/{tail}")

    assert response.status_code == 200
    assert _events_since(seq) == [(action, str(user.public_id), str(case.public_id))]


def test_viewing_the_audit_trail_is_itself_audited(worked, coordinator):
    case, _ = worked
    seq = _last_seq()

    response = token_client(coordinator).get(f"/api/v1/cases/{case.public_id}/audit/")

    assert response.status_code == 200
    assert _events_since(seq) == [
        ("case.audit.view", str(coordinator.public_id), str(case.public_id))
    ]
    actions = [row["action"] for row in response.json()]
    assert actions[-1] == "case.audit.view"
    for action in ("report.submit", "case.open", "case.assign", "case.note", "report.message"):
        assert action in actions


def test_the_case_page_is_audited_for_a_worker(worked, worker):
    case, _ = worked
    seq = _last_seq()

    response = web_client(worker).get(case.get_absolute_url())

    assert response.status_code == 200
    assert _events_since(seq) == [("case.view", str(worker.public_id), str(case.public_id))]


def test_the_case_page_is_audited_for_a_coordinator_with_the_trail_it_shows(worked, coordinator):
    case, _ = worked
    seq = _last_seq()

    response = web_client(coordinator).get(case.get_absolute_url())

    assert response.status_code == 200
    assert [action for action, _, _ in _events_since(seq)] == ["case.view", "case.audit.view"]


@pytest.mark.parametrize("role", ["worker", "coordinator"])
def test_a_staff_evidence_download_is_audited_and_streams_the_file(request, worked, role):
    case, evidence_id = worked
    user = _who(request, role)
    seq = _last_seq()

    response = web_client(user).get(
        reverse("support:case_evidence", args=[case.public_id, evidence_id])
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\nsome evidence\n"
    assert response["Content-Disposition"].startswith("attachment")
    assert _events_since(seq) == [("evidence.download", str(user.public_id), evidence_id)]


def test_evidence_of_another_case_is_a_404_even_for_staff_on_this_one(worked, worker):
    case, _ = worked
    other = add_evidence(make_report())
    seq = _last_seq()

    response = web_client(worker).get(
        reverse("support:case_evidence", args=[case.public_id, other])
    )

    assert response.status_code == 404
    assert _events_since(seq) == []


# What the case page and the detail endpoint show.


def test_the_case_page_shows_the_decrypted_report_notes_messages_and_timeline(worked, worker):
    case, evidence_id = worked

    page = web_client(worker).get(case.get_absolute_url()).content.decode()

    for text in (
        NARRATIVE,
        "Smallville",  # municipality, sealed
        "Text me after 6 pm",  # contact details, sealed
        "Staff only: police contact pending.",
        "Hello from your support worker.",
        "Thank you, evenings work.",
        "called",  # the transition's reason
        reverse("support:case_evidence", args=[case.public_id, evidence_id]),
    ):
        assert text in page
    assert "Audit trail" not in page
    assert reverse("support:case_assign", args=[case.public_id]) not in page


def test_the_case_page_gives_a_coordinator_the_assignment_severity_and_audit_sections(
    worked, coordinator
):
    case, _ = worked

    page = web_client(coordinator).get(case.get_absolute_url()).content.decode()

    assert "Audit trail" in page
    assert reverse("support:case_assign", args=[case.public_id]) in page
    assert reverse("support:case_severity", args=[case.public_id]) in page
    assert reverse("support:case_unassign", args=[case.public_id, "wren"]) in page


def test_the_detail_endpoint_includes_the_report_id_and_decrypted_content(worked, worker):
    case, evidence_id = worked

    body = token_client(worker).get(f"/api/v1/cases/{case.public_id}/").json()

    assert body["id"] == str(case.public_id)
    assert body["report"] == str(case.report.public_id)
    assert body["status"] == CaseStatus.IN_PROGRESS
    assert body["assignees"] == ["wren"]
    assert body["content"]["municipality"] == "Smallville"
    assert body["content"]["contact_details"] == "Text me after 6 pm"
    assert body["content"]["incidents"][0]["narrative"] == NARRATIVE
    assert body["content"]["evidence"][0]["id"] == evidence_id
    assert [note["text"] for note in body["notes"]] == ["Staff only: police contact pending."]
    assert [(m["text"], m["from_reporter"]) for m in body["messages"]] == [
        ("Hello from your support worker.", False),
        ("Thank you, evenings work.", True),
    ]
    kinds = [(e["kind"], e["new_value"], e["text"]) for e in body["events"]]
    assert ("status", "in_progress", "called") in kinds
    assert ("assigned", "wren", "") in kinds


def test_notes_and_messages_endpoints_create_and_list(case, worker):
    api = token_client(worker)
    base = f"/api/v1/cases/{case.public_id}"

    note = api.post(f"{base}/notes/", {"body": "  A note.  "}, format="json")
    message = api.post(f"{base}/messages/", {"body": "A message."}, format="json")
    empty = api.post(f"{base}/notes/", {"body": "   "}, format="json")

    assert (note.status_code, message.status_code) == (201, 201)
    assert empty.status_code == 400
    assert [n["text"] for n in api.get(f"{base}/notes/").json()] == ["A note."]
    assert [m["id"] for m in api.get(f"{base}/messages/").json()] == [message.json()["id"]]


def test_assignment_endpoints_answer_201_and_204(case, coordinator, other_worker):
    api = token_client(coordinator)
    base = f"/api/v1/cases/{case.public_id}/assignments/"

    created = api.post(base, {"worker": "sam"}, format="json")
    again = api.post(base, {"worker": "sam"}, format="json")
    removed = api.delete(f"{base}sam/")
    removed_again = api.delete(f"{base}sam/")

    assert (created.status_code, created.json()) == (201, {"worker": "sam"})
    assert again.status_code == 400
    assert again.json() == {"worker": ["sam already works on this case."]}
    assert removed.status_code == 204
    assert removed_again.status_code == 400
    assert removed_again.json() == {"worker": ["sam does not work on this case."]}


def test_severity_endpoint_needs_a_reason_and_answers_with_the_case(case, coordinator):
    api = token_client(coordinator)
    url = f"/api/v1/cases/{case.public_id}/severity/"

    missing = api.post(url, {"severity": "low"}, format="json")
    changed = api.post(url, {"severity": "low", "reason": "Calmer now."}, format="json")

    assert missing.status_code == 400
    assert "reason" in missing.json()
    assert changed.status_code == 200
    assert changed.json()["severity"] == "low"
    assert Case.objects.get(pk=case.pk).severity == "low"


@pytest.mark.parametrize("edge", ["page", "api"])
def test_a_coordinator_can_unassign_a_worker_whose_account_was_deactivated(
    case, coordinator, worker, edge
):
    """A worker who leaves is deactivated first; their assignment must still be removable (else
    reactivating the account would give the case back)."""
    worker.is_active = False
    worker.save()

    if edge == "page":
        response = web_client(coordinator).post(
            reverse("support:case_unassign", args=[case.public_id, "wren"])
        )
        assert response.status_code == 302
    else:
        response = token_client(coordinator).delete(
            f"/api/v1/cases/{case.public_id}/assignments/wren/"
        )
        assert response.status_code == 204, response.content

    assert (
        token_client(coordinator).get(f"/api/v1/cases/{case.public_id}/").json()["assignees"] == []
    )
