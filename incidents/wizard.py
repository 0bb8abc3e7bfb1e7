"""Filing a report in short steps without storing anything between them.

Each step posts every answer so far (earlier ones as hidden fields), so no draft of a report ever
sits in a session table or on disk. Only the current step's errors are shown; the review step
shows everything and sends it.
"""

import secrets
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _

from incidents.forms import ReportForm


def _display(field: forms.Field, value: Any) -> str:
    if value in (None, "", []):
        return _("Not given")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(field, forms.ChoiceField):
        labels = dict(field.choices)  # type: ignore[arg-type]
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(labels.get(code, code)) for code in values)
    if isinstance(value, list):
        return "\n".join(value)
    return str(value)


class ReportWizard:
    steps = ReportForm.STEPS

    def __init__(self, data: QueryDict | None) -> None:
        # A fresh form gets its submission key; later steps carry it along as a hidden field.
        self.form = ReportForm(data, initial={"submission_key": secrets.token_urlsafe(24)})
        self.review = len(self.steps)
        self.step, self.show_errors, self.ready_to_submit = 0, False, False
        if data is None:
            return
        current = self._index(data.get("step"), default=0)
        action = data.get("action", "next")
        self.form.is_valid()
        if action.startswith("goto-"):
            self.step = min(self._index(action.removeprefix("goto-"), default=0), current)
        elif action == "back":
            self.step = max(current - 1, 0)
        elif current == self.review and action == "submit":
            first_bad = next((i for i in range(self.review) if self._has_errors(i)), None)
            self.ready_to_submit = first_bad is None
            self.step, self.show_errors = (
                (first_bad or 0, True) if first_bad is not None else (current, False)
            )
        elif current < self.review and self._has_errors(current):
            self.step, self.show_errors = current, True
        else:
            self.step = min(current + 1, self.review)

    def show_first_error(self) -> None:
        """After the service refused the whole report: go to the first step with an error."""
        self.ready_to_submit, self.show_errors = False, True
        self.step = next((i for i in range(self.review) if self._has_errors(i)), self.review)

    def _index(self, raw: str | None, *, default: int) -> int:
        try:
            return max(0, min(int(raw or default), self.review))
        except ValueError:
            return default

    def _has_errors(self, index: int) -> bool:
        return any(name in self.form.errors for name in self.steps[index][1])

    def context(self, *, anonymous: bool) -> dict[str, Any]:
        is_review = self.step == self.review
        shown = [] if is_review else self.steps[self.step][1]
        form = self.form
        return {
            "form": form,
            "anonymous": anonymous,
            "step": self.step,
            "step_number": self.step + 1,
            "step_count": self.review + 1,
            "step_title": _("Check and send") if is_review else self.steps[self.step][0],
            "is_review": is_review,
            "show_errors": self.show_errors or bool(form.non_field_errors()),
            "visible_fields": [form[name] for name in shown],
            "hidden_fields": [form[name] for name in form.fields if name not in shown],
            "review": self._review_rows() if is_review else [],
        }

    def _review_rows(self) -> list[dict[str, Any]]:
        data = self.form.cleaned_data if self.form.is_bound else {}
        rows = []
        for index, (title, names) in enumerate(self.steps):
            answers = [
                (self.form.fields[name].label, _display(self.form.fields[name], data.get(name)))
                for name in names
            ]
            rows.append({"index": index, "title": title, "answers": answers})
        return rows
