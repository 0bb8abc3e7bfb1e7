"""Extract tasks: ids in, a status word or a count out; idempotent."""

from incidents.models import Report
from insights import services


def extract_refresh(report_pk: int) -> str:
    return services.extract_refresh(report_pk=report_pk)


def extract_sync() -> int:
    """Scheduled: bring every consenting report's record up to date (catches anything missed)."""
    pks = Report.objects.filter(consent_statistics=True).values_list("pk", flat=True)
    return sum(services.extract_refresh(report_pk=pk) == "written" for pk in pks)
