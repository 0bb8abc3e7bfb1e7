"""Issue 4, notifications: one per recipient and key, in the app and by e-mail after commit; the
e-mail says only that something needs attention, with a link; failed sends are retried a bounded
number of times and shown to administrators."""

import re
from smtplib import SMTPServerDisconnected

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from support import escalation, services
from support.models import Case, EmailStatus, Notification
from support.notifications import MAX_EMAIL_ATTEMPTS, email_retry_failed, email_send, notify
from tests.factories import UserFactory, make_report
from tests.security.support import canary
from tests.support.factories import make_case, web_client, worker_user

pytestmark = pytest.mark.django_db

FAILING = "tests.background.test_notifications.FailingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
URL_RE = re.compile(r"https?://\S+")


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("the server went away")


def _note(user, key: str = "k") -> Notification:
    return Notification.objects.get(recipient=user, key=key)


def _link(note: Notification) -> str:
    return django_settings.RECOURSE_SITE_URL + f"/staff/notifications/{note.public_id}/"


@pytest.fixture
def secret_case(coordinator, worker, django_capture_on_commit_callbacks):
    """A case full of things an e-mail must never carry."""
    secrets = {
        "narrative": canary("narrative"),
        "municipality": canary("municipality"),
        "contact": canary("contact"),
        "identifier": canary("identifier"),
    }
    reporter = UserFactory(username=canary("reporter").lower(), first_name="Rosalind")
    with django_capture_on_commit_callbacks(execute=True):  # triage, and the critical alert
        case = make_case(
            reporter,
            coordinator=coordinator,
            workers=(worker,),
            narrative=f"They wrote {secrets['narrative']}.",
            municipality=secrets["municipality"],
            contact_details=secrets["contact"],
            perpetrator_identifiers=[f"@{secrets['identifier']}"],
            risk_flags=["imminent_danger"],
        )
    return Case.objects.get(pk=case.pk), secrets


# One per recipient per key.


def test_notify_creates_one_notification_per_recipient_per_key(coordinator, worker):
    assert notify(recipients=[coordinator, worker], kind="reminder", case=None, key="k") == 2
    assert notify(recipients=[coordinator, worker], kind="reminder", case=None, key="k") == 0
    assert notify(recipients=[worker], kind="reminder", case=None, key="other") == 1

    assert Notification.objects.filter(key="k").count() == 2
    assert Notification.objects.count() == 3


def test_the_email_goes_out_only_after_commit(coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipients=[coordinator], kind="reminder", case=None, key="k")
        assert mail.outbox == []
    assert mail.outbox == []
    assert _note(coordinator).email_status == EmailStatus.PENDING

    for callback in callbacks:
        callback()

    assert [m.to for m in mail.outbox] == [["cora@example.org"]]
    assert _note(coordinator).email_status == EmailStatus.SENT
    assert _note(coordinator).email_attempts == 1


def test_a_rolled_back_notification_sends_no_email(coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify(recipients=[coordinator], kind="reminder", case=None, key="k")
                raise RuntimeError("the service failed")
        except RuntimeError:
            pass

    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_the_email_says_only_that_something_needs_attention_with_a_link(
    secret_case, coordinator, worker, django_capture_on_commit_callbacks
):
    case, secrets = secret_case
    with django_capture_on_commit_callbacks(execute=True):
        escalation.sweep(now=case.response_due_at)  # remind the worker
        services.case_triage(case_id=case.pk)

    notes = {
        note.recipient.username: note for note in Notification.objects.select_related("recipient")
    }
    assert set(notes) >= {"wren", "cora"}
    assert len(mail.outbox) == len(notes)
    forbidden = [
        *secrets.values(),
        str(case.public_id),
        str(case.report.public_id),
        case.report.reporter.username,
        "Rosalind",
        "wren",
        "Wren",
        "cora",
        "Cora",
        "critical",
        "danger",
        "remind",
        "escalat",
        "severity",
        "doxx",
    ]
    with translation.override("fr"):
        french_subject = gettext("Recourse: something needs your attention")
        french_body = gettext("Something in Recourse needs your attention. Sign in to see it:")
    assert french_subject != "Recourse: something needs your attention"  # it is translated
    for message in mail.outbox:
        (recipient,) = message.to
        note = next(n for n in notes.values() if n.recipient.email == recipient)
        text = f"{message.subject}\n{message.body}"
        assert URL_RE.findall(text) == [_link(note)]
        english, french = message.subject.split(" / ")
        assert english == "Recourse: something needs your attention"
        assert french == french_subject
        assert message.body.startswith("Something in Recourse needs your attention.")
        assert french_body in message.body
        for word in forbidden:
            assert word.lower() not in text.lower(), word
        assert message.alternatives == []
        assert message.attachments == []


def test_a_recipient_without_an_email_address_is_notified_in_the_app_only(
    db, django_capture_on_commit_callbacks
):
    silent = worker_user(username="quiet", email="")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipients=[silent], kind="reminder", case=None, key="k")

    assert callbacks == []
    assert mail.outbox == []
    note = _note(silent)
    assert (note.email_status, note.email_attempts) == (EmailStatus.NONE, 0)
    assert email_send(note.pk) == "skipped"
    assert web_client(silent).get(reverse("support:notifications")).status_code == 200


# Failures and retries.


def test_a_failed_send_is_recorded_retried_and_succeeds_later(
    coordinator, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[coordinator], kind="reminder", case=None, key="k")
    note = _note(coordinator)
    assert (note.email_status, note.email_attempts, note.email_error) == (
        EmailStatus.FAILED,
        1,
        "SMTPServerDisconnected",
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert email_retry_failed() == 1
    assert _note(coordinator).email_attempts == 2
    assert _note(coordinator).email_status == EmailStatus.FAILED

    settings.EMAIL_BACKEND = LOCMEM
    with django_capture_on_commit_callbacks(execute=True):
        assert email_retry_failed() == 1

    note = _note(coordinator)
    assert (note.email_status, note.email_attempts, note.email_error) == (EmailStatus.SENT, 3, "")
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert email_retry_failed() == 0
    assert len(mail.outbox) == 1


def test_after_the_last_attempt_nothing_more_is_tried(
    coordinator, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[coordinator], kind="reminder", case=None, key="k")
    for _ in range(MAX_EMAIL_ATTEMPTS + 3):
        with django_capture_on_commit_callbacks(execute=True):
            email_retry_failed()
    note = _note(coordinator)
    assert (note.email_status, note.email_attempts) == (EmailStatus.FAILED, MAX_EMAIL_ATTEMPTS)

    settings.EMAIL_BACKEND = LOCMEM
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert email_retry_failed() == 0
    assert callbacks == []
    assert email_send(note.pk) == "skipped"
    assert mail.outbox == []
    assert _note(coordinator).email_attempts == MAX_EMAIL_ATTEMPTS


def test_a_sent_email_is_never_sent_again(coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[coordinator], kind="reminder", case=None, key="k")
    note = _note(coordinator)

    assert email_send(note.pk) == "skipped"
    assert email_retry_failed() == 0
    assert len(mail.outbox) == 1


# The in-app list and opening a notification.


def test_the_list_shows_only_my_notifications(coordinator, worker):
    notify(recipients=[worker], kind="reminder", case=None, key="mine")
    notify(recipients=[coordinator], kind="escalation", case=None, key="theirs")
    mine, theirs = _note(worker, "mine"), _note(coordinator, "theirs")

    body = web_client(worker).get(reverse("support:notifications")).content.decode()

    assert str(mine.public_id) in body
    assert str(theirs.public_id) not in body
    assert "Something needs your attention" in body


def test_opening_a_notification_shows_it_and_its_button_marks_it_read_and_goes_to_the_case(
    secret_case, worker
):
    case, _ = secret_case
    notify(recipients=[worker], kind="reminder", case=case, key="k")
    note = _note(worker)
    before = timezone.now()
    url = reverse("support:notification", args=[note.public_id])

    shown = web_client(worker).get(url)
    assert shown.status_code == 200
    assert "Open the case" in shown.content.decode()
    note.refresh_from_db()
    assert note.read_at is None

    response = web_client(worker).post(url)

    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None
    assert note.read_at >= before
    listed = web_client(worker).get(reverse("support:notifications")).content.decode()
    assert "Something needed your attention" in listed


def test_opening_a_notification_about_a_case_i_may_not_see_shows_the_generic_page(
    secret_case, administrator
):
    case, secrets = secret_case
    notify(recipients=[administrator], kind="administrators", case=case, key="k")
    note = _note(administrator)

    url = reverse("support:notification", args=[note.public_id])
    response = web_client(administrator).get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert "A case needs attention" in body
    assert "ask a coordinator" in body
    assert not any(secret in body for secret in secrets.values())
    marked = web_client(administrator).post(url)
    assert marked["Location"] == reverse("support:notifications")
    note.refresh_from_db()
    assert note.read_at is not None


def test_an_unassigned_worker_opening_an_old_reminder_gets_the_generic_page(
    secret_case, coordinator, worker
):
    case, secrets = secret_case
    notify(recipients=[worker], kind="reminder", case=case, key="k")
    services.case_unassign(actor=coordinator, case=case, worker=worker)

    response = web_client(worker).get(
        reverse("support:notification", args=[_note(worker).public_id])
    )

    assert response.status_code == 200
    assert not any(secret in response.content.decode() for secret in secrets.values())


def test_someone_elses_notification_is_not_found_and_stays_unread(coordinator, worker):
    notify(recipients=[coordinator], kind="escalation", case=None, key="k")
    note = _note(coordinator)

    response = web_client(worker).get(reverse("support:notification", args=[note.public_id]))

    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_a_reporter_sees_only_their_own_notifications_and_gets_404_for_a_coordinators(
    coordinator,
):
    """Reporters have notifications of their own (a role asked for them), never staff ones."""
    report = make_report()
    notify(recipients=[coordinator], kind="reminder", case=report.case, key="k")
    page = web_client(report.reporter)

    listing = page.get(reverse("support:notifications"))
    assert listing.status_code == 200
    assert str(_note(coordinator).public_id) not in listing.content.decode()
    url = reverse("support:notification", args=[_note(coordinator).public_id])
    assert page.get(url).status_code == 404
    assert page.post(url).status_code == 404
    assert _note(coordinator).read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = web_client(None).get(reverse("support:notifications"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


# Administrators see the failures.


def _fail_one(user, settings, capture) -> Notification:
    settings.EMAIL_BACKEND = FAILING
    with capture(execute=True):
        notify(recipients=[user], kind="administrators", case=None, key="k")
    return _note(user)


def test_administrators_see_failed_emails_in_the_admin(
    administrator, coordinator, settings, django_capture_on_commit_callbacks
):
    _fail_one(coordinator, settings, django_capture_on_commit_callbacks)
    administrator.user_permissions.add(Permission.objects.get(codename="view_notification"))
    admin = web_client(administrator)

    response = admin.get("/admin/support/notification/?email_status__exact=failed")

    assert response.status_code == 200
    body = response.content.decode()
    assert "SMTPServerDisconnected" in body
    assert "cora" in body
    assert admin.get("/admin/support/notification/add/").status_code == 403


def test_the_notification_admin_is_read_only(
    administrator, coordinator, settings, django_capture_on_commit_callbacks
):
    note = _fail_one(coordinator, settings, django_capture_on_commit_callbacks)
    administrator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_notification", "change_notification"])
    )
    admin = web_client(administrator)

    response = admin.post(
        f"/admin/support/notification/{note.pk}/change/", {"email_status": EmailStatus.SENT}
    )

    assert response.status_code == 403
    assert _note(coordinator).email_status == EmailStatus.FAILED


def test_an_administrator_sees_their_own_failed_email_marked_in_the_app(
    administrator, settings, django_capture_on_commit_callbacks
):
    _fail_one(administrator, settings, django_capture_on_commit_callbacks)

    body = web_client(administrator).get(reverse("support:notifications")).content.decode()

    assert "e-mail failed" in body
