"""Statistics for analysts, from the same engine as the dashboard: suppressed counts only."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import errors
from api.serializers import Text
from core.models import Role
from incidents.taxonomy import Region, ReporterRole
from insights.dimensions import DIMENSIONS
from insights.engine import MAX_MONTHS, Query, publish
from insights.presentation import as_json

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class IsAnalyst(BasePermission):
    message = _("Statistics are for the analyst role.")

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


_COUNT = {
    "count": {"type": "integer", "description": "Present unless the number is suppressed."},
    "suppressed": {"type": "boolean", "enum": [True], "description": "Present instead of count."},
}


@extend_schema_field(
    {
        "type": "object",
        "properties": _COUNT,
        "additionalProperties": {"type": "string"},
        "description": "The value of each dimension asked for, keyed by the dimension's name, "
        "and the count.",
    }
)
class CellField(serializers.DictField):
    pass


@extend_schema_field({"type": "object", "properties": _COUNT, "additionalProperties": False})
class TotalField(serializers.DictField):
    pass


class CountsMeta(serializers.Serializer):
    threshold = serializers.IntegerField(help_text="Counts below it are suppressed.")
    mode = serializers.ChoiceField(choices=["exact", "differential_privacy"])
    epsilon = serializers.FloatField()


class CountsOut(serializers.Serializer):
    """The shape `insights.presentation.as_json` gives; documentation only."""

    cells = serializers.ListField(child=CellField())
    total = TotalField()
    meta = CountsMeta()
    row_totals = serializers.ListField(
        child=CellField(), required=False, help_text="With two dimensions: by the first."
    )
    column_totals = serializers.ListField(
        child=CellField(), required=False, help_text="With two dimensions: by the second."
    )


PERIOD = {"type": "string", "pattern": MONTH}
COUNTS_PARAMETERS = [
    OpenApiParameter(
        "dimensions",
        {"type": "string", "minLength": 1, "maxLength": 100},
        required=True,
        description="One or two different dimensions, separated by a comma, out of: "
        + ", ".join(DIMENSIONS),
    ),
    OpenApiParameter(
        "from",
        PERIOD,
        required=True,
        description=f"The first month, YYYY-MM; at most {MAX_MONTHS} months in all.",
    ),
    OpenApiParameter("to", PERIOD, required=True, description="The last month, YYYY-MM."),
    OpenApiParameter("region", enum=Region.values),
    OpenApiParameter("role", enum=ReporterRole.values),
]


class CountsView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        summary="Report counts by one or two dimensions, small counts suppressed",
        parameters=COUNTS_PARAMETERS,
        responses={
            200: CountsOut,
            **errors(400, 401, 403, 429, e403="Only analysts."),
        },
    )
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
