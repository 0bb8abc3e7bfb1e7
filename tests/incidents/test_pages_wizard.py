from html.parser import HTMLParser

import pytest
from django.urls import reverse

from incidents.models import Incident, Report
from tests.factories import make_anonymous_report, make_report
from tests.incidents.helpers import (
    REVIEW_STEP,
    answers,
    days_ago,
    field_errors,
    login_url_for,
    submit_wizard,
    text,
)

pytestmark = pytest.mark.django_db

URL = reverse("incidents:report_new")

# The fields each step shows, in order, as the wizard's steps name them.
STEP_FIELDS = [
    ["occurred_on", "narrative", "channels", "abuse_types"],
    ["perpetrator_type", "perpetrator_identifiers", "bias_grounds"],
    ["role", "region", "municipality", "contact_details", "preferred_language"],
    ["risk_flags", "needs"],
    ["consent_statistics", "consent_matching"],
]


def post_step(client, step: int, action: str = "next", **overrides):
    data = answers(**overrides)
    data.update(step=str(step), action=action)
    return client.post(URL, data)


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.visible: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"input", "select", "textarea"} and attributes.get("type") != "hidden":
            self.visible.add(attributes.get("name") or "")


def visible_inputs(response) -> set[str]:
    """Names of the wizard fields the step shows (not the hidden carry-overs)."""
    parser = _Inputs()
    parser.feed(text(response))
    return parser.visible & {name for fields in STEP_FIELDS for name in fields}


def test_wizard_starts_at_the_first_step(reporter_client):
    response = reporter_client.get(URL)

    assert response.status_code == 200
    assert "Step 1 of 6" in text(response)
    assert visible_inputs(response) == set(STEP_FIELDS[0])


@pytest.mark.parametrize("step", range(REVIEW_STEP))
def test_each_step_with_valid_answers_moves_to_the_next_and_shows_its_fields(reporter_client, step):
    response = post_step(reporter_client, step)

    assert response.status_code == 200
    assert f"Step {step + 2} of 6" in text(response)
    if step + 1 < REVIEW_STEP:
        assert visible_inputs(response) == set(STEP_FIELDS[step + 1])
    else:
        assert "Check and send" in text(response)
    assert not Report.objects.exists()


def test_earlier_answers_travel_as_hidden_fields(reporter_client):
    response = post_step(reporter_client, 0)

    assert 'type="hidden" name="narrative" value="A man shouted at me' in text(response)


def test_back_returns_to_the_previous_step_without_errors(reporter_client):
    response = post_step(reporter_client, 2, action="back", role=None, region=None)

    assert "Step 2 of 6" in text(response)
    assert visible_inputs(response) == set(STEP_FIELDS[1])
    assert field_errors(response) == {}


def test_a_missing_narrative_keeps_the_reporter_on_the_first_step_with_a_message(
    reporter_client,
):
    response = post_step(reporter_client, 0, narrative="   ")

    assert "Step 1 of 6" in text(response)
    assert "This field is required." in field_errors(response)["narrative"]


def test_only_the_current_steps_errors_are_shown(reporter_client):
    # Nothing is answered yet for "About you" (step 3), but the reporter is on step 1.
    response = post_step(reporter_client, 0, narrative="", role=None, region=None)

    assert set(field_errors(response)) == {"narrative"}


def test_a_later_step_with_errors_shows_them_and_stays(reporter_client):
    response = post_step(reporter_client, 2, role=None, region="atlantis")

    assert "Step 3 of 6" in text(response)
    assert set(field_errors(response)) == {"role", "region"}


def test_review_page_lists_the_answers(reporter_client):
    response = post_step(reporter_client, REVIEW_STEP - 1)
    page = text(response)

    assert "Check and send" in page
    for shown in [
        "A man shouted at me outside the town hall",
        "In person, in public",
        "At a council or public meeting",
        "Offline intimidation or property damage",
        "A member of the public or a resident",
        "@loud_neighbour",
        "loud@example.com",
        "Sex, including pregnancy",
        "Councillor",
        "Central Ontario",
        "Orillia",
        "Signal after 6 pm",
        "They know where I live or work",
        "Safety planning",
    ]:
        assert shown in page, shown


@pytest.mark.parametrize("step", range(REVIEW_STEP))
def test_change_buttons_on_the_review_page_go_back_to_their_step(reporter_client, step):
    review = post_step(reporter_client, REVIEW_STEP - 1)
    assert f'name="action" value="goto-{step}"' in text(review)

    response = post_step(reporter_client, REVIEW_STEP, action=f"goto-{step}")

    assert f"Step {step + 1} of 6" in text(response)
    assert visible_inputs(response) == set(STEP_FIELDS[step])
    assert field_errors(response) == {}


def test_a_change_button_cannot_jump_ahead_of_the_current_step(reporter_client):
    response = post_step(reporter_client, 1, action="goto-4")

    assert "Step 2 of 6" in text(response)


def test_sending_from_the_review_page_files_the_report(reporter_client, reporter):
    response = submit_wizard(reporter_client, URL)

    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    assert report.reporter == reporter
    assert report.role == "councillor"
    assert report.region == "central"
    assert report.channels == ["in_person", "meeting"]
    assert report.risk_flags == ["location_known"]
    assert report.consent_statistics is True
    assert report.consent_matching is False
    assert Incident.objects.filter(report=report).count() == 1


def test_a_tampered_hidden_value_on_the_final_submit_returns_to_its_step(reporter_client):
    response = submit_wizard(reporter_client, URL, role="mayor_for_life")

    assert response.status_code == 200
    assert "Step 3 of 6" in text(response)
    assert "role" in field_errors(response)
    assert not Report.objects.exists()


def test_a_tampered_narrative_on_the_final_submit_returns_to_the_first_step(reporter_client):
    response = submit_wizard(reporter_client, URL, narrative="")

    assert "Step 1 of 6" in text(response)
    assert set(field_errors(response)) == {"narrative"}
    assert not Report.objects.exists()


def test_a_future_date_is_refused_on_its_step(reporter_client):
    response = post_step(reporter_client, 0, occurred_on=days_ago(-2))

    assert "Step 1 of 6" in text(response)
    assert "future" in field_errors(response).get("occurred_on", "")


def test_a_future_date_sent_from_the_review_page_is_shown_on_its_step(reporter_client):
    response = submit_wizard(reporter_client, URL, occurred_on=days_ago(-2))

    assert not Report.objects.exists()
    assert "Step 1 of 6" in text(response)
    assert "future" in field_errors(response).get("occurred_on", "")


def test_too_many_accounts_named_are_refused_on_their_step(reporter_client):
    identifiers = "\n".join(f"@account{n}" for n in range(26))

    response = post_step(reporter_client, 1, perpetrator_identifiers=identifiers)

    assert "Step 2 of 6" in text(response)
    assert "at most 25" in field_errors(response).get("perpetrator_identifiers", "")


def test_a_repeated_tick_posted_by_hand_is_refused_or_stored_once(reporter_client):
    response = submit_wizard(reporter_client, URL, bias_grounds=["race", "race"])

    assert response.status_code in {200, 302}
    for report in Report.objects.all():
        assert report.bias_grounds == ["race"]


def test_a_receipt_account_cannot_use_the_wizard(client):
    report, _receipt = make_anonymous_report()
    client.force_login(report.reporter)

    response = submit_wizard(client, URL)

    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_anonymous_visitor_is_sent_to_log_in_from_the_wizard(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == login_url_for(URL)
    assert submit_wizard(client, URL).status_code == 302
    assert not Report.objects.exists()


def test_the_wizard_files_a_new_report_next_to_existing_ones(reporter_client, reporter):
    make_report(reporter)

    submit_wizard(reporter_client, URL)

    assert Report.objects.filter(reporter=reporter).count() == 2
