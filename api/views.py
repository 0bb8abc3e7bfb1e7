"""API endpoints: parse with an input serializer, call the same service or selector as the pages."""

from dataclasses import asdict
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import authenticate
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from api import serializers as s
from incidents import selectors, services
from incidents.downloads import evidence_response
from incidents.taxonomy import VOCABULARIES
from support.acknowledgement import acknowledgement

RECEIPT_TOKEN_TTL = timedelta(hours=1)


def _token_response(user: Any, ttl: timedelta | None) -> Response:
    instance, token = AuthToken.objects.create(user=user, expiry=ttl)
    return Response({"token": token, "expiry": instance.expiry})


class IsReporter(BasePermission):
    message = "This endpoint is for reporter accounts."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user and user.is_authenticated and not user.is_reporter and "report_id" in view.kwargs:
            raise NotFound  # a report endpoint: as for a report that does not exist
        return bool(user and user.is_authenticated and user.is_reporter)


class SignInView(APIView):
    """Exchanges credentials for a token; a failed attempt is a 401 like any failed sign-in."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]

    def get_authenticate_header(self, request: Request) -> str:
        return "Token"


class LoginView(SignInView):
    throttle_scope = "login"

    @extend_schema(request=s.LoginInput)
    def post(self, request: Request) -> Response:
        data = s.LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise AuthenticationFailed("The username or password is not right.")
        return _token_response(user, knox_settings.TOKEN_TTL)


class ReceiptLoginView(SignInView):
    throttle_scope = "receipt"

    @extend_schema(request=s.ReceiptInput)
    def post(self, request: Request) -> Response:
        data = s.ReceiptInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.receipt_authenticate(receipt=data.validated_data["receipt"])
        if account is None:
            raise AuthenticationFailed("That receipt does not open a report.")
        return _token_response(account, RECEIPT_TOKEN_TTL)


class TaxonomyView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(
            {
                name: [{"code": code, "label": str(label)} for code, label in vocabulary.choices]
                for name, vocabulary in VOCABULARIES.items()
            }
        )


class ReportListView(APIView):
    permission_classes = [IsReporter]

    def get(self, request: Request) -> Response:
        reports = selectors.report_list(actor=request.user)
        return Response(s.ReportSummary(reports, many=True).data)

    @extend_schema(request=s.ReportInput)
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

    def get(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        return Response(s.ReportOut(selectors.report_open(report=report)).data)

    def delete(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        services.report_erase(actor=request.user, report=report)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IncidentCreateView(APIView):
    permission_classes = [IsReporter]

    @extend_schema(request=s.IncidentInput)
    def post(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        data = s.IncidentInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_add(actor=request.user, report=report, data=data.to_incident())
        return Response({"id": incident.public_id}, status=status.HTTP_201_CREATED)


class EvidenceCreateView(APIView):
    permission_classes = [IsReporter]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": s.EvidenceInput})
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


class EvidenceDownloadView(APIView):
    permission_classes = [IsReporter]

    def get(self, request: Request, report_id: UUID, evidence_id: UUID) -> HttpResponse:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        evidence = selectors.evidence_get(actor=request.user, report=report, public_id=evidence_id)
        return evidence_response(selectors.evidence_open(evidence=evidence))


class AnonymousReportView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "submit"

    @extend_schema(request=s.ReportInput)
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

    def delete(self, request: Request, report_id: UUID) -> Response:
        report = selectors.report_get(actor=request.user, public_id=report_id)
        services.report_consent_withdraw(actor=request.user, report=report)
        return Response(status=status.HTTP_204_NO_CONTENT)
