"""The dimensions the statistics publish, their values in display order, and their labels."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from incidents.taxonomy import (
    AbuseType,
    BiasGround,
    Channel,
    PerpetratorType,
    Region,
    ReporterRole,
)
from support.models import Severity

RESPONSE_BUCKETS = [
    ("under_1h", _("Under 1 hour")),
    ("1_4h", _("1 to 4 hours")),
    ("4_24h", _("4 to 24 hours")),
    ("1_3d", _("1 to 3 days")),
    ("over_3d", _("Over 3 days")),
    ("none", _("No response yet")),
]
OUTCOMES = [("open", _("Still open")), ("resolved", _("Resolved")), ("closed", _("Closed"))]
YES_NO = [("yes", _("Escalated")), ("no", _("Not escalated"))]


@dataclass(frozen=True)
class Dimension:
    name: str
    label: str
    choices: list[tuple[str, str]] | None  # None: values come from the data (months)
    multi: bool = False


DIMENSIONS = {
    d.name: d
    for d in [
        Dimension("month", _("Month"), None),
        Dimension("quarter", _("Quarter"), None),
        Dimension("region", _("Region"), Region.choices),
        Dimension("role", _("Role"), ReporterRole.choices),
        Dimension("channel", _("Channel"), Channel.choices, multi=True),
        Dimension("abuse_type", _("Kind of abuse"), AbuseType.choices, multi=True),
        Dimension("bias_ground", _("Ground targeted"), BiasGround.choices, multi=True),
        Dimension("perpetrator_type", _("Who did it"), PerpetratorType.choices),
        Dimension("severity", _("Severity"), Severity.choices),
        Dimension("response_time", _("Time to first response"), RESPONSE_BUCKETS),
        Dimension("escalated", _("Escalated"), YES_NO),
        Dimension("outcome", _("Outcome"), OUTCOMES),
    ]
}
