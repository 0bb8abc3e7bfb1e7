from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import User
from incidents.taxonomy import BiasGround, Language, Region, ReporterRole
from support import roles, rules
from support.models import Case, CaseStatus, ResourceKind, Severity
from support.resources import SERVICES, ResourceFilters
from support.selectors import CaseFilters, support_workers


class AssignForm(forms.Form):
    worker = forms.ModelChoiceField(
        label=_("Support worker"), queryset=support_workers(), to_field_name="username"
    )


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    reason = forms.CharField(
        label=_("Why"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=CaseStatus.choices)

    @classmethod
    def for_case(cls, case: Case, *, coordinator: bool) -> "TransitionForm":
        """Offer only the moves this person may make from the case's current status."""
        form = cls()
        allowed = rules.TRANSITIONS[CaseStatus(case.status)]
        if not coordinator:
            allowed = allowed & rules.WORKER_TARGETS
            if CaseStatus(case.status) in rules.REOPENED_FROM:
                allowed = frozenset()
        form.fields["status"].choices = [
            (code, label) for code, label in CaseStatus.choices if code in allowed
        ]
        return form

    reason = forms.CharField(
        label=_("Why (needed to close or reopen)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TextForm(forms.Form):
    body = forms.CharField(
        label=_("Text"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )


def _blank(choices: list[tuple[str, str]], label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(CaseStatus.choices, _("Any"))
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=_blank(Severity.choices, _("Any"))
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=_blank(Region.choices, _("Any"))
    )
    assignee = forms.CharField(
        label=_("Assignee"),
        required=False,
        max_length=150,
        help_text=_("A username, or “none” for unassigned cases."),
    )
    overdue = forms.BooleanField(label=_("Only overdue for a first response"), required=False)

    def filters(self) -> CaseFilters:
        if not self.is_valid():
            return CaseFilters()
        return CaseFilters(**self.cleaned_data)


class ResourceFilterForm(forms.Form):
    service = forms.ChoiceField(
        label=_("Help with"), required=False, choices=_blank(list(SERVICES.items()), _("Anything"))
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=_blank(Region.choices, _("All of Ontario"))
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=_blank(Language.choices, _("Any"))
    )
    role = forms.ChoiceField(
        label=_("You are"), required=False, choices=_blank(ReporterRole.choices, _("Anyone"))
    )
    ground = forms.ChoiceField(
        label=_("Serving people targeted for"),
        required=False,
        choices=_blank(BiasGround.choices, _("Any reason")),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(ResourceKind.choices, _("Any"))
    )
    q = forms.CharField(label=_("Name or word"), required=False, max_length=100)

    def filters(self) -> ResourceFilters:
        if not self.is_bound or not self.is_valid():
            return ResourceFilters()
        return ResourceFilters(**self.cleaned_data)


class AccountAdminForm(forms.ModelForm):
    """The admin's account form (role and active flag): refused by the same rules as
    support.roles, shown on the form before anything is saved. `actor` is set per request."""

    actor: Any = None

    class Meta:
        model = User
        fields = ("role", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        user = self.instance
        try:
            if "is_active" in self.changed_data:
                roles.account_active_check(
                    actor=self.actor, user=user, active=bool(cleaned.get("is_active"))
                )
            if "role" in self.changed_data and cleaned.get("role"):
                roles.role_change_check(actor=self.actor, user=user, role=cleaned["role"])
        except DomainError as exc:
            self.add_error(None, exc)
        return cleaned
