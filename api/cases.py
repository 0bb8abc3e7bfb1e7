"""Case endpoints for staff, and the reporter's side of the conversation. Same services and
selectors as the staff pages; a case the actor may not see is a 404."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import errors
from api.serializers import CreatedOut, ReportOut, Text
from core.errors import DomainError
from core.models import Role, User
from incidents import selectors as report_selectors
from incidents.taxonomy import BiasGround, Language, Region, ReporterRole
from support import selectors, services
from support.models import CaseStatus, ResourceKind, Severity
from support.resources import SERVICES, ResourceFilters, resource_search
from support.selectors import CaseFilters


class HasCaseRole(BasePermission):
    message = gettext_lazy("Case lists are for support workers and coordinators.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.role in {Role.SUPPORT_WORKER, Role.COORDINATOR}
        )


class CaseSummary(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    report = serializers.UUIDField(source="report.public_id")
    status = serializers.CharField()
    severity = serializers.CharField()
    region = serializers.CharField(source="report.region")
    created_at = serializers.DateTimeField()
    response_due_at = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    last_update_at = serializers.DateTimeField(allow_null=True)
    assignees = serializers.SerializerMethodField()

    def get_assignees(self, case: selectors.CaseRow) -> list[str]:
        return case.assignees

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """A CaseRow is rendered directly, exactly as the fields above render it: a list page
        holds up to 100 of them, and walking the fields one by one cost more than the list's
        queries. Anything else (CaseOut's views) goes the usual way."""
        if not isinstance(instance, selectors.CaseRow):
            return super().to_representation(instance)
        return {
            "id": str(instance.public_id),
            "report": str(instance.report.public_id),
            "status": instance.status,
            "severity": instance.severity,
            "region": instance.report.region,
            "created_at": _when(instance.created_at),
            "response_due_at": _when(instance.response_due_at),
            "first_response_at": _when(instance.first_response_at),
            "last_update_at": _when(instance.last_update_at),
            "assignees": list(instance.assignees),
        }


def _when(value: datetime | None) -> str | None:
    """What serializers.DateTimeField gives with the project's settings: ISO 8601 in the current
    time zone, UTC written as Z."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class EntryOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    at = serializers.DateTimeField()
    author = serializers.CharField()
    text = serializers.CharField()
    from_reporter = serializers.BooleanField()


class EventOut(EntryOut):
    kind = serializers.CharField()
    old_value = serializers.CharField()
    new_value = serializers.CharField()


class CaseOut(CaseSummary):
    content = ReportOut(source="report")
    events = EventOut(many=True)
    notes = EntryOut(many=True)
    messages = EntryOut(many=True)

    def get_assignees(self, view: Any) -> list[str]:
        return [user.username for user in view.assignees]


class CaseFilterInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    region = Text(required=False, max_length=32, help_text="A region code: the report's region.")
    assignee = Text(
        required=False,
        max_length=150,
        help_text='A support worker\'s username, or "none" for cases nobody works on.',
    )
    overdue = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only open cases still waiting past their first-response deadline.",
    )


class AssignInput(serializers.Serializer):
    worker = Text(max_length=150)


class TransitionInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    reason = Text(required=False, allow_blank=True, default="", max_length=10_000)


class SeverityInput(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = Text(max_length=10_000)


class TextInput(serializers.Serializer):
    body = Text(max_length=10_000)


class CountedPaginator(Paginator):
    """Pages of a values query (case_all_rows) read together with the number of all its rows,
    in one query instead of two: each row carries that number, a window function counted
    before the slice. Only a page past the end, with no row to carry it, counts on its own."""

    TOTAL = "rows_in_all"

    def page(self, number: Any) -> Page:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 0
        if wanted < 1:
            return super().page(number)  # refused as Django refuses it
        bottom = (wanted - 1) * self.per_page
        counted = self.object_list.annotate(**{self.TOTAL: Window(Count("pk"))})
        rows = list(counted[bottom : bottom + self.per_page])
        if rows:
            self.__dict__["count"] = rows[0][self.TOTAL]  # Paginator.count is a cached property
        number = self.validate_number(number)  # with no row: counts, then 404s past the end
        for row in rows:
            del row[self.TOTAL]
        return self._get_page(rows, number, self)


class CasePagination(PageNumberPagination):
    django_paginator_class = CountedPaginator
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


PAGE = [
    OpenApiParameter("page", OpenApiTypes.INT, description="The page, from 1."),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": CasePagination.max_page_size},
        description=f"Cases a page (default {CasePagination.page_size}).",
    ),
]
CASE_PAGE = inline_serializer(
    "PaginatedCaseSummaryList",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": CaseSummary(many=True),
    },
)
NOT_STAFF = "Only support workers and coordinators."
# Unsafe methods: refused when signed in with a session cookie and the CSRF check fails.
CSRF = "With a session cookie, the CSRF check failed."


class CaseListView(APIView):
    permission_classes = [HasCaseRole]

    @extend_schema(
        operation_id="cases_list",
        summary="Cases, filtered: every case for coordinators, their own for support workers",
        parameters=[CaseFilterInput, *PAGE],
        responses={
            200: CASE_PAGE,
            **errors(400, 401, 403, 404, 429, e403=NOT_STAFF, e404="No such page."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = CaseFilters(**_valid(CaseFilterInput, request.query_params))
        cases = selectors.case_all_rows(actor=request.user, filters=filters)
        paginator = CasePagination()
        page = paginator.paginate_queryset(cases, request, view=self)
        rows = selectors.case_rows_page(page or [])
        return paginator.get_paginated_response(CaseSummary(rows, many=True).data)


class CaseView(APIView):
    permission_classes = [IsAuthenticated]

    def case(self, request: Request, case_id: UUID) -> Any:
        return selectors.case_get(actor=request.user, public_id=case_id)


class CaseDetailView(CaseView):
    @extend_schema(
        summary="A case with its report, events, notes and messages (audited)",
        responses={200: CaseOut, **errors(401, 404, 429)},
    )
    def get(self, request: Request, case_id: UUID) -> Response:
        view = selectors.case_open_content(actor=request.user, case=self.case(request, case_id))
        return Response(CaseOut(view).data)


class AssignmentsView(CaseView):
    @extend_schema(
        summary="Assign a support worker to a case (coordinators)",
        request=AssignInput,
        responses={
            201: inline_serializer("Assigned", fields={"worker": serializers.CharField()}),
            **errors(400, 401, 403, 404, 413, 415, 429, e403=CSRF),
        },
    )
    def post(self, request: Request, case_id: UUID) -> Response:
        case = self.case(request, case_id)
        username = _valid(AssignInput, request.data)["worker"]
        services.case_assign(actor=request.user, case=case, worker=_worker(username))
        return Response({"worker": username}, status=status.HTTP_201_CREATED)


class AssignmentDetailView(CaseView):
    @extend_schema(
        summary="Take a support worker off a case (coordinators)",
        responses={204: None, **errors(400, 401, 403, 404, 429, e403=CSRF)},
    )
    def delete(self, request: Request, case_id: UUID, username: str) -> Response:
        case = self.case(request, case_id)
        worker = selectors.assignee_named(case, username)
        services.case_unassign(actor=request.user, case=case, worker=worker)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _worker(username: str) -> User:
    worker = selectors.support_workers().filter(username=username).first()
    if worker is None:
        raise DomainError({"worker": [_("No active support worker has this username.")]})
    return worker


class TransitionsView(CaseView):
    @extend_schema(
        summary="Move a case to another status",
        request=TransitionInput,
        responses={200: CaseSummary, **errors(400, 401, 403, 404, 413, 415, 429, e403=CSRF)},
    )
    def post(self, request: Request, case_id: UUID) -> Response:
        case = self.case(request, case_id)
        case = services.case_transition(
            actor=request.user, case=case, **_valid(TransitionInput, request.data)
        )
        return Response(CaseSummary(selectors.case_row(case)).data)


class SeverityView(CaseView):
    @extend_schema(
        summary="Change a case's severity, saying why",
        request=SeverityInput,
        responses={200: CaseSummary, **errors(400, 401, 403, 404, 413, 415, 429, e403=CSRF)},
    )
    def post(self, request: Request, case_id: UUID) -> Response:
        case = self.case(request, case_id)
        case = services.case_set_severity(
            actor=request.user, case=case, **_valid(SeverityInput, request.data)
        )
        return Response(CaseSummary(selectors.case_row(case)).data)


class NotesView(CaseView):
    @extend_schema(
        summary="A case's internal notes (audited)",
        responses={200: EntryOut(many=True), **errors(401, 404, 429)},
    )
    def get(self, request: Request, case_id: UUID) -> Response:
        notes = selectors.case_notes(actor=request.user, case=self.case(request, case_id))
        return Response(EntryOut(notes, many=True).data)

    @extend_schema(
        summary="Add an internal note to a case",
        request=TextInput,
        responses={201: CreatedOut, **errors(400, 401, 403, 404, 413, 415, 429, e403=CSRF)},
    )
    def post(self, request: Request, case_id: UUID) -> Response:
        case = self.case(request, case_id)
        note = services.note_add(actor=request.user, case=case, **_valid(TextInput, request.data))
        return Response({"id": note.public_id}, status=status.HTTP_201_CREATED)


class CaseMessagesView(CaseView):
    @extend_schema(
        summary="The conversation with the reporter (audited)",
        responses={200: EntryOut(many=True), **errors(401, 404, 429)},
    )
    def get(self, request: Request, case_id: UUID) -> Response:
        found = selectors.case_messages(actor=request.user, case=self.case(request, case_id))
        return Response(EntryOut(found, many=True).data)

    @extend_schema(
        summary="Write to the reporter",
        request=TextInput,
        responses={201: CreatedOut, **errors(400, 401, 403, 404, 413, 415, 429, e403=CSRF)},
    )
    def post(self, request: Request, case_id: UUID) -> Response:
        case = self.case(request, case_id)
        message = services.message_send_staff(
            actor=request.user, case=case, **_valid(TextInput, request.data)
        )
        return Response({"id": message.public_id}, status=status.HTTP_201_CREATED)


class AuditEntryOut(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(
        allow_blank=True, help_text="The actor's public id; blank: system."
    )
    action = serializers.CharField()
    object_type = serializers.CharField(allow_blank=True)
    object_id = serializers.CharField(allow_blank=True)


class CaseAuditView(CaseView):
    @extend_schema(
        summary="The audit trail of a case and its report (coordinators; audited)",
        responses={
            200: AuditEntryOut(many=True),
            **errors(401, 403, 404, 429, e403="Only coordinators."),
        },
    )
    def get(self, request: Request, case_id: UUID) -> Response:
        case = self.case(request, case_id)
        if request.user.role != Role.COORDINATOR:
            raise PermissionDenied(_("The audit trail is for coordinators."))
        events = selectors.case_audit_trail(actor=request.user, case=case)
        return Response(AuditEntryOut(events, many=True).data)


class ReportMessagesView(APIView):
    """The reporter's side of the conversation about their own report."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The conversation about one of the caller's reports",
        responses={200: EntryOut(many=True), **errors(401, 404, 429)},
    )
    def get(self, request: Request, report_id: UUID) -> Response:
        report = report_selectors.report_get(actor=request.user, public_id=report_id)
        return Response(EntryOut(selectors.report_messages(report=report), many=True).data)

    @extend_schema(
        summary="Write to the people handling one of the caller's reports",
        request=TextInput,
        responses={201: CreatedOut, **errors(400, 401, 403, 404, 413, 415, 429, e403=CSRF)},
    )
    def post(self, request: Request, report_id: UUID) -> Response:
        report = report_selectors.report_get(actor=request.user, public_id=report_id)
        message = services.message_send_reporter(
            actor=request.user, report=report, **_valid(TextInput, request.data)
        )
        return Response({"id": message.public_id}, status=status.HTTP_201_CREATED)


IN_LANGUAGE = "In the language asked for (Accept-Language), else in English."


class ResourceOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(source="shown_name", help_text=IN_LANGUAGE)
    kind = serializers.CharField()
    description = serializers.CharField(source="shown_description", help_text=IN_LANGUAGE)
    services = serializers.ListField(child=serializers.CharField())
    grounds_served = serializers.ListField(child=serializers.CharField())
    audience = serializers.CharField(source="shown_audience", help_text=IN_LANGUAGE)
    regions = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    roles_served = serializers.ListField(child=serializers.CharField())
    cost = serializers.CharField()
    hours = serializers.CharField(source="shown_hours", help_text=IN_LANGUAGE)
    phone = serializers.CharField()
    website = serializers.CharField()
    email = serializers.CharField()


class ResourceFilterInput(serializers.Serializer):
    service = serializers.ChoiceField(choices=list(SERVICES), required=False)
    region = serializers.ChoiceField(choices=Region.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    role = serializers.ChoiceField(choices=ReporterRole.choices, required=False)
    ground = serializers.ChoiceField(choices=BiasGround.choices, required=False)
    kind = serializers.ChoiceField(choices=ResourceKind.choices, required=False)
    q = Text(required=False, max_length=100)


class ResourceListView(APIView):
    """The public directory: anyone may read it."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="The resource directory, filtered, in English or French",
        parameters=[
            ResourceFilterInput,
            OpenApiParameter(
                "Accept-Language",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description='"fr" for the French text of each resource (English where it has '
                "none), as does the site's language cookie set to French; otherwise English. "
                "The words of q match either language.",
            ),
        ],
        responses={200: ResourceOut(many=True), **errors(400, 401, 429)},
    )
    def get(self, request: Request) -> Response:
        filters = ResourceFilters(**_valid(ResourceFilterInput, request.query_params))
        return Response(ResourceOut(resource_search(filters=filters), many=True).data)


class MatchOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    resource = ResourceOut()
    score = serializers.IntegerField()
    reasons = serializers.ListField(
        child=serializers.CharField(), source="reasons_shown", help_text=IN_LANGUAGE
    )
    status = serializers.CharField()
    reason = serializers.CharField()


class MatchesView(CaseView):
    @extend_schema(
        summary="The resources suggested for a case, best first",
        responses={200: MatchOut(many=True), **errors(401, 404, 429)},
    )
    def get(self, request: Request, case_id: UUID) -> Response:
        case = self.case(request, case_id)
        return Response(MatchOut(selectors.case_matches(case=case), many=True).data)


class DecisionInput(serializers.Serializer):
    reason = Text(required=False, allow_blank=True, default="", max_length=10_000)


class MatchDecisionView(CaseView):
    @extend_schema(
        summary="Accept, dismiss (saying why) or refer a suggested resource",
        parameters=[
            OpenApiParameter(
                "action", str, OpenApiParameter.PATH, enum=list(services.MATCH_ACTIONS)
            )
        ],
        request=DecisionInput,
        responses={
            200: inline_serializer(
                "MatchDecided",
                fields={"id": serializers.UUIDField(), "status": serializers.CharField()},
            ),
            **errors(400, 401, 403, 404, 413, 415, 429, e403=CSRF),
        },
    )
    def post(self, request: Request, case_id: UUID, match_id: UUID, action: str) -> Response:
        case = self.case(request, case_id)
        match = selectors.match_get(case=case, public_id=match_id)
        reason = _valid(DecisionInput, request.data)["reason"]
        match = services.match_decide(actor=request.user, match=match, action=action, reason=reason)
        return Response({"id": match.public_id, "status": match.status})
