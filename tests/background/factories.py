"""Small builders for the background side's objects, for tests elsewhere (the access table)."""

from support.models import Case, Match, Notification, Resource
from support.notifications import notify


def add_match(case: Case) -> str:
    """A suggested match for `case` (to a resource made for it); returns its public id."""
    resource, _ = Resource.objects.get_or_create(
        slug="test-pathway",
        defaults={"name": "A test pathway", "kind": "pathway", "description": "For tests."},
    )
    match = Match.objects.create(
        case=case, resource=resource, score=10, reasons=["a test rule → A test pathway"]
    )
    return str(match.public_id)


def add_notification(case: Case, recipient) -> str:
    """A reminder about `case` for `recipient`; returns its public id."""
    key = f"test:{case.pk}:{recipient.pk}"
    notify(recipients=[recipient], kind="reminder", case=case, key=key)
    return str(Notification.objects.get(recipient=recipient, key=key).public_id)
