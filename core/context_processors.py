from django.conf import settings
from django.http import HttpRequest

from core.middleware import session_time_left


def recourse(request: HttpRequest) -> dict[str, object]:
    seconds_left, extendable = session_time_left(request)
    return {
        "QUICK_EXIT_URL": settings.RECOURSE_QUICK_EXIT_URL,
        # For the warning before a signed-in session ends (core/static/js/session-timeout.js).
        "SESSION_SECONDS_LEFT": seconds_left,
        "SESSION_EXTENDABLE": extendable,
        "SESSION_WARN_BEFORE": settings.RECOURSE_SESSION_WARNING_SECONDS,
    }
