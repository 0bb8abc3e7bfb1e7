from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.taxonomy import Region, ReporterRole
from insights.dimensions import DIMENSIONS
from insights.engine import Query

MONTH = forms.DateInput(attrs={"type": "month"})
DIMENSION_CHOICES = [(name, dim.label) for name, dim in DIMENSIONS.items()]


def _default_period() -> tuple[str, str]:
    today = timezone.localdate()
    start_year, start_month = (
        (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
    )
    return f"{start_year:04d}-{start_month:02d}", f"{today.year:04d}-{today.month:02d}"


class PeriodForm(forms.Form):
    start = forms.RegexField(
        label=_("From (month)"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False, widget=MONTH
    )
    end = forms.RegexField(
        label=_("To (month)"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False, widget=MONTH
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All of Ontario")), *Region.choices]
    )
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *ReporterRole.choices]
    )

    def period(self) -> dict[str, str]:
        start, end = _default_period()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "start": data.get("start") or start,
            "end": data.get("end") or end,
            "region": data.get("region") or "",
            "role": data.get("role") or "",
        }


class ExplorerForm(PeriodForm):
    first = forms.ChoiceField(label=_("Rows"), choices=DIMENSION_CHOICES, initial="abuse_type")
    second = forms.ChoiceField(
        label=_("Columns"), required=False, choices=[("", _("None")), *DIMENSION_CHOICES]
    )

    def query(self) -> Query:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        first = data.get("first") or "abuse_type"
        second = data.get("second") or ""
        dims = (first,) if not second or second == first else (first, second)
        return Query(dimensions=dims, **self.period())
