"""Pattern alerts: two or more consenting reporters named the same identifier. Computed from the
blind index alone (incidents.PerpetratorMark), never decrypted, never shown to reporters.

Only marks of the keyring's current blind-index generation are compared: a digest of another
generation was made under another key and matches nothing until blind_index_rebuild brings it
to the current one (then patterns_recheck links what the rebuild made comparable)."""

from django.db import transaction
from django.db.models import Count, QuerySet

from core.audit import audit_record
from core.crypto.keyring import load_keyring
from incidents.models import PerpetratorMark, Report
from support.models import Case, PatternAlert, PatternLink
from support.notifications import coordinators, notify


def _current_marks() -> QuerySet[PerpetratorMark]:
    generation = load_keyring().index_generation
    return PerpetratorMark.objects.filter(index_generation=generation)


def pattern_check(*, report: Report) -> int:
    """Link this report's case to every other consenting report naming one of its identifiers;
    returns how many new links. Idempotent: links and notifications are unique."""
    if not report.consent_matching:
        return 0
    current = _current_marks()
    new_links = 0
    for digest in current.filter(report=report).values_list("digest", flat=True):
        new_links += _pattern_link(digest, current)
    return new_links


def patterns_recheck() -> int:
    """Only the pattern_recheck command, after blind_index_rebuild: link every identifier that
    consenting reporters now share. Audits pattern.alert per alert with new links; idempotent."""
    current = _current_marks()
    shared = (
        current.filter(report__consent_matching=True)
        .values("digest")
        .annotate(people=Count("report__reporter", distinct=True))
        .filter(people__gte=2)
        .order_by("digest")
        .values_list("digest", flat=True)
    )
    new_links = 0
    for digest in shared:
        with transaction.atomic():
            new_links += _pattern_link(digest, current)
    return new_links


def _pattern_link(digest: str, current: QuerySet[PerpetratorMark]) -> int:
    marks = current.filter(digest=digest, report__consent_matching=True)
    if marks.aggregate(people=Count("report__reporter", distinct=True))["people"] < 2:
        return 0
    alert = _alert_for(digest, marks, current)
    linked = 0
    for case in Case.objects.filter(report__in=marks.values("report")):
        _link, created = PatternLink.objects.get_or_create(alert=alert, case=case)
        linked += created
    if linked:
        size = PatternLink.objects.filter(alert=alert).count()
        notify(
            recipients=coordinators(),
            kind="pattern",
            case=None,
            key=f"pattern:{alert.pk}:{size}",
        )
        audit_record(actor=None, action="pattern.alert", obj=alert)
    return linked


def _alert_for(
    digest: str, marks: QuerySet[PerpetratorMark], current: QuerySet[PerpetratorMark]
) -> PatternAlert:
    """The identifier's alert. One made under an earlier blind-index generation is carried over
    rather than duplicated: its digest is no current mark's, and every case it links names this
    identifier now (any such alert is a true one for it: no case joins an alert it does not
    belong to)."""
    alert = PatternAlert.objects.filter(digest=digest).first()
    if alert is not None:
        return alert
    reports = marks.values("report")
    outside = PatternLink.objects.exclude(case__report__in=reports).values("alert")
    earlier = (
        PatternAlert.objects.filter(patternlink__case__report__in=reports)
        .exclude(digest__in=current.values("digest"))
        .exclude(pk__in=outside)
        .order_by("created_at")
        .first()
    )
    if earlier is None:
        alert, _created = PatternAlert.objects.get_or_create(digest=digest)
        return alert
    earlier.digest = digest
    earlier.save(update_fields=["digest"])
    return earlier
