"""The dashboard's overview: the one-dimension tables an analyst sees first, all through the
engine (so every number is suppressed like any other)."""

from dataclasses import dataclass

from insights.engine import Published, Query, publish

OVERVIEW_DIMENSIONS = [
    "month",
    "abuse_type",
    "channel",
    "role",
    "region",
    "bias_ground",
    "escalated",
    "response_time",
]


@dataclass(frozen=True)
class Period:
    start: str
    end: str
    region: str = ""
    role: str = ""


def overview(period: Period) -> list[Published]:
    return [
        publish(
            Query(
                dimensions=(name,),
                start=period.start,
                end=period.end,
                region=period.region,
                role=period.role,
            )
        )
        for name in OVERVIEW_DIMENSIONS
    ]
