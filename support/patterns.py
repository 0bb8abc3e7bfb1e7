"""Pattern alerts: two or more consenting reporters named the same identifier. Computed from the
blind index alone (incidents.PerpetratorMark), never decrypted, never shown to reporters."""

from django.db.models import Count

from core.audit import audit_record
from incidents.models import PerpetratorMark, Report
from support.models import Case, PatternAlert, PatternLink
from support.notifications import coordinators, notify


def pattern_check(*, report: Report) -> int:
    """Link this report's case to every other consenting report naming one of its identifiers;
    returns how many new links. Idempotent: links and notifications are unique."""
    if not report.consent_matching:
        return 0
    new_links = 0
    for digest in report.marks.values_list("digest", flat=True):
        marks = PerpetratorMark.objects.filter(digest=digest, report__consent_matching=True)
        if marks.aggregate(people=Count("report__reporter", distinct=True))["people"] < 2:
            continue
        alert, _ = PatternAlert.objects.get_or_create(digest=digest)
        linked = 0
        for case in Case.objects.filter(report__in=marks.values("report")):
            _link, created = PatternLink.objects.get_or_create(alert=alert, case=case)
            linked += created
        new_links += linked
        if linked:
            size = PatternLink.objects.filter(alert=alert).count()
            notify(
                recipients=coordinators(),
                kind="pattern",
                case=None,
                key=f"pattern:{alert.pk}:{size}",
            )
            audit_record(actor=None, action="pattern.alert", obj=alert)
    return new_links
