"""Shared pieces of the API tests: URLs, a complete report body, counting what was stored."""

from datetime import timedelta

from django.utils import timezone

from core.models import KeyWrap
from incidents.models import Evidence, Incident, PerpetratorMark, Receipt, Report

REPORTS = "/api/v1/reports/"
ANONYMOUS_REPORTS = "/api/v1/anonymous/reports/"
ANONYMOUS_LOGIN = "/api/v1/anonymous/login/"
LOGIN = "/api/v1/auth/login/"
TAXONOMY = "/api/v1/taxonomy/"


def report_url(report_id) -> str:
    return f"{REPORTS}{report_id}/"


def incidents_url(report_id) -> str:
    return f"{REPORTS}{report_id}/incidents/"


def evidence_url(report_id, evidence_id=None) -> str:
    base = f"{REPORTS}{report_id}/evidence/"
    return f"{base}{evidence_id}/" if evidence_id else base


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def report_body(**overrides) -> dict:
    """Every field of POST reports/, valid."""
    body = {
        "role": "candidate",
        "region": "toronto",
        "channels": ["x_twitter", "email"],
        "abuse_types": ["threat_of_violence"],
        "bias_grounds": ["race", "creed"],
        "perpetrator_type": "anonymous_account",
        "risk_flags": ["escalating"],
        "needs": ["police", "digital_security"],
        "preferred_language": "fr",
        "occurred_on": days_ago(2),
        "narrative": "An account replied to every post with a threat to burn my office.",
        "municipality": "Toronto",
        "contact_details": "Call the campaign office, ask for Sam.",
        "perpetrator_identifiers": ["@burn_it_down", "https://x.com/burn_it_down"],
        "consent_statistics": True,
        "consent_matching": True,
    }
    body.update(overrides)
    return body


def without(body: dict, *names: str) -> dict:
    return {key: value for key, value in body.items() if key not in names}


def stored_counts() -> dict[str, int]:
    """How many rows of each kind of report content exist, to show that nothing was stored."""
    return {
        model.__name__: model.objects.count()
        for model in [Report, Incident, Evidence, PerpetratorMark, Receipt, KeyWrap]
    }
