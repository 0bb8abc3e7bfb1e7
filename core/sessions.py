"""Ending a person's sessions and API tokens on the server, not just in their browser."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from knox.models import AuthToken

from core.models import User


def end_sessions(user: User) -> int:
    """Delete every live session and API token of `user`; returns how many sessions ended."""
    AuthToken.objects.filter(user=user).delete()
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@receiver(pre_save, sender=User)
def _end_sessions_of_disabled_account(sender: type[User], instance: User, **kwargs: object) -> None:
    """Disabling an account ends its sessions and tokens at once, wherever it is disabled."""
    if instance.pk is None or instance.is_active:
        return
    if User.objects.filter(pk=instance.pk, is_active=True).exists():
        end_sessions(instance)
