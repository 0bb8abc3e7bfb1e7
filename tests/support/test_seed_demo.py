"""The demo data gives Wren a case to work and leaves Sam without one."""

import pytest
from django.core.management import call_command

from core.models import User
from support.models import Case, CaseStatus, Message
from support.selectors import case_visible, case_worker_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.BASE_DIR = tmp_path.parent
    call_command("seed_demo")
    return {name: User.objects.get(username=name) for name in ("wren", "sam", "cora")}


def test_seed_demo_assigns_at_least_one_case_to_wren_and_none_to_sam(seeded):
    wren, sam = seeded["wren"], seeded["sam"]

    assert case_worker_list(actor=wren).count() >= 1
    assert case_worker_list(actor=sam).count() == 0
    assert case_visible(actor=seeded["cora"]).count() == Case.objects.count() >= 2


def test_seed_demos_case_for_wren_is_under_way_with_a_first_message(seeded):
    case = case_worker_list(actor=seeded["wren"]).first()

    assert case.status == CaseStatus.IN_PROGRESS
    assert case.first_response_at is not None
    assert Message.objects.filter(case=case, author=seeded["wren"]).count() == 1


def test_seed_demo_run_twice_assigns_nothing_more(seeded):
    before = [case_worker_list(actor=seeded[name]).count() for name in ("wren", "sam")]

    call_command("seed_demo")

    assert [case_worker_list(actor=seeded[name]).count() for name in ("wren", "sam")] == before
