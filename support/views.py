"""Staff pages. Thin: parse, call a selector or service, render or redirect."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.models import Role
from incidents import selectors as report_selectors
from incidents.downloads import evidence_response
from support import roles, selectors, services
from support.forms import (
    AssignForm,
    CaseFilterForm,
    ResourceFilterForm,
    SeverityForm,
    TextForm,
    TransitionForm,
)
from support.models import NotificationKind
from support.resources import resource_search

View = Callable[..., HttpResponse]
CASE_ROLES = {Role.SUPPORT_WORKER, Role.COORDINATOR}
PAGE_SIZE = 25


def staff_required(view: View) -> View:
    """Signed in with a case role: support worker or coordinator."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.role not in CASE_ROLES:
            return render(request, "support/not_staff.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _coordinator_only(request: HttpRequest) -> HttpResponse | None:
    if request.user.role != Role.COORDINATOR:
        return render(request, "support/not_staff.html", status=403)
    return None


def _case_list(request: HttpRequest, cases: Any, *, title: str, **extra: Any) -> HttpResponse:
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/case_list.html", {"page": page, "title": title, **extra})


@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    return redirect(
        "support:intake" if request.user.role == Role.COORDINATOR else "support:my_cases"
    )


@staff_required
def my_cases(request: HttpRequest) -> HttpResponse:
    return _case_list(request, selectors.case_worker_list(actor=request.user), title="mine")


@staff_required
def intake(request: HttpRequest) -> HttpResponse:
    refused = _coordinator_only(request)
    if refused:
        return refused
    escalated = selectors.case_escalated(actor=request.user)
    return _case_list(
        request,
        selectors.case_intake_queue(actor=request.user),
        title="intake",
        escalated=escalated,
    )


@staff_required
def all_cases(request: HttpRequest) -> HttpResponse:
    refused = _coordinator_only(request)
    if refused:
        return refused
    form = CaseFilterForm(request.GET or None)
    cases = selectors.case_all(actor=request.user, filters=form.filters())
    return _case_list(request, cases, title="all", filter_form=form)


@login_required  # not staff_required: a case someone may not see is a 404, like a missing one
def case_detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = selectors.case_get(actor=request.user, public_id=case_id)
    coordinator = request.user.role == Role.COORDINATOR
    context = {
        "view": selectors.case_open_content(actor=request.user, case=case),
        "coordinator": coordinator,
        "assign_form": AssignForm() if coordinator else None,
        "severity_form": SeverityForm(initial={"severity": case.severity}) if coordinator else None,
        "transition_form": TransitionForm.for_case(case, coordinator=coordinator),
        "text_form": TextForm(),
        "audit": selectors.case_audit_trail(actor=request.user, case=case) if coordinator else None,
        "matches": selectors.case_matches(case=case),
        "linked": selectors.linked_cases(actor=request.user, case=case),
    }
    return render(request, "support/case_detail.html", context)


def case_action(view: Callable[[HttpRequest, Any], None]) -> View:
    """A POST that changes a case: find it (404 if not visible), run the service, go back."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, case_id: UUID, **kwargs: Any) -> HttpResponse:
        case = selectors.case_get(actor=request.user, public_id=case_id)
        try:
            view(request, case, **kwargs)
        except DomainError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect(case)

    return wrapper


def _form_or_error(form: Any) -> dict[str, Any]:
    """The form's data, or its errors as the service's refusal would be."""
    if not form.is_valid():
        errors = form.errors.get_json_data()
        raise DomainError({name: [e["message"] for e in items] for name, items in errors.items()})
    return form.cleaned_data


@case_action
def case_assign(request: HttpRequest, case: Any) -> None:
    data = _form_or_error(AssignForm(request.POST))
    services.case_assign(actor=request.user, case=case, worker=data["worker"])
    messages.success(
        request, _("%(name)s now works on this case.") % {"name": data["worker"].username}
    )


@case_action
def case_unassign(request: HttpRequest, case: Any, username: str) -> None:
    worker = selectors.assignee_named(case, username)
    services.case_unassign(actor=request.user, case=case, worker=worker)
    messages.success(request, _("%(name)s no longer works on this case.") % {"name": username})


@case_action
def case_severity(request: HttpRequest, case: Any) -> None:
    data = _form_or_error(SeverityForm(request.POST))
    services.case_set_severity(actor=request.user, case=case, **data)


@case_action
def case_transition(request: HttpRequest, case: Any) -> None:
    data = _form_or_error(TransitionForm(request.POST))
    services.case_transition(actor=request.user, case=case, **data)


@case_action
def case_note(request: HttpRequest, case: Any) -> None:
    services.note_add(actor=request.user, case=case, **_form_or_error(TextForm(request.POST)))


@case_action
def case_message(request: HttpRequest, case: Any) -> None:
    services.message_send_staff(
        actor=request.user, case=case, **_form_or_error(TextForm(request.POST))
    )


@login_required
def case_evidence(request: HttpRequest, case_id: UUID, evidence_id: UUID) -> HttpResponse:
    case = selectors.case_get(actor=request.user, public_id=case_id)
    evidence = selectors.case_evidence_get(actor=request.user, case=case, public_id=evidence_id)
    return evidence_response(report_selectors.evidence_open(evidence=evidence))


def signed_in_staff(view: View) -> View:
    """Any signed-in account but a receipt account: notifications reach administrators, and a
    reporter for whom a role was asked."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_receipt_account:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@signed_in_staff
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notification_list(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "support/notifications.html", {"page": page})


@signed_in_staff
@require_http_methods(["GET", "POST"])
def notification_open(request: HttpRequest, notification_id: UUID) -> HttpResponse:
    """Show a notification; a POST marks it read and goes on to the case, when the reader may
    see it (a link in an e-mail only ever shows, so no other site can mark anything read)."""
    note = selectors.notification_get(actor=request.user, public_id=notification_id)
    case_open = (
        note.case is not None
        and selectors.case_visible(actor=request.user).filter(pk=note.case_id).exists()
    )
    if request.method == "POST":
        services.notification_read(actor=request.user, notification=note)
        if case_open:
            return redirect(note.case)
        if note.kind == NotificationKind.ROLE_REQUESTED and request.user.role == Role.COORDINATOR:
            return redirect("support:roles")
        return redirect("support:notifications")
    return render(request, "support/notification.html", {"note": note, "case_open": case_open})


@staff_required
def alerts(request: HttpRequest) -> HttpResponse:
    refused = _coordinator_only(request)
    if refused:
        return refused
    return render(
        request, "support/alerts.html", {"alerts": selectors.pattern_alerts(actor=request.user)}
    )


@case_action
def match_decide(request: HttpRequest, case: Any, match_id: UUID, action: str) -> None:
    match = selectors.match_get(case=case, public_id=match_id)
    services.match_decide(
        actor=request.user, match=match, action=action, reason=request.POST.get("reason", "")
    )


def find_support(request: HttpRequest) -> HttpResponse:
    """The public directory: anyone may look, no account needed."""
    form = ResourceFilterForm(request.GET or None)
    resources = resource_search(filters=form.filters())
    return render(request, "support/find_support.html", {"form": form, "resources": resources})


@staff_required
def role_requests(request: HttpRequest) -> HttpResponse:
    """Coordinators: the roles administrators asked for, waiting for confirmation."""
    refused = _coordinator_only(request)
    if refused:
        return refused
    page = Paginator(roles.role_request_list(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "support/roles.html", {"page": page})


def _role_decision(decide: Callable[..., Any], done: Any) -> View:
    """A coordinator's POST on a waiting request (404 if it is not one they may see)."""

    @staff_required
    @require_POST
    def view(request: HttpRequest, request_id: UUID) -> HttpResponse:
        refused = _coordinator_only(request)
        if refused:
            return refused
        waiting = roles.role_request_get(actor=request.user, public_id=request_id)
        try:
            decide(actor=request.user, request=waiting)
        except DomainError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, done % {"name": waiting.user.username})
        return redirect("support:roles")

    return view


role_confirm = _role_decision(roles.role_confirm, gettext_lazy("%(name)s now has the role."))
role_decline = _role_decision(
    roles.role_decline, gettext_lazy("The role for %(name)s was declined.")
)
