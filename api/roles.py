"""Role requests: the roles that read cases, asked for by an administrator, wait here for an active
coordinator's decision (SECURITY.md 8). Same selectors and services as the staff page."""

from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import errors
from core.models import Role
from support import roles
from support.models import RoleRequestStatus

CSRF = "With a session cookie, the CSRF check failed."


class SeesRoleRequests(BasePermission):
    message = gettext_lazy("Role requests are for coordinators and administrators.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return roles.is_administrator(user) or user.role == Role.COORDINATOR  # type: ignore[union-attr]


class RoleRequestOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    username = serializers.CharField(source="user.username")
    current_role = serializers.ChoiceField(choices=Role.choices, source="user.role")
    role = serializers.ChoiceField(choices=Role.choices, help_text="The role asked for.")
    requested_by = serializers.CharField(
        source="requested_by.username", allow_null=True, default=None
    )
    requested_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=RoleRequestStatus.choices)


class RoleRequestListView(APIView):
    permission_classes = [SeesRoleRequests]

    @extend_schema(
        operation_id="role_requests_list",
        summary="Roles that read cases, asked for and waiting for a coordinator, oldest first",
        responses={
            200: RoleRequestOut(many=True),
            **errors(401, 403, 429, e403="Only coordinators and administrators."),
        },
    )
    def get(self, request: Request) -> Response:
        # Waiting requests are few (at most one per account), so the list is not paged.
        waiting = roles.role_request_list(actor=request.user)  # type: ignore[arg-type]
        return Response(RoleRequestOut(waiting, many=True).data)


class RoleDecisionView(APIView):
    """Confirm or decline: coordinators only, never for themselves."""

    permission_classes = [IsAuthenticated]
    decide: Any = None  # the service, a staticmethod in each subclass

    def post(self, request: Request, request_id: UUID) -> Response:
        waiting = roles.role_request_get(actor=request.user, public_id=request_id)  # type: ignore[arg-type]
        decided = self.decide(actor=request.user, request=waiting)
        return Response(RoleRequestOut(decided).data)


DECISION_ERRORS = errors(
    400,
    401,
    403,
    404,
    429,
    e400="Refused: not a coordinator, the caller's own request, or already decided.",
    e403=CSRF,
    e404="No such request waiting, or not one the caller may see.",
)


class RoleConfirmView(RoleDecisionView):
    decide = staticmethod(roles.role_confirm)

    @extend_schema(
        summary="Confirm a waiting role (coordinators; not for themselves)",
        request=None,
        responses={200: RoleRequestOut, **DECISION_ERRORS},
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        return super().post(request, request_id)


class RoleDeclineView(RoleDecisionView):
    decide = staticmethod(roles.role_decline)

    @extend_schema(
        summary="Decline a waiting role (coordinators; not for themselves)",
        request=None,
        responses={200: RoleRequestOut, **DECISION_ERRORS},
    )
    def post(self, request: Request, request_id: UUID) -> Response:
        return super().post(request, request_id)
