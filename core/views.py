from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.forms import SignupForm
from core.forms_util import add_domain_errors
from core.models import Role
from core.services import account_signup


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


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
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_signup(**form.cleaned_data)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("incidents:report_list")
    return render(request, "core/signup.html", {"form": form})
