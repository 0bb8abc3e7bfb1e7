"""In-app notifications and their e-mails. They say *that* something needs attention, with a
link, never *what*: no names, no report content, no case details."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.models import Role, User
from core.tasks import enqueue
from support.models import Case, EmailStatus, Notification

MAX_EMAIL_ATTEMPTS = 5


def coordinators() -> list[User]:
    return list(User.objects.filter(role=Role.COORDINATOR, is_active=True))


def administrators() -> list[User]:
    return list(User.objects.filter(role=Role.ADMINISTRATOR, is_active=True))


def notify(*, recipients: Iterable[User], kind: str, case: Case | None, key: str) -> int:
    """Create one notification per recipient for `key` (at most once each, however often this
    runs) and queue their e-mails after commit. Returns how many were new."""
    people = {user.pk: user for user in recipients}
    told = set(
        Notification.objects.filter(key=key, recipient_id__in=people).values_list(
            "recipient_id", flat=True
        )
    )
    fresh = [
        Notification(
            recipient=user,
            key=key,
            kind=kind,
            case=case,
            email_status=EmailStatus.PENDING if user.email else EmailStatus.NONE,
        )
        for pk, user in people.items()
        if pk not in told
    ]
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(fresh)
    except IntegrityError:  # another worker told some of them meanwhile: go one by one
        created = []
        for note in fresh:
            saved, is_new = Notification.objects.get_or_create(
                recipient=note.recipient,
                key=key,
                defaults={"kind": kind, "case": case, "email_status": note.email_status},
            )
            if is_new:
                created.append(saved)
    for note in created:
        if note.email_status == EmailStatus.PENDING:
            enqueue("support.tasks.notification_email", note.pk)
    return len(created)


def _email_text(link: str) -> tuple[str, str]:
    """Subject and body in English and in French, as bilingual notices are written in Ontario
    (the task that sends it knows nothing of the person's language), and the link once."""
    subjects, lines = [], []
    for language in ("en", "fr"):
        with translation.override(language):
            subjects.append(_("Recourse: something needs your attention"))
            lines.append(_("Something in Recourse needs your attention. Sign in to see it:"))
    return " / ".join(subjects), "\n\n".join([*lines, link]) + "\n"


def email_send(notification_id: int) -> str:
    """Send one notification's e-mail; idempotent (a sent one is not sent again). A failure is
    recorded for administrators and retried by the sweep."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if (
            note is None
            or note.email_status != EmailStatus.PENDING
            and (
                note.email_status != EmailStatus.FAILED or note.email_attempts >= MAX_EMAIL_ATTEMPTS
            )
        ):
            return "skipped"
        link = settings.RECOURSE_SITE_URL + reverse("support:notification", args=[note.public_id])
        note.email_attempts += 1
        try:
            subject, message = _email_text(link)
            send_mail(
                subject=subject,
                message=message,
                from_email=None,
                recipient_list=[note.recipient.email],
            )
        except Exception as exc:  # noqa: BLE001  (any transport error: record, retry later)
            note.email_status, note.email_error = EmailStatus.FAILED, type(exc).__name__[:120]
        else:
            note.email_status, note.email_error = EmailStatus.SENT, ""
        note.save(update_fields=["email_status", "email_error", "email_attempts"])
        return str(note.email_status)


def email_retry_failed() -> int:
    """Queue another try for failed e-mails that have attempts left."""
    ids = list(
        Notification.objects.filter(
            email_status=EmailStatus.FAILED, email_attempts__lt=MAX_EMAIL_ATTEMPTS
        ).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        enqueue("support.tasks.notification_email", pk)
    return len(ids)
