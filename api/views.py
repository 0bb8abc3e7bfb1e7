"""API endpoints: parse with an input serializer, call the same service or selector as the pages."""

from dataclasses import asdict
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotFound, Throttled
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.schema import errors
from core import second_factor
from core.filetypes import ACCEPTED
from incidents import selectors, services
from incidents.downloads import evidence_response
from incidents.taxonomy import VOCABULARIES
from support.acknowledgement import acknowledgement

RECEIPT_TOKEN_TTL = timedelta(hours=1)


def _token_response(user: Any, ttl: timedelta | None) -> Response:
    instance, token = AuthToken.objects.create(user=user, expiry=ttl)
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
        return _token_response(user, knox_settings.TOKEN_TTL)


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
            **errors(400, 401, 413, 415, 429, e401="That receipt does not open a report."),
        },
    )
    def post(self, request: Request) -> Response:
        data = s.ReceiptInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.receipt_authenticate(receipt=data.validated_data["receipt"])
        if account is None:
            raise AuthenticationFailed(_("That receipt does not open a report."))
        return _token_response(account, RECEIPT_TOKEN_TTL)


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
                e400="Refused: a file too large, empty or of a kind not accepted; or bad fields.",
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
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_scope = "submit"

    @extend_schema(
        summary="File a report without an account; the answer holds its receipt",
        request=s.ReportInput,
        responses={201: s.AnonymousReportCreatedOut, **errors(400, 413, 415, 429)},
    )
    def post(self, request: Request) -> Response:
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
