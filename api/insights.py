"""Statistics for analysts, from the same engine as the dashboard: suppressed counts only."""

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import Text
from core.models import Role
from incidents.taxonomy import Region, ReporterRole
from insights.engine import Query, publish
from insights.presentation import as_json

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class IsAnalyst(BasePermission):
    message = "Statistics are for the analyst role."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.ANALYST)


class CountsInput(serializers.Serializer):
    dimensions = Text(max_length=100)
    start = serializers.RegexField(MONTH)
    end = serializers.RegexField(MONTH)
    region = serializers.ChoiceField(choices=Region.choices, required=False, default="")
    role = serializers.ChoiceField(choices=ReporterRole.choices, required=False, default="")

    def to_query(self) -> Query:
        data = self.validated_data
        return Query(
            dimensions=tuple(d.strip() for d in data["dimensions"].split(",") if d.strip()),
            start=data["start"],
            end=data["end"],
            region=data["region"],
            role=data["role"],
        )


class CountsView(APIView):
    permission_classes = [IsAnalyst]

    def get(self, request: Request) -> Response:
        params = {
            "dimensions": request.query_params.get("dimensions", ""),
            "start": request.query_params.get("from", ""),
            "end": request.query_params.get("to", ""),
            **{k: request.query_params[k] for k in ("region", "role") if k in request.query_params},
        }
        data = CountsInput(data=params)
        if not data.is_valid():
            errors = dict(data.errors)
            for ours, theirs in (("start", "from"), ("end", "to")):
                if ours in errors:
                    errors[theirs] = errors.pop(ours)
            return Response(errors, status=400)
        return Response(as_json(publish(data.to_query())))
