import textwrap
import time
from typing import Any, cast
from uuid import UUID

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from core import second_factor, tokens
from core.errors import DomainError
from core.forms import CodeForm, EnrolForm, SignupForm
from core.forms_util import add_domain_errors
from core.middleware import SESSION_SEEN, session_time_left
from core.models import STAFF_ROLES, Role, User, UserSession
from core.services import account_signup
from core.throttling import rate_limited


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_http_methods(["GET", "HEAD", "POST"])
def session(request: HttpRequest) -> JsonResponse:
    """How long the signed-in session has left if nothing happens (GET, which is not activity),
    or, with POST, the person saying they are still there (which is). 401 once signed out."""
    if request.method == "POST" and request.user.is_authenticated:
        request.session[SESSION_SEEN] = int(time.time())
    seconds_left, extendable = session_time_left(request)
    return JsonResponse(
        {"seconds_left": seconds_left, "extendable": extendable},
        status=200 if request.user.is_authenticated else 401,
    )


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Where each role starts: reporters at their reports, case staff at their cases."""
    role = getattr(request.user, "role", None)
    if role in (Role.SUPPORT_WORKER, Role.COORDINATOR):
        return redirect("support:home")
    if role == Role.REPORTER:
        return redirect("incidents:report_list")
    if role == Role.ANALYST:
        return redirect("insights:dashboard")
    return redirect("core:home")


@require_http_methods(["GET", "POST"])
@rate_limited("signup")
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_signup(**form.cleaned_data)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            login(request, user, backend="core.backends.RecourseBackend")
            # The username has a suffix the person has not seen yet: show it before going on.
            return render(request, "core/signup_done.html", {"username": user.username})
    return render(request, "core/signup.html", {"form": form})


# The key being set up waits in the person's own session until a code confirms it.
PENDING_KEY = "recourse.pending_totp"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False):
        return target
    return reverse("core:after_login")


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up one's own authenticator app: QR code and key drawn here, then one code to confirm."""
    user = cast(User, request.user)
    if second_factor.has_device(user):
        return redirect("core:account_security")
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            pending = request.session.get(PENDING_KEY)
            device, codes = second_factor.totp_confirm(user, pending, form.cleaned_data["code"])
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            request.session.pop(PENDING_KEY, None)
            request.session.cycle_key()
            otp_login(request, device)
            context = {"codes": codes, "next": _next_url(request), "first": True}
            return render(request, "core/backup_codes.html", context)
    enrolment = second_factor.totp_begin(user, request.session.get(PENDING_KEY))
    request.session[PENDING_KEY] = enrolment.key
    qr = segno.make(enrolment.uri, error="m").svg_data_uri(scale=5, border=2)
    key = " ".join(textwrap.wrap(enrolment.secret, 4))
    context = {"form": form, "qr": qr, "key": key, "next": _next_url(request)}
    return render(request, "core/second_factor_enrol.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if not second_factor.has_device(user):
        return redirect("core:second_factor_enrol")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor.verify(user, form.cleaned_data["code"])
        except second_factor.Throttled as exc:
            add_domain_errors(form, exc)
        else:
            if device is not None:
                request.session.cycle_key()
                otp_login(request, device)
                return redirect(_next_url(request))
            form.add_error("code", _("That code is not right, or was already used."))
    return render(
        request, "core/second_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    context = {
        "has_device": second_factor.has_device(user),
        "required": user.role in STAFF_ROLES,
        "sign_ins": tokens.sign_in_list(user=user, session_key=request.session.session_key),
    }
    return render(request, "core/account_security.html", context)


@login_required
@require_POST
def sign_in_end(request: HttpRequest, sign_in_id: UUID) -> HttpResponse:
    """End one of one's own sessions or API tokens (anyone else's is a 404); ending this
    browser's own session signs out here."""
    user = cast(User, request.user)
    sign_in = tokens.sign_in_get(user=user, public_id=sign_in_id)
    this_one = (
        isinstance(sign_in, UserSession) and sign_in.session_key == request.session.session_key
    )
    tokens.sign_in_end(actor=user, sign_in=sign_in)
    if this_one:
        logout(request)
        return redirect("core:login")
    messages.success(request, _("That sign-in has ended."))
    return redirect("core:account_security")


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session and API token of one's own account, this browser's included."""
    tokens.sign_out_everywhere(actor=cast(User, request.user))
    logout(request)
    messages.info(
        request,
        _("You are signed out everywhere: every session and API token of your account ended."),
    )
    return redirect("core:login")


@login_required
@require_POST
def backup_codes_renew(request: HttpRequest) -> HttpResponse:
    try:
        codes = second_factor.backup_codes_renew(cast(User, request.user))
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:account_security")
    context = {"codes": codes, "next": reverse("core:account_security"), "first": False}
    return render(request, "core/backup_codes.html", context)


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> Any:
    """django-axes calls this once an account has too many failed sign-ins from one client."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed sign-ins for this account from this device or network. Signing in to "
        "it from here is locked for %(minutes)d minutes; then try again, or ask an "
        "administrator for help."
    ) % {"minutes": minutes}
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "core/rate_limited.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """Stands in for the admin site's sign-in form, which is never served: the one sign-in page
    (core:login) holds every rule (per-client rate, lockout, second factor). Anything posted here
    is ignored; a safe `next` goes along."""
    target = request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect(f"{reverse('core:login')}?{urlencode({'next': target})}")
    if admin.site.has_permission(request):
        return redirect(target)
    # Signed in but not for the admin site: sending them to sign in would only come back here.
    raise PermissionDenied
