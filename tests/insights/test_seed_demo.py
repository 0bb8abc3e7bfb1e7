"""The demo data gives Ana the analyst role and an overview with real and suppressed numbers."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.models import Role, User
from incidents.models import Report
from insights.models import ExtractRecord
from tests.insights.helpers import HIDDEN, assert_aggregates_in_step, small
from tests.insights.pages import Page
from tests.support.factories import web_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.BASE_DIR = tmp_path.parent
    call_command("seed_demo")


def test_seed_demo_gives_ana_an_overview_with_real_and_suppressed_numbers(seeded):
    ana = User.objects.get(username="ana")
    assert ana.role == Role.ANALYST
    consenting = Report.objects.filter(consent_statistics=True).count()
    assert consenting >= 400
    assert ExtractRecord.objects.count() == consenting
    assert_aggregates_in_step()

    response = web_client(ana).get(reverse("insights:dashboard"))

    assert response.status_code == 200
    page = Page(response.content.decode())
    shown = page.data_cells + [text for chart in page.charts for text in chart.texts]
    assert [text for text in shown if small(text)] == []
    assert len([text for text in shown if text.isdigit() and int(text) > 10]) >= 10
    assert shown.count(HIDDEN) >= 3
    assert "not shown (too few reports)" not in response.content.decode()  # the escalated share
