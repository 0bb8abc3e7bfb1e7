"""Input serializers parse JSON into the services' inputs; output serializers shape responses.
The rules themselves live in incidents.inputs and the models, so pages and API share them."""

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from incidents import inputs
from incidents.taxonomy import (
    AbuseType,
    BiasGround,
    Channel,
    Language,
    Need,
    PerpetratorType,
    Region,
    ReporterRole,
    RiskFlag,
    choices,
    code_order,
)


class Codes(serializers.MultipleChoiceField):
    """A list of codes from one vocabulary, returned as a list in the vocabulary's order."""

    def __init__(self, vocabulary: Any, **kwargs: Any) -> None:
        self.vocabulary = vocabulary
        super().__init__(choices=choices(vocabulary), required=False, **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:  # type: ignore[override]
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        chosen = super().to_internal_value(data)
        return sorted(chosen, key=code_order(self.vocabulary).__getitem__)


class Choice(serializers.ChoiceField):
    """One code from one vocabulary. Built from the vocabulary, not from a list of its choices,
    so that DRF's copy of the field for each request copies no list."""

    def __init__(self, vocabulary: Any, **kwargs: Any) -> None:
        self.vocabulary = vocabulary
        super().__init__(choices=choices(vocabulary), **kwargs)


_SURROGATE = re.compile("[\ud800-\udfff]")


class _NoSurrogates(ProhibitSurrogateCharactersValidator):
    """DRF's check, with its message, in one regular-expression search instead of a Python step
    per character (a narrative runs to thousands)."""

    def __call__(self, value: Any) -> None:
        found = _SURROGATE.search(str(value))
        if found:
            raise serializers.ValidationError(
                self.message.format(code_point=ord(found.group())), code=self.code
            )


class Text(serializers.CharField):
    """Text that must arrive as a JSON string: a number or list is refused, not converted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            _NoSurrogates() if isinstance(check, ProhibitSurrogateCharactersValidator) else check
            for check in self.validators
        ]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBoolean(serializers.BooleanField):
    """A yes or no that must arrive as JSON `true` or `false`. DRF's field also reads 1, "yes" and
    "on" as true (and 0, "no" as false): for a consent, only an explicit true means yes."""

    default_error_messages = {"invalid": _("Must be true or false (a JSON boolean).")}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class LoginInput(serializers.Serializer):
    username = Text(max_length=150)
    password = Text(max_length=4096, trim_whitespace=False)
    otp_token = Text(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="The current code of the account's authenticator app (6 to 8 characters). "
        "Required for staff accounts, which are refused with a 401 without a valid one.",
    )


class ReceiptInput(serializers.Serializer):
    receipt = Text(max_length=64)
    otp_token = Text(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="The current code of the account's authenticator app (6 to 8 characters), "
        "once one is set up for this receipt: refused with a 401 without a valid one.",
    )


class IncidentInput(serializers.Serializer):
    narrative = Text(max_length=inputs.NARRATIVE_MAX)
    occurred_on = serializers.DateField(required=False, allow_null=True)
    channels = Codes(Channel)
    abuse_types = Codes(AbuseType)
    perpetrator_identifiers = serializers.ListField(
        child=Text(max_length=inputs.IDENTIFIER_MAX, allow_blank=True),
        required=False,
        max_length=inputs.IDENTIFIERS_MAX,
    )

    def to_incident(self) -> inputs.IncidentInput:
        data = self.validated_data
        return inputs.IncidentInput(
            narrative=data["narrative"],
            occurred_on=data.get("occurred_on"),
            channels=data.get("channels", []),
            abuse_types=data.get("abuse_types", []),
            perpetrator_identifiers=data.get("perpetrator_identifiers", []),
        )


class ReportInput(IncidentInput):
    role = Choice(ReporterRole)
    region = Choice(Region)
    bias_grounds = Codes(BiasGround)
    perpetrator_type = Choice(PerpetratorType, required=False, default=PerpetratorType.UNKNOWN)
    risk_flags = Codes(RiskFlag)
    needs = Codes(Need)
    preferred_language = Choice(Language, required=False, default=Language.ENGLISH)
    municipality = Text(
        max_length=inputs.MUNICIPALITY_MAX, required=False, allow_blank=True, default=""
    )
    contact_details = Text(
        max_length=inputs.CONTACT_MAX, required=False, allow_blank=True, default=""
    )
    consent_statistics = StrictBoolean(required=False, default=False)
    consent_matching = StrictBoolean(required=False, default=False)

    def to_report(self) -> inputs.ReportInput:
        data = self.validated_data
        return inputs.ReportInput(
            role=data["role"],
            region=data["region"],
            incident=self.to_incident(),
            bias_grounds=data.get("bias_grounds", []),
            perpetrator_type=data["perpetrator_type"],
            risk_flags=data.get("risk_flags", []),
            needs=data.get("needs", []),
            preferred_language=data["preferred_language"],
            municipality=data["municipality"],
            contact_details=data["contact_details"],
            consent_statistics=data["consent_statistics"],
            consent_matching=data["consent_matching"],
        )


class EvidenceInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    description = Text(
        max_length=inputs.DESCRIPTION_MAX, required=False, allow_blank=True, default=""
    )


class ReportSummary(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    role = serializers.CharField()
    region = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    abuse_types = serializers.ListField(child=serializers.CharField())


class IncidentOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    occurred_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    channels = serializers.ListField(child=serializers.CharField())
    abuse_types = serializers.ListField(child=serializers.CharField())
    narrative = serializers.CharField()
    perpetrator_identifiers = serializers.ListField(child=serializers.CharField())


class EvidenceOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    created_at = serializers.DateTimeField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    description = serializers.CharField()


class ReportOut(ReportSummary):
    bias_grounds = serializers.ListField(child=serializers.CharField())
    perpetrator_type = serializers.CharField()
    risk_flags = serializers.ListField(child=serializers.CharField())
    needs = serializers.ListField(child=serializers.CharField())
    preferred_language = serializers.CharField()
    consent_statistics = serializers.BooleanField()
    consent_matching = serializers.BooleanField()
    municipality = serializers.CharField()
    contact_details = serializers.CharField()
    incidents = IncidentOut(many=True)
    evidence = EvidenceOut(many=True)


class TokenOut(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as "Authorization: Token <token>".')
    expiry = serializers.DateTimeField()


class CreatedOut(serializers.Serializer):
    id = serializers.UUIDField()


class AcknowledgementOut(serializers.Serializer):
    message = serializers.CharField()
    next_steps = serializers.ListField(child=serializers.CharField())
    call_911 = serializers.BooleanField()
    urgent = serializers.CharField(allow_blank=True)


class ReportCreatedOut(serializers.Serializer):
    id = serializers.UUIDField()
    acknowledgement = AcknowledgementOut()


class AnonymousReportCreatedOut(ReportCreatedOut):
    receipt = serializers.CharField(help_text="Opens the report later; shown once, never again.")


class TermOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class SignInOut(serializers.Serializer):
    """One place the account is signed in. Never its token, session key or address."""

    id = serializers.UUIDField(help_text="Ends it: DELETE /api/v1/auth/sessions/{id}/.")
    kind = serializers.ChoiceField(
        choices=["browser", "api"], help_text="A browser session, or an API token."
    )
    created = serializers.DateTimeField()
    last_used = serializers.DateTimeField(help_text="To the minute.")
    ends = serializers.DateTimeField(
        help_text="When it stops working unless it is used before; never past its absolute limit."
    )
    current = serializers.BooleanField(help_text="The one this request came with.")
