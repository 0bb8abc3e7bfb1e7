import uuid

import pytest

from core.models import Role
from incidents.models import Incident
from tests.api.helpers import days_ago, incidents_url
from tests.conftest import api_login
from tests.factories import UserFactory, make_report

pytestmark = pytest.mark.django_db


def incident_body(**overrides) -> dict:
    body = {
        "narrative": "The same account posted a photo of my house.",
        "occurred_on": days_ago(1),
        "channels": ["instagram", "facebook"],
        "abuse_types": ["doxxing", "threat_of_violence"],
        "perpetrator_identifiers": ["@burn_it_down"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def report(reporter):
    return make_report(reporter, channels=["facebook"], abuse_types=["doxxing"])


@pytest.fixture
def reporter_api(api_client, reporter):
    return api_login(api_client, reporter)


def test_reporter_adds_an_incident_to_their_report(reporter_api, report):
    response = reporter_api.post(incidents_url(report.public_id), incident_body(), format="json")

    assert response.status_code == 201
    incident = Incident.objects.get(public_id=uuid.UUID(response.json()["id"]))
    assert incident.report == report
    detail = reporter_api.get(f"/api/v1/reports/{report.public_id}/").json()
    assert [item["narrative"] for item in detail["incidents"]][-1] == incident_body()["narrative"]


def test_adding_an_incident_makes_the_reports_lists_the_union(reporter_api, report):
    reporter_api.post(incidents_url(report.public_id), incident_body(), format="json")

    report.refresh_from_db()
    assert sorted(report.channels) == ["facebook", "instagram"]
    assert sorted(report.abuse_types) == ["doxxing", "threat_of_violence"]


def test_an_incident_needs_only_a_narrative(reporter_api, report):
    response = reporter_api.post(
        incidents_url(report.public_id), {"narrative": "Another call."}, format="json"
    )

    assert response.status_code == 201
    assert report.incidents.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"narrative": ""}, "narrative"),
        ({"narrative": ["a"]}, "narrative"),
        ({"occurred_on": "yesterday"}, "occurred_on"),
        ({"occurred_on": days_ago(-1)}, "occurred_on"),
        ({"channels": ["fax"]}, "channels"),
        ({"channels": "facebook"}, "channels"),
        ({"abuse_types": ["rudeness"]}, "abuse_types"),
        ({"perpetrator_identifiers": ["x" * 301]}, "perpetrator_identifiers"),
        ({"perpetrator_identifiers": [f"@a{n}" for n in range(26)]}, "perpetrator_identifiers"),
    ],
    ids=[
        "blank-narrative",
        "list-narrative",
        "words-date",
        "future-date",
        "unknown-channel",
        "string-channels",
        "unknown-abuse-type",
        "long-identifier",
        "26-identifiers",
    ],
)
def test_a_bad_incident_is_refused_and_changes_nothing(reporter_api, report, overrides, field):
    response = reporter_api.post(
        incidents_url(report.public_id), incident_body(**overrides), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert report.incidents.count() == 1
    report.refresh_from_db()
    assert report.channels == ["facebook"]


def test_a_list_body_for_an_incident_is_refused(reporter_api, report):
    response = reporter_api.post(incidents_url(report.public_id), [incident_body()], format="json")

    assert response.status_code == 400
    assert report.incidents.count() == 1


def test_another_reporter_gets_404_adding_an_incident(api_client, report, outsider):
    api_login(api_client, outsider)

    response = api_client.post(incidents_url(report.public_id), incident_body(), format="json")

    assert response.status_code == 404
    assert report.incidents.count() == 1


def test_no_token_is_a_401_adding_an_incident(api_client, report):
    response = api_client.post(incidents_url(report.public_id), incident_body(), format="json")

    assert response.status_code == 401
    assert report.incidents.count() == 1


def test_staff_token_is_refused_adding_an_incident(api_client, report):
    api_login(api_client, UserFactory(role=Role.COORDINATOR))

    response = api_client.post(incidents_url(report.public_id), incident_body(), format="json")

    assert response.status_code == 404  # no report of theirs: as if it did not exist
    assert report.incidents.count() == 1


def test_an_incident_for_a_report_that_does_not_exist_is_a_404(reporter_api):
    response = reporter_api.post(incidents_url(uuid.uuid4()), incident_body(), format="json")

    assert response.status_code == 404
    assert not Incident.objects.exists()


def test_an_incident_path_that_is_not_a_uuid_is_a_404(reporter_api):
    response = reporter_api.post("/api/v1/reports/12345/incidents/", incident_body(), format="json")

    assert response.status_code == 404
