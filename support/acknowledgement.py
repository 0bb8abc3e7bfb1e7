"""What a reporter is told the moment they file, before any task runs: that we have it, what
happens next and how soon, and — when they said they may be in danger — to call 911 now."""

from dataclasses import dataclass, field
from math import ceil

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.models import Report
from support import rules


@dataclass(frozen=True)
class Acknowledgement:
    message: str
    next_steps: list[str] = field(default_factory=list)
    call_911: bool = False
    urgent: str = ""


def acknowledgement(*, report: Report, contact_given: bool) -> Acknowledgement:
    hours = ceil(rules.response_deadline(report.case.severity).total_seconds() / 3600)
    danger = "imminent_danger" in report.risk_flags
    steps = [
        ngettext(
            "A coordinator reads every new report. For a report like yours, someone will respond "
            "within %(hours)d hour.",
            "A coordinator reads every new report. For a report like yours, someone will respond "
            "within %(hours)d hours.",
            hours,
        )
        % {"hours": hours},
        _(
            "A support worker will help you look at your options: the police, the integrity "
            "commissioner, human-rights routes, legal help, and organizations that understand."
        ),
        _("We will contact you the way you asked.")
        if contact_given
        else _("Replies appear on your report's page; come back to it to read and answer them."),
    ]
    return Acknowledgement(
        message=_("Thank you. We have your report, and you are not alone in this."),
        next_steps=steps,
        call_911=danger,
        urgent=_("You told us you may be in danger. If you are in danger now, call 911.")
        if danger
        else "",
    )
