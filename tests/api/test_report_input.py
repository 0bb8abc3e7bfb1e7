"""Bad input to POST reports/ is a 400 that names the field, never a 500, and stores nothing."""

import json

import pytest

from incidents.models import Report
from tests.api.helpers import REPORTS, days_ago, report_body, stored_counts, without
from tests.conftest import api_login

pytestmark = pytest.mark.django_db

NOTHING = {
    "Report": 0,
    "Incident": 0,
    "Evidence": 0,
    "PerpetratorMark": 0,
    "Receipt": 0,
    "KeyWrap": 0,
}


@pytest.fixture
def reporter_api(api_client, reporter):
    return api_login(api_client, reporter)


def refused(response, *fields: str) -> None:
    assert response.status_code == 400, response.content
    for field in fields:
        assert field in response.json(), response.json()
        assert response.json()[field], response.json()
    assert stored_counts() == NOTHING


BAD_FIELDS = [
    ("unknown-channel", {"channels": ["facebook", "myspace"]}, "channels"),
    ("unknown-abuse-type", {"abuse_types": ["rudeness"]}, "abuse_types"),
    ("unknown-bias-ground", {"bias_grounds": ["star_sign"]}, "bias_grounds"),
    ("unknown-risk-flag", {"risk_flags": ["mild"]}, "risk_flags"),
    ("unknown-need", {"needs": ["revenge"]}, "needs"),
    ("string-for-channels", {"channels": "facebook"}, "channels"),
    ("string-for-needs", {"needs": "police"}, "needs"),
    ("number-for-risk-flags", {"risk_flags": 3}, "risk_flags"),
    ("null-in-codes", {"abuse_types": [None]}, "abuse_types"),
    ("unknown-role", {"role": "emperor"}, "role"),
    ("unknown-region", {"region": "atlantis"}, "region"),
    ("list-for-role", {"role": ["candidate"]}, "role"),
    ("unknown-perpetrator-type", {"perpetrator_type": "ghost"}, "perpetrator_type"),
    ("unknown-language", {"preferred_language": "de"}, "preferred_language"),
    ("narrative-as-list", {"narrative": ["They", "shouted"]}, "narrative"),
    ("narrative-as-object", {"narrative": {"text": "hi"}}, "narrative"),
    ("narrative-as-boolean", {"narrative": True}, "narrative"),
    ("blank-narrative", {"narrative": "   "}, "narrative"),
    ("null-narrative", {"narrative": None}, "narrative"),
    ("too-long-narrative", {"narrative": "x" * 20_001}, "narrative"),
    ("nul-in-narrative", {"narrative": "a\x00b"}, "narrative"),
    ("words-for-a-date", {"occurred_on": "yesterday"}, "occurred_on"),
    ("impossible-date", {"occurred_on": "2026-02-30"}, "occurred_on"),
    ("number-for-a-date", {"occurred_on": 20260101}, "occurred_on"),
    ("future-date", {"occurred_on": days_ago(-1)}, "occurred_on"),
    ("far-future-date", {"occurred_on": "9999-12-31"}, "occurred_on"),
    ("words-for-consent", {"consent_statistics": "perhaps"}, "consent_statistics"),
    ("list-for-consent", {"consent_matching": [True]}, "consent_matching"),
    ("too-long-municipality", {"municipality": "M" * 201}, "municipality"),
    ("too-long-contact", {"contact_details": "c" * 1001}, "contact_details"),
    (
        "26-identifiers",
        {"perpetrator_identifiers": [f"@account{n}" for n in range(26)]},
        "perpetrator_identifiers",
    ),
    (
        "identifier-of-301-chars",
        {"perpetrator_identifiers": ["@ok", "h" * 301]},
        "perpetrator_identifiers",
    ),
    ("string-for-identifiers", {"perpetrator_identifiers": "@troll"}, "perpetrator_identifiers"),
    ("null-identifier", {"perpetrator_identifiers": [None]}, "perpetrator_identifiers"),
    (
        "object-identifier",
        {"perpetrator_identifiers": [{"handle": "@troll"}]},
        "perpetrator_identifiers",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [(overrides, field) for _name, overrides, field in BAD_FIELDS],
    ids=[name for name, _overrides, _field in BAD_FIELDS],
)
def test_a_bad_field_is_refused_with_its_error_and_nothing_is_stored(
    reporter_api, overrides, field
):
    response = reporter_api.post(REPORTS, report_body(**overrides), format="json")

    refused(response, field)


@pytest.mark.parametrize("field", ["role", "region", "narrative"])
def test_a_missing_required_field_is_refused(reporter_api, field):
    response = reporter_api.post(REPORTS, without(report_body(), field), format="json")

    refused(response, field)


def test_an_empty_body_names_every_required_field(reporter_api):
    response = reporter_api.post(REPORTS, {}, format="json")

    refused(response, "role", "region", "narrative")


def test_a_body_with_no_content_at_all_is_refused(reporter_api):
    response = reporter_api.post(REPORTS, data="", content_type="application/json")

    refused(response, "role", "region", "narrative")


def test_a_json_list_instead_of_an_object_is_refused(reporter_api):
    response = reporter_api.post(REPORTS, [report_body()], format="json")

    refused(response, "non_field_errors")


@pytest.mark.parametrize("raw", ["null", '"a report"', "42", "true"])
def test_json_that_is_not_an_object_is_refused(reporter_api, raw):
    response = reporter_api.post(REPORTS, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert stored_counts() == NOTHING


def test_malformed_json_is_refused(reporter_api):
    response = reporter_api.post(
        REPORTS, data='{"role": "candidate",', content_type="application/json"
    )

    assert response.status_code == 400
    assert stored_counts() == NOTHING


def test_several_bad_fields_are_all_named(reporter_api):
    body = report_body(role="emperor", channels=["myspace"], occurred_on="yesterday")

    response = reporter_api.post(REPORTS, body, format="json")

    refused(response, "role", "channels", "occurred_on")


def test_a_number_is_not_accepted_as_a_narrative(reporter_api):
    response = reporter_api.post(REPORTS, report_body(narrative=12345), format="json")

    refused(response, "narrative")


@pytest.mark.parametrize("field", ["narrative", "municipality", "contact_details"])
def test_a_lone_surrogate_in_text_is_refused_with_its_code_point(reporter_api, field):
    body = json.dumps(report_body(**{field: "Plain words, then PLACE"})).replace("PLACE", "\\ud83d")

    response = reporter_api.post(REPORTS, data=body, content_type="application/json")

    refused(response, field)
    assert response.json()[field] == ["Surrogate characters are not allowed: U+D83D."]


def test_a_whole_emoji_in_a_narrative_is_accepted(reporter_api):
    response = reporter_api.post(
        REPORTS, report_body(narrative="They wrote \U0001f52a."), format="json"
    )

    assert response.status_code == 201, response.content


def test_an_object_is_not_accepted_as_a_list_of_codes(reporter_api):
    body = report_body(channels={"facebook": True, "email": True})

    response = reporter_api.post(REPORTS, body, format="json")

    refused(response, "channels")


def test_a_repeated_code_is_never_stored_twice(reporter_api):
    body = report_body(channels=["email", "email"], bias_grounds=["race", "race"])

    response = reporter_api.post(REPORTS, body, format="json")

    assert response.status_code in {201, 400}
    for report in Report.objects.all():
        assert report.channels == ["email"]
        assert report.bias_grounds == ["race"]


def test_twenty_five_identifiers_of_300_characters_are_accepted(reporter_api):
    identifiers = [f"{n:02d}" + "h" * 298 for n in range(25)]

    response = reporter_api.post(
        REPORTS, report_body(perpetrator_identifiers=identifiers), format="json"
    )

    assert response.status_code == 201
    detail = reporter_api.get(f"{REPORTS}{response.json()['id']}/").json()
    assert detail["incidents"][0]["perpetrator_identifiers"] == identifiers


def test_blank_and_repeated_identifiers_are_dropped(reporter_api):
    body = report_body(perpetrator_identifiers=["@troll", " @troll ", "", "   ", "@other"])

    response = reporter_api.post(REPORTS, body, format="json")

    assert response.status_code == 201
    detail = reporter_api.get(f"{REPORTS}{response.json()['id']}/").json()
    assert detail["incidents"][0]["perpetrator_identifiers"] == ["@troll", "@other"]


def test_todays_date_is_accepted(reporter_api):
    response = reporter_api.post(REPORTS, report_body(occurred_on=days_ago(0)), format="json")

    assert response.status_code == 201


def test_a_form_encoded_body_is_not_a_500(reporter_api):
    response = reporter_api.post(REPORTS, data="role=candidate", content_type="text/plain")

    assert response.status_code in {400, 415}
    assert stored_counts() == NOTHING


def test_error_bodies_are_json(reporter_api):
    response = reporter_api.post(REPORTS, json.dumps({"role": 1}), content_type="application/json")

    assert response["Content-Type"] == "application/json"
