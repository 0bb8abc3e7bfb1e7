"""Differential-privacy mode: two-sided geometric (discrete Laplace) noise from OpenDP's exact
sampler (which draws from the operating system's cryptographic source), a budget per month in a
ledger, and every released table stored and served again rather than redrawn."""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from insights.models import NoisyRelease, PrivacyLedger


def _sensitivity(dimensions: tuple[str, ...]) -> int:
    """How many cells one report can change (L1): one per single-valued dimension, and up to
    every value of a multi-valued one, since a report may name them all."""
    from insights.dimensions import DIMENSIONS

    result = 1
    for name in dimensions:
        dim = DIMENSIONS[name]
        result *= len(dim.choices or []) if dim.multi else 1
    return result


def sampler(scale: float) -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=scale)


def query_key(query: Any) -> str:
    text = json.dumps([query.dimensions, query.start, query.end, query.region, query.role])
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def release(query: Any, counts: dict[tuple[str, ...], int]) -> tuple[dict, float]:
    """Noisy counts for this question: the stored release if there is one, else a new one paid
    from the budget of every month it covers; refused when a month's budget is spent."""
    key = query_key(query)
    stored = NoisyRelease.objects.filter(query_key=key).first()
    if stored is not None:
        return {tuple(k.split("\x1f")): v for k, v in stored.cells.items()}, stored.epsilon
    epsilon, budget = settings.RECOURSE_STATS_DP_EPSILON, settings.RECOURSE_STATS_DP_BUDGET
    ledgers = [
        PrivacyLedger.objects.select_for_update().get_or_create(period=month)[0]
        for month in query.months()
    ]
    if any(ledger.spent + epsilon > budget + 1e-9 for ledger in ledgers):
        raise DomainError(
            _(
                "The privacy budget for this period is spent; the numbers already released stay "
                "available, but no new question can be answered about it."
            )
        )
    noise = sampler(_sensitivity(query.dimensions) / epsilon)
    from insights.engine import _table

    rows, columns, table = _table(query, counts)
    noisy: dict[tuple[str, ...], int] = {}
    for r, (row_code, _l) in enumerate(rows):
        for c, (col_code, _m) in enumerate(columns):
            cell_key = (row_code,) if len(query.dimensions) == 1 else (row_code, col_code)
            noisy[cell_key] = max(0, noise(table.cells[r][c]))
    for ledger in ledgers:
        ledger.spent += epsilon
        ledger.save(update_fields=["spent"])
    NoisyRelease.objects.create(
        query_key=key, epsilon=epsilon, cells={"\x1f".join(k): v for k, v in noisy.items()}
    )
    return noisy, epsilon
