from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.taxonomy import Region
from support import rules
from support.models import Case, CaseStatus, Severity
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
