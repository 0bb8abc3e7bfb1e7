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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.forms import ReceiptLoginForm
from core.forms_util import add_domain_errors
from core.throttling import throttled, wait_message
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
            login(request, account, backend="django.contrib.auth.backends.ModelBackend")
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


@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Leave at once: end the session and go to a neutral page (the script does this without a
    history entry; this is the fallback without JavaScript)."""
    logout(request)
    return redirect(settings.RECOURSE_QUICK_EXIT_URL)


@reporter_required
@require_POST
def report_withdraw_statistics(request: HttpRequest, report_id: UUID) -> HttpResponse:
    report = selectors.report_get(actor=request.user, public_id=report_id)
    services.report_consent_withdraw(actor=request.user, report=report)
    messages.success(request, _("This report is no longer counted in any statistics."))
    return redirect(report)
