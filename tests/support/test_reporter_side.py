"""What the reporter sees of the case: its status in plain words, who is helping (first name or
role), the staff's messages but never their notes; and how they answer, signed in or by receipt."""

import pytest
from django.urls import reverse

from support import services
from support.models import Case, CaseStatus, Message
from support.selectors import case_messages
from tests.factories import make_anonymous_report
from tests.security.support import receipt_client, receipt_web_client, token_client
from tests.support.factories import make_case, walk_to, web_client, worker_user

pytestmark = pytest.mark.django_db

NOTE = "Staff only: the perpetrator may be a colleague."
STAFF_MESSAGE = "Hello, I have read your report. Are you safe right now?"


def _page(client, case: Case) -> str:
    response = client.get(case.report.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (CaseStatus.NEW, "Received"),
        (CaseStatus.TRIAGED, "Received"),
        (CaseStatus.IN_PROGRESS, "In progress"),
        (CaseStatus.WAITING_ON_REPORTER, "Waiting for your reply"),
        (CaseStatus.RESOLVED, "Resolved"),
        (CaseStatus.CLOSED, "Closed"),
    ],
    ids=str,
)
def test_the_report_page_shows_the_status_in_plain_words(reporter, coordinator, status, label):
    case = make_case(reporter, coordinator=coordinator, status=status)

    page = _page(web_client(reporter), case)

    assert f"<strong>{label}.</strong>" in page
    assert "Triaged" not in page
    assert "Waiting on reporter" not in page


def test_the_report_page_names_the_helper_by_first_name_never_username(reporter, coordinator):
    helper = worker_user(username="w.okafor.staff", first_name="Wren")
    case = make_case(reporter, coordinator=coordinator, workers=(helper,))

    page = _page(web_client(reporter), case)

    assert "Wren is helping you." in page
    assert "w.okafor.staff" not in page


def test_the_report_page_names_the_role_when_the_helper_has_no_first_name(reporter, coordinator):
    helper = worker_user(username="sw-0042", first_name="")
    case = make_case(reporter, coordinator=coordinator, workers=(helper,))

    page = _page(web_client(reporter), case)

    assert "Support worker is helping you." in page
    assert "sw-0042" not in page


def test_the_report_page_says_a_coordinator_will_find_help_when_nobody_is_assigned(reporter):
    case = make_case(reporter)

    page = _page(web_client(reporter), case)

    assert "is helping you" not in page
    assert "A coordinator will pass your report to a support worker soon." in page


def test_an_unassigned_helper_is_no_longer_named(reporter, coordinator, worker):
    case = make_case(reporter, coordinator=coordinator, workers=(worker,))
    services.case_unassign(actor=coordinator, case=case, worker=worker)

    assert "Wren is helping you." not in _page(web_client(reporter), case)


@pytest.fixture
def talked(reporter, coordinator, worker):
    """A case of `reporter`'s with a staff note and a staff message."""
    case = make_case(reporter, coordinator=coordinator, workers=(worker,))
    services.note_add(actor=worker, case=case, body=NOTE)
    services.message_send_staff(actor=worker, case=case, body=STAFF_MESSAGE)
    return case


def test_the_reporter_sees_staff_messages_but_never_notes_on_the_page(reporter, talked):
    page = _page(web_client(reporter), talked)

    assert STAFF_MESSAGE in page
    assert "Your support team" in page
    assert NOTE not in page
    assert "perpetrator may be a colleague" not in page


def test_the_reporter_sees_staff_messages_but_never_notes_in_the_api(reporter, talked):
    response = token_client(reporter).get(f"/api/v1/reports/{talked.report.public_id}/messages/")

    assert response.status_code == 200
    assert [(m["text"], m["from_reporter"]) for m in response.json()] == [(STAFF_MESSAGE, False)]
    assert "perpetrator may be a colleague" not in response.content.decode()
    report = token_client(reporter).get(f"/api/v1/reports/{talked.report.public_id}/")
    assert "perpetrator may be a colleague" not in report.content.decode()


def test_the_reporter_api_names_staff_by_first_name_or_role_never_by_username(reporter, talked):
    """Reporters learn who helps them by first name or role (issue 3); a staff username is a
    sign-in name and stays on the staff side."""
    response = token_client(reporter).get(f"/api/v1/reports/{talked.report.public_id}/messages/")

    assert response.status_code == 200
    assert "wren" not in response.content.decode()


def test_the_reporter_replies_on_the_report_page(reporter, talked, worker):
    client = web_client(reporter)
    url = reverse("incidents:report_message", args=[talked.report.public_id])

    response = client.post(url, {"body": "Evenings after six are best."})
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert response["Location"] == talked.report.get_absolute_url()
    assert "Evenings after six are best." in page
    seen_by_staff = case_messages(actor=worker, case=talked)
    assert [(m.text, m.from_reporter) for m in seen_by_staff][-1] == (
        "Evenings after six are best.",
        True,
    )


def test_an_empty_reply_on_the_page_is_refused_next_to_the_field(reporter, talked):
    url = reverse("incidents:report_message", args=[talked.report.public_id])

    response = web_client(reporter).post(url, {"body": "   "})

    assert response.status_code == 200
    assert response.context["message_form"].errors
    assert Message.objects.filter(case=talked, from_reporter=True).count() == 0


def test_the_reporter_replies_through_the_api(reporter, talked):
    api = token_client(reporter)
    url = f"/api/v1/reports/{talked.report.public_id}/messages/"

    response = api.post(url, {"body": "Evenings after six are best."}, format="json")
    blank = api.post(url, {"body": ""}, format="json")

    assert response.status_code == 201
    assert blank.status_code == 400
    assert [m["from_reporter"] for m in api.get(url).json()] == [False, True]


def test_a_reply_to_a_case_waiting_on_the_reporter_puts_it_back_in_progress(
    reporter, coordinator, worker
):
    case = make_case(
        reporter, coordinator=coordinator, workers=(worker,), status=CaseStatus.WAITING_ON_REPORTER
    )
    client = web_client(reporter)
    assert "<strong>Waiting for your reply.</strong>" in _page(client, case)

    client.post(reverse("incidents:report_message", args=[case.report.public_id]), {"body": "Hi"})

    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    assert "<strong>In progress.</strong>" in _page(client, case)


@pytest.fixture
def anonymous_case(coordinator, worker):
    """(case, receipt) of an anonymous report, with a staff message waiting for an answer."""
    report, receipt = make_anonymous_report()
    case = walk_to(report.case, CaseStatus.IN_PROGRESS, coordinator=coordinator)
    services.case_assign(actor=coordinator, case=case, worker=worker)
    services.note_add(actor=worker, case=case, body=NOTE)
    services.message_send_staff(actor=worker, case=case, body=STAFF_MESSAGE)
    services.case_transition(actor=worker, case=case, status="waiting_on_reporter")
    return Case.objects.get(pk=case.pk), receipt


def test_a_receipt_holder_reads_and_answers_on_the_report_page(anonymous_case):
    case, receipt = anonymous_case
    client = receipt_web_client(receipt)

    page = _page(client, case)
    response = client.post(
        reverse("incidents:report_message", args=[case.report.public_id]),
        {"body": "Thank you. Text is safest."},
    )

    assert "<strong>Waiting for your reply.</strong>" in page
    assert "Wren is helping you." in page
    assert STAFF_MESSAGE in page
    assert NOTE not in page
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
    assert "Thank you. Text is safest." in _page(client, case)


def test_a_receipt_holder_reads_and_answers_through_the_api(anonymous_case):
    case, receipt = anonymous_case
    api = receipt_client(receipt)
    url = f"/api/v1/reports/{case.report.public_id}/messages/"

    before = api.get(url)
    sent = api.post(url, {"body": "Thank you. Text is safest."}, format="json")
    after = api.get(url).json()

    assert before.status_code == 200
    assert [m["text"] for m in before.json()] == [STAFF_MESSAGE]
    assert NOTE not in before.content.decode()
    assert sent.status_code == 201
    assert [(m["text"], m["from_reporter"]) for m in after][-1] == (
        "Thank you. Text is safest.",
        True,
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PROGRESS
