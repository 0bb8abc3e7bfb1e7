import pytest
from django.urls import reverse

from core.models import User
from incidents.models import Receipt, Report
from incidents.receipts import receipt_display
from tests.factories import UserFactory, make_anonymous_report, make_report
from tests.incidents.helpers import (
    RECEIPT_PATTERN,
    field_errors,
    login_url_for,
    submit_wizard,
    text,
)

pytestmark = pytest.mark.django_db

NEW = reverse("incidents:anonymous_new")
OPEN = reverse("incidents:anonymous_open")
LIST = reverse("incidents:report_list")


def open_with(client, receipt: str):
    return client.post(OPEN, {"receipt": receipt})


def test_anonymous_wizard_starts_without_an_account(client):
    response = client.get(NEW)

    assert response.status_code == 200
    assert "Report without an account" in text(response)
    assert "Step 1 of 6" in text(response)


def test_filing_anonymously_shows_a_receipt_in_seven_groups_of_four(client):
    response = submit_wizard(client, NEW)

    assert response.status_code == 200
    [receipt] = RECEIPT_PATTERN.findall(text(response))
    assert len(receipt) == 34
    assert len(receipt.replace("-", "")) == 28
    assert [len(group) for group in receipt.split("-")] == [4] * 7
    report = Report.objects.get()
    assert report.reporter.is_receipt_account
    assert not report.reporter.has_usable_password()


def test_filing_anonymously_does_not_sign_anyone_in(client):
    submit_wizard(client, NEW)

    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"] == login_url_for(LIST)


def test_the_receipt_is_shown_once_and_never_stored(client):
    response = submit_wizard(client, NEW)
    receipt = RECEIPT_PATTERN.search(text(response)).group()
    plain = receipt.replace("-", "")

    stored = Receipt.objects.get()
    assert plain[5:] not in stored.secret_hash
    open_with(client, receipt)
    detail = text(client.get(Report.objects.get().get_absolute_url()))
    assert receipt not in detail
    assert plain not in detail


def test_an_anonymous_wizard_error_creates_no_account(client):
    users = User.objects.count()

    response = submit_wizard(client, NEW, narrative="")

    assert response.status_code == 200
    assert "narrative" in field_errors(response)
    assert User.objects.count() == users
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [
        receipt_display,
        lambda receipt: receipt_display(receipt).lower(),
        lambda receipt: receipt.lower(),
        lambda receipt: " ".join(receipt_display(receipt).split("-")),
        lambda receipt: receipt,
    ],
    ids=["as-shown", "lower-case-with-dashes", "lower-case-without-dashes", "spaces", "plain"],
)
def test_the_receipt_opens_exactly_its_report(client, typed):
    report, receipt = make_anonymous_report(narrative="Only the receipt opens this.")
    make_anonymous_report(narrative="A different report entirely.")

    response = open_with(client, typed(receipt))

    assert response.status_code == 302
    assert response["Location"] == LIST
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    detail = text(client.get(report.get_absolute_url()))
    assert "Only the receipt opens this." in detail
    assert "A different report entirely." not in detail


def test_a_wrong_receipt_is_refused_with_a_message(client):
    _report, receipt = make_anonymous_report()
    wrong = receipt[:-1] + ("1" if receipt.endswith("0") else "0")

    response = open_with(client, wrong)

    assert response.status_code == 200
    assert "does not open a report" in field_errors(response)["receipt"]
    assert client.get(LIST).status_code == 302


@pytest.mark.parametrize("typed", ["", "not a receipt", "0" * 40])
def test_something_that_is_not_a_receipt_is_refused(client, typed):
    make_anonymous_report()

    response = open_with(client, typed)

    assert response.status_code == 200
    assert "receipt" in field_errors(response)
    assert client.get(LIST).status_code == 302


def test_a_receipt_account_is_sent_to_its_one_report(client):
    report, receipt = make_anonymous_report()
    open_with(client, receipt)

    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()


def test_a_receipt_account_cannot_start_a_new_report(client):
    report, receipt = make_anonymous_report()
    open_with(client, receipt)

    response = client.get(reverse("incidents:report_new"), follow=True)

    assert response.redirect_chain[0] == (LIST, 302)
    assert response.redirect_chain[-1] == (report.get_absolute_url(), 302)
    assert "A receipt opens one report" in text(response)
    assert Report.objects.count() == 1


def test_a_receipt_account_gets_404_for_another_report(client, outsider):
    _report, receipt = make_anonymous_report()
    other_anonymous, _other_receipt = make_anonymous_report()
    other = make_report(outsider)
    open_with(client, receipt)

    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(other_anonymous.get_absolute_url()).status_code == 404
    export = reverse("incidents:report_export", args=[other.public_id])
    assert client.get(export).status_code == 404


def test_a_receipt_account_can_add_an_incident_to_its_report(client):
    report, receipt = make_anonymous_report()
    open_with(client, receipt)

    response = client.post(
        reverse("incidents:incident_new", args=[report.public_id]),
        {"narrative": "It happened again at the library."},
    )

    assert response.status_code == 302
    assert report.incidents.count() == 2


def test_erasing_an_anonymous_report_removes_its_account_and_receipt(client):
    report, receipt = make_anonymous_report()
    account = report.reporter
    open_with(client, receipt)

    response = client.post(
        reverse("incidents:report_erase", args=[report.public_id]), {"confirm": "on"}
    )

    assert response.status_code == 200
    assert "Your report was erased" in text(response)
    assert not User.objects.filter(pk=account.pk).exists()
    assert not Receipt.objects.exists()
    assert open_with(client, receipt).status_code == 200
    assert client.get(LIST).status_code == 302


@pytest.mark.parametrize("role", ["support_worker", "coordinator", "analyst", "administrator"])
def test_a_signed_in_staff_account_is_refused_plainly_rather_than_handed_a_receipt(client, role):
    client.force_login(UserFactory(role=role))

    shown, sent = client.get(NEW), submit_wizard(client, NEW)

    assert shown.status_code == sent.status_code == 403
    assert "Staff accounts have no reports of their own" in text(sent)
    assert not RECEIPT_PATTERN.findall(text(sent))
    assert not Report.objects.exists()


def test_a_signed_in_reporter_may_still_file_anonymously(client):
    client.force_login(UserFactory())

    response = submit_wizard(client, NEW)

    assert response.status_code == 200
    assert RECEIPT_PATTERN.findall(text(response))
