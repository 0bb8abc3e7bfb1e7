"""Forms parse what a person typed into the service inputs; the rules themselves live in
incidents.inputs and the models."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.filetypes import human_size
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
)


def _many(
    label: str, choices: list[tuple[str, str]], help_text: str = ""
) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        help_text=help_text,
        widget=forms.CheckboxSelectMultiple,
    )


class IdentifiersField(forms.CharField):
    """One account, address or number per line, becoming a list."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def to_python(self, value: object) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return inputs.clean_identifiers(text.splitlines())


class IncidentForm(forms.Form):
    occurred_on = forms.DateField(
        label=_("When did it happen?"),
        required=False,
        help_text=_(
            "The date, or the first date if it went on for a while. Leave blank if unsure."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    narrative = forms.CharField(
        label=_("What happened?"),
        max_length=inputs.NARRATIVE_MAX,
        help_text=_("In your own words. Only you and the people supporting you can read this."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    channels = _many(_("Where did it happen?"), Channel.choices)
    abuse_types = _many(_("What kind of abuse was it?"), AbuseType.choices)
    perpetrator_identifiers = IdentifiersField(
        label=_("Accounts, addresses or numbers used"),
        required=False,
        help_text=_(
            "One per line: a handle such as @name, a profile link, an e-mail address or a "
            "phone number."
        ),
    )

    def clean(self) -> dict[str, Any]:
        """Apply the service's incident rules here too, so each error shows on its own step."""
        cleaned = super().clean() or {}
        candidate = inputs.IncidentInput(
            narrative=cleaned.get("narrative") or " ",  # a missing narrative has its own error
            occurred_on=cleaned.get("occurred_on"),
            perpetrator_identifiers=cleaned.get("perpetrator_identifiers") or [],
        )
        for name, messages in inputs.incident_errors(candidate).items():
            if name not in self.errors:
                self.add_error(name, messages)
        return cleaned

    def to_input(self) -> inputs.IncidentInput:
        data = self.cleaned_data
        return inputs.IncidentInput(
            narrative=data["narrative"],
            occurred_on=data["occurred_on"],
            channels=data["channels"],
            abuse_types=data["abuse_types"],
            perpetrator_identifiers=data["perpetrator_identifiers"],
        )


class ReportForm(IncidentForm):
    perpetrator_type = forms.ChoiceField(
        label=_("Who did this?"),
        choices=PerpetratorType.choices,
        initial=PerpetratorType.UNKNOWN,
        widget=forms.RadioSelect,
    )
    bias_grounds = _many(
        _("Did it target who you are?"),
        BiasGround.choices,
        _("Tick any that apply. These are the grounds of the Ontario Human Rights Code."),
    )
    role = forms.ChoiceField(
        label=_("You are"), choices=ReporterRole.choices, widget=forms.RadioSelect
    )
    region = forms.ChoiceField(label=_("Region of Ontario"), choices=Region.choices)
    municipality = forms.CharField(
        label=_("Municipality"), required=False, max_length=inputs.MUNICIPALITY_MAX
    )
    contact_details = forms.CharField(
        label=_("How can we reach you safely?"),
        required=False,
        max_length=inputs.CONTACT_MAX,
        help_text=_(
            "Optional. Say which way is safe, and when. Leave blank to stay reachable only here."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Language for our replies"),
        choices=Language.choices,
        initial=Language.ENGLISH,
        widget=forms.RadioSelect,
    )
    risk_flags = _many(
        _("Your safety right now"),
        RiskFlag.choices,
        _("If you are in danger right now, call 911 first. You can finish this report later."),
    )
    needs = _many(_("What would help?"), Need.choices)
    consent_statistics = forms.BooleanField(
        label=_(
            "Count this report, without anything that identifies me, in anonymous statistics "
            "that help AMO argue for better protection."
        ),
        required=False,
    )
    consent_matching = forms.BooleanField(
        label=_("Let Recourse notice if others name the same accounts or people I named."),
        required=False,
    )

    submission_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    STEPS = [
        (_("What happened"), ["occurred_on", "narrative", "channels", "abuse_types"]),
        (_("Who did this"), ["perpetrator_type", "perpetrator_identifiers", "bias_grounds"]),
        (
            _("About you"),
            ["role", "region", "municipality", "contact_details", "preferred_language"],
        ),
        (_("Safety and support"), ["risk_flags", "needs"]),
        (_("Your choices"), ["consent_statistics", "consent_matching"]),
    ]

    def to_input(self) -> inputs.ReportInput:  # type: ignore[override]
        data = self.cleaned_data
        return inputs.ReportInput(
            role=data["role"],
            region=data["region"],
            incident=super().to_input(),
            bias_grounds=data["bias_grounds"],
            perpetrator_type=data["perpetrator_type"],
            risk_flags=data["risk_flags"],
            needs=data["needs"],
            preferred_language=data["preferred_language"],
            municipality=data["municipality"],
            contact_details=data["contact_details"],
            consent_statistics=data["consent_statistics"],
            consent_matching=data["consent_matching"],
            submission_key=data["submission_key"],
        )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(
        label=_("What is this?"),
        required=False,
        max_length=inputs.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = human_size(settings.RECOURSE_MAX_UPLOAD_BYTES)
        self.fields["file"].help_text = _(
            "Screenshots, photos, PDFs, audio, video, Word documents or text, up to %(limit)s."
        ) % {"limit": limit}


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that this erases the report, its timeline and its files for good."),
        required=True,
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Write to your support worker"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
