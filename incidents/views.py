"""The reporter's pages. Thin: parse, call a selector or service, render."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import csrf
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.forms import ReceiptLoginForm
from core.forms_util import add_domain_errors
from core.throttling import rate_limited, throttled, wait_message
from incidents import selectors, services
from incidents.downloads import evidence_response
from incidents.forms import EraseForm, EvidenceForm, IncidentForm, MessageForm
from incidents.receipts import receipt_display
from incidents.wizard import ReportWizard
from support import selectors as case_selectors
from support import services as case_services
from support.acknowledgement import acknowledgement
from support.models import CaseStatus

View = Callable[..., HttpResponse]


def reporter_required(view: View) -> View:
    """Signed in with a reporter account (staff accounts have no reports of their own)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_reporter:
            if "report_id" in kwargs:  # a report page: as for a report that does not exist
                raise Http404
            return render(request, "incidents/not_reporter.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


@reporter_required
def report_list(request: HttpRequest) -> HttpResponse:
    reports = selectors.report_list(actor=request.user)
    if request.user.is_receipt_account:
        only = reports.first()
        return redirect(only) if only else redirect("core:home")
    return render(request, "incidents/report_list.html", {"reports": reports})


def _wizard(request: HttpRequest, *, anonymous: bool) -> HttpResponse:
    wizard = ReportWizard(request.POST if request.method == "POST" else None)
    if not wizard.ready_to_submit:
        return render(request, "incidents/report_new.html", wizard.context(anonymous=anonymous))
    if wait := throttled(request, "submit"):
        wizard.form.add_error(None, wait_message(wait))
        wizard.show_first_error()
        context = wizard.context(anonymous=anonymous)
        return render(request, "incidents/report_new.html", context, status=429)
    try:
        data = wizard.form.to_input()
        if anonymous:
            submission = services.report_submit_anonymous(data=data)
        else:
            report = services.report_submit(actor=request.user, data=data)
    except DomainError as exc:
        add_domain_errors(wizard.form, exc)
        wizard.show_first_error()
        return render(request, "incidents/report_new.html", wizard.context(anonymous=anonymous))
    if not anonymous:
        return redirect(report)
    ack = acknowledgement(report=submission.report, contact_given=bool(data.contact_details))
    context = {
        "receipt": receipt_display(submission.receipt),
        "report": submission.report,
        "ack": ack,
    }
    return render(request, "incidents/receipt.html", context)


@reporter_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    if request.user.is_receipt_account:
        messages.info(request, _("A receipt opens one report. Leave it to file a new one."))
        return redirect("incidents:report_list")
    return _wizard(request, anonymous=False)


@require_http_methods(["GET", "POST"])
def anonymous_new(request: HttpRequest) -> HttpResponse:
    """Anyone files without an account, except a signed-in staff account, which is refused
    plainly (as the API's anonymous endpoint refuses it) rather than handed a receipt."""
    user = request.user
    if user.is_authenticated and not user.is_reporter:
        return render(request, "incidents/not_reporter.html", status=403)
    return _wizard(request, anonymous=True)


@require_http_methods(["GET", "POST"])
def anonymous_open(request: HttpRequest) -> HttpResponse:
    form = ReceiptLoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and (wait := throttled(request, "receipt")):
        form.add_error(None, wait_message(wait))
        return render(request, "incidents/anonymous_open.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        account = services.receipt_authenticate(receipt=form.cleaned_data["receipt"])
        if account is not None:
            login(request, account, backend="core.backends.RecourseBackend")
            return redirect("incidents:report_list")
        form.add_error("receipt", _("That receipt does not open a report. Check it and try again."))
    return render(request, "incidents/anonymous_open.html", {"form": form})


@reporter_required
def report_detail(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    return _report_page(request, report, MessageForm())


def _report_page(request: HttpRequest, report: Any, form: MessageForm) -> HttpResponse:
    view = selectors.report_open(report=report)
    context = {
        "view": view,
        "ack": acknowledgement(report=report, contact_given=bool(view.contact_details))
        if report.case.status in (CaseStatus.NEW, CaseStatus.TRIAGED)
        else None,
        "helpers": case_selectors.report_helpers(report=report),
        "conversation": case_selectors.report_messages(report=report),
        "resources": case_selectors.report_resources(report=report),
        "message_form": form,
    }
    return render(request, "incidents/report_detail.html", context)


@reporter_required
@require_POST
def report_message(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            case_services.message_send_reporter(
                actor=request.user, report=report, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("Your message was sent."))
            return redirect(report)
    return _report_page(request, report, form)


@reporter_required
def report_export(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    return render(
        request, "incidents/report_export.html", {"view": selectors.report_open(report=report)}
    )


@reporter_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    form = IncidentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_add(actor=request.user, report=report, data=form.to_input())
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The incident was added to your timeline."))
            return redirect(report)
    return render(request, "incidents/incident_new.html", {"form": form, "report": report})


@reporter_required
@require_http_methods(["GET", "POST"])
@rate_limited("evidence")  # one limit per client with the API's upload endpoint
def evidence_new(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    form = EvidenceForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_add(
                actor=request.user,
                report=report,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("The file was encrypted and added to your report."))
            return redirect(report)
    return render(request, "incidents/evidence_new.html", {"form": form, "report": report})


@reporter_required
def evidence_download(request: HttpRequest, report_id: UUID, evidence_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    evidence = selectors.evidence_get(actor=request.user, report=report, public_id=evidence_id)
    return evidence_response(selectors.evidence_open(evidence=evidence))


@reporter_required
@require_http_methods(["GET", "POST"])
def report_erase(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        was_receipt = request.user.is_receipt_account
        services.report_erase(actor=request.user, report=report)
        if was_receipt:
            logout(request)
            return render(request, "incidents/erased.html")
        messages.success(request, _("The report was erased."))
        return redirect("incidents:report_list")
    return render(request, "incidents/report_erase.html", {"form": form, "report": report})


# What the browser drops when the quick exit answers: our cookies (the session's, the CSRF token,
# the language) and storage. Not "cache": Chromium can take seconds to clear it, and no page of
# ours is cached anyway (Cache-Control: no-store).
EXIT_CLEARS_SITE_DATA = '"cookies", "storage"'


@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Leave at once: end the session, then move on to the neutral page (SECURITY.md 24).

    The script leaves without a history entry and posts here in the background; without
    JavaScript the form posts here. A redirect to the neutral site would be blocked by our own
    CSP (`form-action 'self'` also covers where a form's redirect leads), so this answers with a
    page of ours whose meta refresh (a navigation of its own, outside form-action) leaves."""
    logout(request)
    response = _exit_page(request)
    response.headers["Clear-Site-Data"] = EXIT_CLEARS_SITE_DATA
    return response


def _exit_page(request: HttpRequest, status: int = 200) -> HttpResponse:
    context = {"exit_url": settings.RECOURSE_QUICK_EXIT_URL}
    return render(request, "incidents/exit.html", context, status=status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF failure page (settings.CSRF_FAILURE_VIEW), except for the quick exit.

    A refused exit still leaves, ending nothing: otherwise a second tab, whose CSRF cookie the
    first exit had the browser drop, would keep the person here. A forged post gains nothing
    from this: no session ends and no site data is cleared, and any site can link to the
    neutral page."""
    if request.path_info == reverse("incidents:quick_exit"):
        return _exit_page(request, status=403)
    return csrf.csrf_failure(request, reason=reason)


@reporter_required
@require_POST
def report_withdraw_statistics(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    services.report_consent_withdraw(actor=request.user, report=report)
    messages.success(request, _("This report is no longer counted in any statistics."))
    return redirect(report)
