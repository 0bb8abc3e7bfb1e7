import logging
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware import csrf
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core import second_factor
from core.crypto.errors import CryptoError
from core.sessions import SESSION_SEEN, SESSION_STARTED, idle_limit

logger = logging.getLogger(__name__)

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)

# Recording activity on every request would write the session each time; a minute is plenty.
SEEN_RESOLUTION = 60


class SecurityHeadersMiddleware:
    """Headers every response carries; pages never cached, since any may show report content.
    The Content-Security-Policy comes from django-csp (settings.CONTENT_SECURITY_POLICY)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.path.startswith(settings.STATIC_URL):
            response.headers["Cache-Control"] = "no-store"
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _to_login(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('core:login')}?{urlencode({'next': request.get_full_path()})}")


def session_time_left(request: HttpRequest) -> tuple[int, bool]:
    """Seconds before the signed-in session ends if nothing happens, and whether activity can
    put that off (not when the absolute lifetime comes first). (0, False) when signed out."""
    if not request.user.is_authenticated or not hasattr(request, "session"):
        return 0, False
    now, session = int(time.time()), request.session
    idle_left = idle_limit(request.user) - (now - session.get(SESSION_SEEN, now))
    life_left = settings.RECOURSE_SESSION_MAX_SECONDS - (now - session.get(SESSION_STARTED, now))
    return max(0, min(idle_left, life_left)), idle_left < life_left


def _is_session_status(request: HttpRequest) -> bool:
    """The page's script asking how long the session has left: not activity of the person."""
    return request.method in ("GET", "HEAD") and request.path_info == reverse("core:session")


class SessionPolicyMiddleware:
    """Sessions end after a while without activity (staff sooner) and after an absolute lifetime,
    whatever the browser does with its cookie (SECURITY.md 13). Pages warn before it happens
    (core/static/js/session-timeout.js asks core:session, which does not count as activity)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            started = session.setdefault(SESSION_STARTED, now)
            seen = session.get(SESSION_SEEN, now)
            if (
                now - seen > idle_limit(user)
                or now - started > settings.RECOURSE_SESSION_MAX_SECONDS
            ):
                logout(request)
                if not _is_api(request):
                    messages.info(request, _("You were signed out to keep your account safe."))
                    if not _is_session_status(request):  # that one's page goes to sign in itself
                        return _to_login(request)
            elif _is_session_status(request):
                pass
            elif now - seen >= SEEN_RESOLUTION or SESSION_SEEN not in session:
                session[SESSION_SEEN] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Anyone who must use a second factor reaches nothing but the second-factor pages (and
    sign-out) until they have given a code in this session."""

    OPEN = ("core:second_factor_verify", "core:second_factor_enrol", "core:logout", "core:session")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.open_paths: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = cast(Any, request.user)
        if (
            user.is_authenticated
            and not user.is_verified()
            and second_factor.required_for(user)
            and not self._open(request)
        ):
            if _is_api(request):
                return JsonResponse(
                    {"detail": _("Give a code from your authenticator app first.")}, status=403
                )
            step = (
                "core:second_factor_verify"
                if second_factor.has_device(user)
                else "core:second_factor_enrol"
            )
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _open(self, request: HttpRequest) -> bool:
        if self.open_paths is None:
            self.open_paths = {reverse(name) for name in self.OPEN}
        return request.path_info in self.open_paths or request.path_info.startswith(
            settings.STATIC_URL
        )


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    """Django's CSRF protection, adapted to `Referrer-Policy: no-referrer`.

    Under that policy browsers send `Origin: null` and no Referer on every form POST, which
    Django would reject. A browser also sends `Sec-Fetch-Site`, which no page script can forge;
    when it says the request came from our own origin, the null origin is accepted. The CSRF token
    is still checked as always, and cookies are SameSite=Strict.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if (
            request.META.get("HTTP_ORIGIN") == "null"
            and request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"
        ):
            return True
        return super()._origin_verified(request)  # type: ignore[misc]


class DamagedRecordMiddleware:
    """A sealed record that fails to open (moved, truncated or altered: SECURITY.md 2) shows
    nothing of it and says so plainly, instead of a bare server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CryptoError):
            return None
        logger.error("A sealed record failed to open at %s", request.path_info)
        message = _(
            "This record cannot be opened: it looks damaged, so nothing of it is shown. "
            "The people who run this service have been told."
        )
        if _is_api(request):
            return JsonResponse({"detail": message}, status=500)
        return render(request, "core/damaged.html", {"message": message}, status=500)
