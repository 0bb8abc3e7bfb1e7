"""django-q2 tasks. Each takes ids, is idempotent, and returns only counts or a status word:
django-q stores arguments and results, so nothing decrypted ever passes through here."""

from support import escalation, notifications, services


def case_triage(case_id: int) -> bool:
    return services.case_triage(case_id=case_id)


def escalation_sweep() -> int:
    """Every minute: climb the ladder where a rung is due, and retry failed e-mails."""
    climbed = escalation.sweep()
    notifications.email_retry_failed()
    return climbed


def notification_email(notification_id: int) -> str:
    return notifications.email_send(notification_id)
