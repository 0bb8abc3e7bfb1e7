"""WCAG 3.3.1 and 1.3.1: a form sent back with errors marks each wrong field invalid and ties it
to its error message (and help), by ids that exist on the page; choices in a fieldset are tied
through the fieldset. Checked on every kind of form a person meets first."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.support.factories import analyst_user

pytestmark = pytest.mark.django_db

# Hidden inputs (a wizard's earlier answers) are not exposed to assistive technology at all.
DESCRIBED = re.compile(r'<(?![^>]*type="hidden")[^>]*aria-describedby="([^"]+)"')
ERROR_BOXES = re.compile(r'<div class="errors" id="([^"]+)">')


def _check_ties(page: str) -> None:
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    described = [name for value in DESCRIBED.findall(page) for name in value.split()]
    assert described, "no field points at its help or errors"
    assert [name for name in described if name not in ids] == []
    boxes = ERROR_BOXES.findall(page)
    assert boxes, "the page shows no field error"
    assert [box for box in boxes if box not in described] == []
    assert 'aria-invalid="true"' in page


def test_signing_up_with_nothing_filled_in_ties_each_error_to_its_field(client):
    page = client.post(reverse("core:signup"), {}).text
    _check_ties(page)


def test_a_wizard_step_with_a_missing_choice_ties_the_error_to_the_fieldset(client):
    client.force_login(UserFactory())
    page = client.post(reverse("incidents:report_new"), {"step": "2", "action": "next"}).text
    _check_ties(page)
    fieldsets = re.findall(r"<fieldset[^>]*>", page)
    assert '<fieldset aria-describedby="id_role_error">' in fieldsets


def test_a_statistics_period_the_wrong_way_round_ties_the_error_to_its_field(client):
    client.force_login(analyst_user())
    page = client.get(reverse("insights:dashboard"), {"start": "2026-12", "end": "2026-01"}).text
    assert "aria-describedby" in page
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    described = [name for value in DESCRIBED.findall(page) for name in value.split()]
    assert [name for name in described if name not in ids] == []
