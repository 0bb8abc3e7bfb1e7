"""Demo accounts and reports for development. Idempotent; refuses to run with debug off."""

import json
import os
import random
import secrets
from base64 import b32encode
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import STAFF_ROLES, Role, User
from incidents.inputs import IncidentInput, ReportInput
from incidents.models import Report
from incidents.services import report_submit
from insights.services import extract_rebuild
from support.services import case_assign, case_transition, message_send_staff

ACCOUNTS = [
    ("riley", Role.REPORTER),
    ("wren", Role.SUPPORT_WORKER),
    ("sam", Role.SUPPORT_WORKER),
    ("cora", Role.COORDINATOR),
    ("ana", Role.ANALYST),
    ("admin", Role.ADMINISTRATOR),
]
WORDS = [
    "maple",
    "harbour",
    "lantern",
    "cedar",
    "violet",
    "granite",
    "meadow",
    "ember",
    "tundra",
    "willow",
    "copper",
    "prairie",
    "falcon",
    "orchard",
    "canoe",
    "aurora",
]


def demo_reports() -> list[ReportInput]:
    today = timezone.localdate()
    return [
        ReportInput(
            role="candidate",
            region="eastern",
            municipality="Demo Township",
            incident=IncidentInput(
                occurred_on=today - timedelta(days=3),
                narrative="(Demo) After the all-candidates debate an account posted my home street "
                "and said people should 'pay me a visit'.",
                channels=["x_twitter"],
                abuse_types=["threat_of_violence", "doxxing"],
                perpetrator_identifiers=["@demo_account_one"],
            ),
            perpetrator_type="anonymous_account",
            risk_flags=["location_known", "escalating"],
            needs=["safety_planning", "police", "platform_takedown"],
            consent_statistics=True,
            consent_matching=True,
        ),
        ReportInput(
            role="candidate",
            region="eastern",
            municipality="Demo Township",
            incident=IncidentInput(
                occurred_on=today - timedelta(days=20),
                narrative="(Demo) Repeated e-mails mocking my accent and telling me to go back "
                "where I came from.",
                channels=["email"],
                abuse_types=["identity_hate", "insults"],
                perpetrator_identifiers=["demo.sender@example.org"],
            ),
            bias_grounds=["place_of_origin", "ethnic_origin"],
            perpetrator_type="member_of_public",
            needs=["peer_support", "mental_health"],
            consent_statistics=True,
        ),
    ]


STATS_REPORTS = 400


def statistics_demo() -> None:
    """Enough consenting reports, spread over the past year, for a dashboard with real and
    partly suppressed numbers. Filed by one demo account that nobody signs in with."""
    filer, created = User.objects.get_or_create(
        username="demo-statistics", defaults={"role": Role.REPORTER}
    )
    if not created and filer.reports.exists():
        return
    filer.set_unusable_password()
    filer.save()
    rng = random.Random(2026)  # noqa: S311  (demo data, not security)
    regions = [
        "toronto",
        "gtha",
        "central",
        "eastern",
        "southwestern",
        "northeastern",
        "northwestern",
    ]
    roles = ["candidate", "councillor", "head_of_council", "school_board_trustee"]
    kinds = [
        "insults",
        "threat_of_violence",
        "identity_hate",
        "sexual_harassment",
        "doxxing",
        "coordinated_campaign",
        "disinformation",
        "stalking",
        "impersonation",
    ]
    channels = ["x_twitter", "facebook", "email", "phone", "in_person", "meeting", "instagram"]
    now = timezone.now()
    for _ in range(STATS_REPORTS):
        report = report_submit(
            actor=filer,
            data=ReportInput(
                role=rng.choices(roles, weights=[5, 4, 1, 1])[0],
                region=rng.choices(regions, weights=[6, 5, 4, 3, 4, 1, 1])[0],
                incident=IncidentInput(
                    narrative="(Demo statistics report.)",
                    channels=rng.sample(channels, rng.choice([1, 1, 2])),
                    abuse_types=rng.sample(kinds, rng.choice([1, 1, 2])),
                ),
                bias_grounds=rng.sample(
                    ["sex", "race", "creed", "sexual_orientation"], rng.choice([0, 0, 1])
                ),
                perpetrator_type=rng.choice(
                    ["anonymous_account", "member_of_public", "fellow_council_member", "unknown"]
                ),
                consent_statistics=True,
            ),
        )
        Report.objects.filter(pk=report.pk).update(
            created_at=now - timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 23))
        )
    extract_rebuild()


class Command(BaseCommand):
    help = "Create the demo accounts (printing their passwords) and a few demo reports."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates known accounts; it runs only with DJANGO_DEBUG=1."
            )
        path = Path(settings.VAR_DIR) / "demo-accounts.json"
        known = self._read(path)
        accounts = []
        with transaction.atomic():
            for username, role in ACCOUNTS:
                row = known.get(username, {})
                account = self._account(username, role, row.get("password"))
                if role in STAFF_ROLES:
                    account["totp_secret"] = self._authenticator(username, row.get("totp_secret"))
                accounts.append(account)
            riley = User.objects.get(username="riley")
            if not riley.reports.exists():
                reports = [report_submit(actor=riley, data=data) for data in demo_reports()]
                self._work_on(reports)
            statistics_demo()
        self._write(path, accounts)
        self.stdout.write("Demo accounts (username / password / role):")
        for account in accounts:
            self.stdout.write(
                f"  {account['username']:<6} {account['password']}  {account['role']}"
            )
        self.stdout.write(f"Also written to {path.relative_to(settings.BASE_DIR)} (mode 0600).")
        self.stdout.write(
            "Staff accounts also need a code from an authenticator app: add their totp_secret "
            "to one, or print a current code with `manage.py demo_otp USERNAME`."
        )

    @staticmethod
    def _work_on(reports: list[Any]) -> None:
        """Cora assigns the first demo case to Wren, who starts on it; Sam has none."""
        cora, wren = User.objects.get(username="cora"), User.objects.get(username="wren")
        case = reports[0].case
        case_assign(actor=cora, case=case, worker=wren)
        case_transition(actor=cora, case=case, status="triaged")
        case_transition(actor=wren, case=case, status="in_progress")
        message_send_staff(
            actor=wren,
            case=case,
            body="(Demo) Hello, I'm Wren. I have read your report and I'm here to help. Are you "
            "safe right now? When is a good time to talk about a safety plan?",
        )

    def _account(self, username: str, role: str, password: str | None) -> dict[str, str]:
        user = User.objects.filter(username=username).first()
        if user is None or password is None or not user.check_password(password):
            password = "-".join(secrets.choice(WORDS) for _ in range(4))
            user = user or User(username=username)
            user.set_password(password)
        user.role = role
        user.first_name = username.capitalize()
        user.is_staff = role == Role.ADMINISTRATOR
        # Seeded on the server, like `manage.py coordinator_create`: the demo's roles need no
        # confirmation. What the admin site lets `admin` do follows its role (core.backends).
        user.save()
        return {"username": username, "password": password, "role": role}

    @staticmethod
    def _authenticator(username: str, secret: str | None) -> str:
        """The demo staff account's confirmed TOTP device, kept if its secret is still known."""
        user = User.objects.get(username=username)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None and secret and b32encode(device.bin_key).decode() == secret:
            return secret
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
        return b32encode(device.bin_key).decode()

    @staticmethod
    def _read(path: Path) -> dict[str, dict[str, str]]:
        try:
            rows = json.loads(path.read_text())
            return {
                row["username"]: {key: str(value) for key, value in row.items()} for row in rows
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    @staticmethod
    def _write(path: Path, accounts: list[dict[str, str]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(accounts, handle, indent=2)
