"""The AMO dashboard: for analysts only, and only ever suppressed numbers from the engine."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.models import Role
from insights import presentation
from insights.engine import publish
from insights.forms import ExplorerForm, PeriodForm
from insights.overview import Period, overview

View = Callable[..., HttpResponse]


def analyst_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.role != Role.ANALYST:
            return render(request, "insights/not_analyst.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _chart(table: Any) -> dict[str, Any]:
    return {
        "table": table,
        "bars": presentation.bars(table),
        "alt": presentation.describe(table),
        "rows": presentation.as_rows(table),
        "height": 24 * len(table.rows) + 8,
        "name": table.query.dimensions[0],
    }


def _escalated_share(tables: list[Any]) -> str | None:
    table = next(t for t in tables if t.query.dimensions == ("escalated",))
    counts = dict(zip([code for code, _l in table.rows], [r[0] for r in table.cells], strict=True))
    yes, no = counts.get("yes"), counts.get("no")
    if yes is None or no is None or yes + no == 0:
        return None
    return _("%(percent)s%%") % {"percent": f"{100 * yes / (yes + no):.0f}"}


@analyst_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    period = Period(**form.period())
    try:
        tables = overview(period)
    except DomainError as exc:
        return render(request, "insights/dashboard.html", {"form": form, "error": exc.messages})
    context = {
        "form": form,
        "period": period,
        "charts": [_chart(t) for t in tables],
        "escalated_share": _escalated_share(tables),
        "meta": tables[0].meta if tables else {},
    }
    return render(request, "insights/dashboard.html", context)


@analyst_required
def explorer(request: HttpRequest) -> HttpResponse:
    form = ExplorerForm(request.GET or None)
    try:
        table = publish(form.query())
    except DomainError as exc:
        return render(request, "insights/explorer.html", {"form": form, "error": exc.messages})
    context = {
        "form": form,
        "table": table,
        "rows": presentation.as_rows(table),
        "query": request.GET.urlencode(),
    }
    return render(request, "insights/explorer.html", context)


@analyst_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """Exactly the explorer's table, as CSV."""
    form = ExplorerForm(request.GET or None)
    try:
        table = publish(form.query())
    except DomainError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    response = HttpResponse(presentation.as_csv(table), content_type="text/csv; charset=utf-8")
    name = "-".join(table.query.dimensions)
    response["Content-Disposition"] = (
        f'attachment; filename="recourse-{name}-{table.query.start}-{table.query.end}.csv"'
    )
    return response


@analyst_required
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/about.html")
