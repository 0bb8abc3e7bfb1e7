"""Factories for tests. Reports are made through the real service, so they are sealed as in life."""

from datetime import date

import factory

from core.models import Role, User
from incidents.inputs import IncidentInput, ReportInput
from incidents.services import report_submit, report_submit_anonymous

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.REPORTER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def incident_input(**overrides) -> IncidentInput:
    values = {
        "narrative": "Someone posted my home address under my campaign video.",
        "occurred_on": date(2026, 10, 1),
        "channels": ["facebook"],
        "abuse_types": ["doxxing"],
        "perpetrator_identifiers": ["@someone"],
    }
    values.update(overrides)
    return IncidentInput(**values)


def report_input(**overrides) -> ReportInput:
    incident_fields = {
        key: overrides.pop(key)
        for key in list(overrides)
        if key in IncidentInput.__dataclass_fields__
    }
    values = {
        "role": "candidate",
        "region": "eastern",
        "incident": incident_input(**incident_fields),
        "municipality": "Smallville",
        "contact_details": "Text me after 6 pm",
    }
    values.update(overrides)
    return ReportInput(**values)


def make_report(reporter: User | None = None, **overrides):
    reporter = reporter or UserFactory()
    return report_submit(actor=reporter, data=report_input(**overrides))


def make_anonymous_report(**overrides):
    """Returns (report, receipt)."""
    submission = report_submit_anonymous(data=report_input(**overrides))
    return submission.report, submission.receipt


def totp_code(device) -> str:
    """The code an authenticator app would show now for `device` (a django-otp TOTPDevice)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
