"""API endpoints: parse with an input serializer, call the same service or selector as the pages."""

from dataclasses import asdict
from typing import Any
from uuid import UUID

from django.contrib.auth import authenticate, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotFound, Throttled
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.schema import errors
from core import second_factor, tokens
from core.filetypes import ACCEPTED
from core.models import UserSession
from incidents import selectors, services
from incidents.downloads import evidence_response
from incidents.taxonomy import VOCABULARIES
from support.acknowledgement import acknowledgement


def _token_response(user: Any) -> Response:
    # Its lifetime and idle limit are the sessions' (core.tokens); a receipt's lasts an hour.
    instance, token = tokens.token_create(user=user)
    return Response({"token": token, "expiry": instance.expiry})


class IsReporter(BasePermission):
    message = gettext_lazy("This endpoint is for reporter accounts.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user and user.is_authenticated and not user.is_reporter and "report_id" in view.kwargs:
            raise NotFound  # a report endpoint: as for a report that does not exist
        return bool(user and user.is_authenticated and user.is_reporter)


class SignInView(APIView):
    """Exchanges credentials for a token; a failed attempt is a 401 like any failed sign-in."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return "Token"


class LoginView(SignInView):
    throttle_scope = "login"

    @extend_schema(
        summary="Sign in with a username and password for a token",
        request=s.LoginInput,
        responses={
            200: s.TokenOut,
            **errors(
                400,
                401,
                413,
                415,
                429,
                e401="The username, password or authenticator code is not right.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        credentials = dict(data.validated_data)
        code = credentials.pop("otp_token", "")
        user = authenticate(request._request, **credentials)
        if user is None:
            raise AuthenticationFailed(_("The username or password is not right."))
        if second_factor.required_for(user):
            _check_second_factor(user, code)
        return _token_response(user)


def _check_second_factor(user: Any, code: str) -> None:
    if not second_factor.has_device(user):
        raise AuthenticationFailed(
            _("Set up an authenticator app on the website first, then send its code as otp_token.")
        )
    try:
        device = second_factor.verify(user, code)
    except second_factor.Throttled as exc:
        raise Throttled(detail=" ".join(exc.messages)) from exc
    if device is None:
        raise AuthenticationFailed(_("A current code from your authenticator app is needed."))


class ReceiptLoginView(SignInView):
    throttle_scope = "receipt"

    @extend_schema(
        summary="Open an anonymous report with its receipt, for a one-hour token",
        request=s.ReceiptInput,
        responses={
            200: s.TokenOut,
            **errors(
                400,
                401,
                413,
                415,
                429,
                e401="The receipt does not open a report, or the authenticator code is not right.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.ReceiptInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.receipt_authenticate(receipt=data.validated_data["receipt"])
        if account is None:
            raise AuthenticationFailed(_("That receipt does not open a report."))
        if second_factor.required_for(account):  # as on the website, once one is set up
            _check_second_factor(account, data.validated_data.get("otp_token", ""))
        return _token_response(account)


class TokenScheme(KnoxTokenScheme):
    """core.tokens.TokenAuthentication is knox's token, under the session policy."""

    target_class = "core.tokens.TokenAuthentication"


class LogoutView(KnoxLogoutView):
    """knox's own for a token: the token this request carries stops working, the account's
    others stay. Called with a browser session instead, that session ends."""

    authentication_classes = APIView.authentication_classes  # knox's takes tokens only

    @extend_schema(
        summary="Sign out: end the token (or browser session) this request came with",
        request=None,
        responses={204: None, **errors(401, 403, 429)},
    )
    def post(self, request: Request, format: Any = None) -> Response:
        if isinstance(request.auth, AuthToken):
            return super().post(request, format)
        logout(request._request)
        return self.get_post_response(request)


def _current(request: Request) -> dict[str, Any]:
    """Which sign-in the request came with: its token, or else its session."""
    if isinstance(request.auth, AuthToken):
        return {"token": request.auth}
    return {"session_key": request.session.session_key}


class LogoutAllView(APIView):
    @extend_schema(
        summary="Sign out everywhere: end every session and token of the account",
        request=None,
        responses={204: None, **errors(401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        tokens.sign_out_everywhere(actor=request.user)
        if request.auth is None:  # signed in by this browser session, which has ended too
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignInListView(APIView):
    @extend_schema(
        summary="Where the account is signed in: its live sessions and tokens, no secret",
        responses={200: s.SignInOut(many=True), **errors(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        found = tokens.sign_in_list(user=request.user, **_current(request))
        return Response(s.SignInOut(found, many=True).data)


class SignInDetailView(APIView):
    @extend_schema(
        summary="End one of the account's sessions or tokens",
        responses={204: None, **errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, sign_in_id: UUID) -> Response:
        sign_in = tokens.sign_in_get(user=request.user, public_id=sign_in_id)
        this_session = isinstance(sign_in, UserSession) and request.auth is None
        this_session = this_session and sign_in.session_key == request.session.session_key
        tokens.sign_in_end(actor=request.user, sign_in=sign_in)
        if this_session:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


TAXONOMY = inline_serializer(
    "Taxonomy", fields={name: s.TermOut(many=True) for name in VOCABULARIES}
)


class TaxonomyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The vocabularies of reports: codes and their labels",
        responses={200: TAXONOMY, **errors(401, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                name: [{"code": code, "label": str(label)} for code, label in vocabulary.choices]
                for name, vocabulary in VOCABULARIES.items()
            }
        )


NOT_REPORTER = "Only reporter accounts; or, with a session cookie, the CSRF check failed."


class ReportListView(APIView):
    permission_classes = [IsReporter]

    def get_throttles(self) -> list[Any]:
        # Filing shares the pages' "submit" limit; listing is an ordinary read.
        self.throttle_scope = "submit" if self.request.method == "POST" else "api"
        return super().get_throttles()

    @extend_schema(
        summary="The caller's own reports, newest first",
        responses={200: s.ReportSummary(many=True), **errors(401, 403, 429, e403=NOT_REPORTER)},
    )
    def get(self, request: Request) -> Response:
        reports = selectors.report_list(actor=request.user)
        return Response(s.ReportSummary(reports, many=True).data)

    @extend_schema(
        summary="File a report",
        request=s.ReportInput,
        responses={
            201: s.ReportCreatedOut,
            **errors(400, 401, 403, 413, 415, 429, e403=NOT_REPORTER),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report_input = data.to_report()
        report = services.report_submit(actor=request.user, data=report_input)
        ack = acknowledgement(report=report, contact_given=bool(report_input.contact_details))
        return Response(
            {"id": report.public_id, "acknowledgement": asdict(ack)},
            status=status.HTTP_201_CREATED,
        )


class ReportDetailView(APIView):
    permission_classes = [IsReporter]

    @extend_schema(
        summary="One of the caller's reports, with its incidents and evidence",
        responses={200: s.ReportOut, **errors(401, 404, 429)},
    )
    def get(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        return Response(s.ReportOut(selectors.report_open(report=report)).data)

    @extend_schema(
        summary="Erase a report and everything in it, for good",
        responses={204: None, **errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        services.report_erase(actor=request.user, report=report)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IncidentCreateView(APIView):
    permission_classes = [IsReporter]

    @extend_schema(
        summary="Add an incident to a report",
        request=s.IncidentInput,
        responses={201: s.CreatedOut, **errors(400, 401, 403, 404, 413, 415, 429)},
    )
    def post(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        data = s.IncidentInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_add(actor=request.user, report=report, data=data.to_incident())
        return Response({"id": incident.public_id}, status=status.HTTP_201_CREATED)


class EvidenceCreateView(APIView):
    permission_classes = [IsReporter]
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "evidence"  # shared with the upload page (incidents.views.evidence_new)

    @extend_schema(
        summary="Attach an evidence file to a report",
        request={"multipart/form-data": s.EvidenceInput},
        responses={
            201: s.CreatedOut,
            **errors(
                400,
                401,
                403,
                404,
                413,
                415,
                429,
                e400="Refused: a file too large, empty or of a kind not accepted, or past the "
                "evidence quota of the report (files, bytes) or of the account in 24 hours; or "
                "bad fields. The reason is under `file` (or the field named).",
                e413="A form field other than the file is larger than the server accepts.",
                e415="The body is not multipart/form-data.",
            ),
        },
    )
    def post(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        data = s.EvidenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.evidence_add(
            actor=request.user,
            report=report,
            upload=data.validated_data["file"],
            description=data.validated_data["description"],
        )
        return Response({"id": evidence.public_id}, status=status.HTTP_201_CREATED)


# The file goes out with the type found by reading it: one of the accepted kinds.
EVIDENCE_FILE = {
    (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, "The file, as an attachment.")
    for media_type in ["application/octet-stream", *sorted(ACCEPTED)]
}


class EvidenceDownloadView(APIView):
    permission_classes = [IsReporter]

    @extend_schema(
        summary="Download an evidence file, decrypted",
        responses={**EVIDENCE_FILE, **errors(401, 404, 429)},
    )
    def get(self, request: Request, report_id: UUID, evidence_id: UUID) -> HttpResponse:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        evidence = selectors.evidence_get(actor=request.user, report=report, public_id=evidence_id)
        return evidence_response(selectors.evidence_open(evidence=evidence))


class AnonymousReportView(APIView):
    """Anyone files here without an account, except staff. It sees who calls (token or session,
    the default authentication) so that a staff account is refused; DRF asks a session for the
    CSRF token only once it has found a signed-in person in it, so a signed-out visitor needs
    none. A reporter account may file here too: the report gets its own receipt account and is
    not linked to theirs (the caller chose to file anonymously)."""

    permission_classes = [AllowAny]
    throttle_scope = "submit"

    @extend_schema(
        summary="File a report without an account; the answer holds its receipt",
        request=s.ReportInput,
        responses={
            201: s.AnonymousReportCreatedOut,
            **errors(400, 401, 403, 413, 415, 429, e403="Staff accounts cannot file reports."),
        },
    )
    def post(self, request: Request) -> Response:
        if request.user.is_authenticated and not request.user.is_reporter:
            self.permission_denied(
                request,
                message=_(
                    "Staff accounts cannot file reports. To file a report, sign out and use a "
                    "reporter account or file anonymously."
                ),
                code="staff_account",
            )
        data = s.ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report_input = data.to_report()
        submission = services.report_submit_anonymous(data=report_input)
        ack = acknowledgement(
            report=submission.report, contact_given=bool(report_input.contact_details)
        )
        return Response(
            {
                "id": submission.report.public_id,
                "receipt": submission.receipt,
                "acknowledgement": asdict(ack),
            },
            status=status.HTTP_201_CREATED,
        )


class StatisticsConsentView(APIView):
    """DELETE withdraws the report's consent to anonymized statistics."""

    permission_classes = [IsReporter]

    @extend_schema(
        summary="Withdraw a report's consent to anonymized statistics",
        responses={204: None, **errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        services.report_consent_withdraw(actor=request.user, report=report)
        return Response(status=status.HTTP_204_NO_CONTENT)


@csrf_exempt  # it changes nothing; otherwise a POST would get the CSRF failure page instead
def not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under the API: DRF's JSON 404, not the site's HTML page, so that a
    malformed id in a path gets the same answer as an unknown one."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
