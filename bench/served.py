"""The Django side the benches share: calling the WSGI application as a server does, accounts
with knox tokens, report payloads and seeded data. Import only in a measuring process, after
bench.harness.setup_django()."""

import random
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from io import BytesIO
from typing import Any, BinaryIO

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.db import connection, transaction
from django.utils import timezone
from knox.models import AuthToken

from core.models import Role, User
from incidents.models import Report
from incidents.taxonomy import (
    AbuseType,
    BiasGround,
    Channel,
    Need,
    PerpetratorType,
    Region,
    ReporterRole,
    RiskFlag,
)
from insights.dimensions import DIMENSIONS
from insights.models import Aggregate
from support.models import (
    WORK_PERMISSION,
    Case,
    CaseStatus,
    CaseUserObjectPermission,
    Severity,
)

BATCH = 2_000


# --- calling the application -----------------------------------------------------------------


def application() -> WSGIHandler:
    """What core.wsgi serves (gunicorn's entry point), on the bench settings."""
    return get_wsgi_application()


def call(
    app: WSGIHandler,
    method: str,
    path: str,
    *,
    token: str = "",
    body: BinaryIO | None = None,
    length: int = 0,
    content_type: str = "",
    query: str = "",
) -> tuple[int, bytes]:
    """One request through the WSGI interface, as gunicorn makes it: the environ a client on
    127.0.0.1 would produce, the body read from `body`, the response iterated and closed (which
    sends request_finished). Returns the status code and the body."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_LENGTH": str(length),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body if body is not None else BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    return int(statuses[0].split()[0]), content


def sqlite_settings() -> str:
    """On SQLite, how the app's connection commits (every commit waits for the disk unless
    synchronous is OFF); empty on another database."""
    if connection.vendor != "sqlite":
        return ""
    with connection.cursor() as cursor:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        level = cursor.execute("PRAGMA synchronous").fetchone()[0]
    names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    return f"journal_mode={journal}, synchronous={names.get(level, level)}"


# --- people ----------------------------------------------------------------------------------


def account(username: str, role: str) -> User:
    """An account that cannot sign in with a password: the benches only use tokens."""
    return User.objects.create(username=username, role=role, password=make_password(None))


def token(user: User) -> str:
    """A knox token for `user`, made directly: a staff member's token is what signing in with a
    password and a second-factor code gives; the bench needs only the token."""
    return AuthToken.objects.create(user=user, expiry=timedelta(days=1))[1]


# --- report payloads -------------------------------------------------------------------------

SENTENCES = (
    "After the council vote they posted my home address under a photo of my house.",
    "The messages came from new accounts every night, dozens at a time.",
    "He said that if I did not resign everyone would know where my children go to school.",
    "Someone followed me to my car after the public meeting and shouted at me.",
    "A video with my face edited onto it was shared hundreds of times.",
    "They called the office phone and left the same threat on the voicemail.",
    "My staff were told they would be next.",
    "The comments got worse after the local paper covered the hearing.",
)


def _some(rng: random.Random, codes: Iterable[str], most: int) -> list[str]:
    values = list(codes)
    return rng.sample(values, rng.randint(0, min(most, len(values))))


def report_payload(rng: random.Random) -> dict[str, Any]:
    """A report as the API takes it (api.serializers.ReportInput), varied like real ones: a
    narrative of about 400 to 2,500 characters, contact details and a municipality, sometimes
    identifiers; a quarter consent to matching (blind-index marks), half to statistics (one
    more queued task); one in ten flags imminent danger (critical: coordinators notified)."""
    length = rng.randint(400, 2_500)
    narrative = ""
    while len(narrative) < length:
        narrative += rng.choice(SENTENCES) + " "
    payload: dict[str, Any] = {
        "role": rng.choice(ReporterRole.values),
        "region": rng.choice(Region.values),
        "narrative": narrative.strip(),
        "occurred_on": (date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))).isoformat(),
        "channels": _some(rng, Channel.values, 3) or [Channel.FACEBOOK.value],
        "abuse_types": _some(rng, AbuseType.values, 3) or [AbuseType.INSULTS.value],
        "bias_grounds": _some(rng, BiasGround.values, 2),
        "perpetrator_type": rng.choice(PerpetratorType.values),
        "risk_flags": [RiskFlag.IMMINENT_DANGER.value] if rng.random() < 0.1 else [],
        "needs": _some(rng, Need.values, 3),
        "preferred_language": rng.choice(["en", "en", "en", "fr"]),
        "municipality": rng.choice(["Thunder Bay", "Ottawa", "Sudbury", "Kenora", "Guelph"]),
        "contact_details": f"call 705-555-{rng.randint(1000, 9999)} after 6 pm, or e-mail "
        f"person{rng.randint(1, 9999)}@example.org",
        "consent_statistics": rng.random() < 0.5,
        "consent_matching": rng.random() < 0.25,
        "perpetrator_identifiers": [
            f"@handle{rng.randint(1, 500)}" for _ in range(rng.choice([0, 0, 1, 2, 3]))
        ],
    }
    return payload


# --- seeded data -----------------------------------------------------------------------------


def create_cases(total: int, reporter: User, rng: random.Random) -> list[int]:
    """`total` reports by `reporter`, each with its case, in bulk; returns the case ids in the
    order made. Sealed fields hold a dummy byte: the case list opens none, and sealing 100,000
    reports would cost more than everything measured after it. Shared by bench/case_list.py and
    seed_cases, so both lists are timed on the same kind of data."""
    reports = Report.objects.bulk_create(
        [
            Report(
                reporter=reporter,
                role=rng.choice(ReporterRole.values),
                region=rng.choice(Region.values),
                channels=_some(rng, Channel.values, 2),
                abuse_types=_some(rng, AbuseType.values, 2),
                municipality_sealed=b"x",
                contact_sealed=b"x",
            )
            for _ in range(total)
        ],
        batch_size=BATCH,
    )
    now = timezone.now()
    cases = Case.objects.bulk_create(
        [
            Case(
                report=report,
                severity=rng.choice(Severity.values),
                status=rng.choice(CaseStatus.values),
                response_due_at=now + timedelta(hours=rng.randint(-72, 72)),
            )
            for report in reports
        ],
        batch_size=BATCH,
    )
    return [case.pk for case in cases]


@transaction.atomic
def seed_cases(
    total: int, worker: User, mine: int, others: list[User], rng: random.Random
) -> list[int]:
    """`total` reports with their cases (create_cases). `worker` may work on `mine` of them,
    spread over the id range; every other case has one of `others`. Returns the worker's case
    ids."""
    ids = create_cases(total, account("bench-case-reporter", Role.REPORTER), rng)
    chosen = set(rng.sample(ids, mine))
    perm = Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Case), codename=WORK_PERMISSION
    )
    CaseUserObjectPermission.objects.bulk_create(
        [
            CaseUserObjectPermission(
                user=worker if pk in chosen else rng.choice(others),
                permission=perm,
                content_object_id=pk,
            )
            for pk in ids
        ],
        batch_size=BATCH,
    )
    return sorted(chosen)


def months_back(count: int) -> list[str]:
    """The last `count` months, the current one last, as "YYYY-MM"."""
    today = timezone.localdate()
    found = []
    year, month = today.year, today.month
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


@transaction.atomic
def seed_aggregates(records: int, months: list[str], rng: random.Random) -> int:
    """The Aggregate cells the statistics writer would hold for `records` consented reports
    spread over `months`: what the counts endpoint reads (it never reads the extract itself).
    Each record counts once per value, as insights.services does: one value of each
    single-valued dimension, one to three of channel and kind of abuse, up to two grounds."""
    multi = {"channel": (1, 3), "abuse_type": (1, 3), "bias_ground": (0, 2)}
    single = [
        name
        for name in DIMENSIONS
        if name not in multi and name not in ("month", "quarter", "region", "role")
    ]
    codes = {name: [code for code, _label in DIMENSIONS[name].choices or []] for name in DIMENSIONS}
    tally: Counter[tuple[str, str, str, str, str]] = Counter()
    for _ in range(records):
        month = rng.choice(months)
        region, role = rng.choice(codes["region"]), rng.choice(codes["role"])
        year, number = month.split("-")
        pairs = [
            ("month", month),
            ("quarter", f"{year}-Q{(int(number) - 1) // 3 + 1}"),
            ("region", region),
            ("role", role),
        ]
        for name, (low, high) in multi.items():
            pairs += [(name, code) for code in rng.sample(codes[name], rng.randint(low, high))]
        pairs += [(name, rng.choice(codes[name])) for name in single]
        tally.update((month, region, role, name, value) for name, value in pairs)
    Aggregate.objects.bulk_create(
        [
            Aggregate(month=m, region=g, role=r, dimension=d, value=v, count=n)
            for (m, g, r, d, v), n in tally.items()
        ],
        batch_size=BATCH,
    )
    return len(tally)
