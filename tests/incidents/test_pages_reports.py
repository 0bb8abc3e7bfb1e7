import pytest
from django.urls import reverse

from incidents.models import Incident, Report
from tests.factories import make_report
from tests.incidents.helpers import days_ago, field_errors, login_url_for, text

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:report_list")

# Every page about one report, by URL name, and the methods it answers.
REPORT_PAGES = ["report_detail", "incident_new", "evidence_new", "report_export", "report_erase"]
POST_PAGES = ["incident_new", "evidence_new", "report_erase"]


def page(name: str, report: Report) -> str:
    return reverse(f"incidents:{name}", args=[report.public_id])


def incident_data(**overrides) -> dict:
    values = {
        "occurred_on": days_ago(1),
        "narrative": "He sent the same threat by e-mail this time.",
        "channels": ["email", "facebook"],
        "abuse_types": ["threat_of_violence"],
        "perpetrator_identifiers": "angry@example.com",
    }
    values.update(overrides)
    return values


# My reports


def test_my_reports_lists_only_the_reporters_own_reports(reporter_client, reporter, outsider):
    mine = [make_report(reporter), make_report(reporter)]
    theirs = make_report(outsider)

    response = reporter_client.get(LIST)

    assert response.status_code == 200
    for report in mine:
        assert report.get_absolute_url() in text(response)
    assert theirs.get_absolute_url() not in text(response)


def test_my_reports_says_so_when_there_are_none(reporter_client, outsider):
    make_report(outsider)

    response = reporter_client.get(LIST)

    assert "You have not filed a report yet." in text(response)


def test_anonymous_visitor_is_sent_to_log_in_from_my_reports(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"] == login_url_for(LIST)


# One report


def test_report_detail_shows_the_decrypted_report(reporter_client, reporter):
    report = make_report(
        reporter,
        narrative="They posted my address under my campaign video.",
        perpetrator_identifiers=["@someone", "https://example.com/u/troll"],
        municipality="Kingston",
        contact_details="Text me after 6 pm",
    )

    response = reporter_client.get(page("report_detail", report))

    assert response.status_code == 200
    content = text(response)
    assert "They posted my address under my campaign video." in content
    assert "Kingston" in content
    assert "Text me after 6 pm" in content
    assert "<code>@someone</code>" in content
    assert "<code>https://example.com/u/troll</code>" in content
    assert "Doxxing (sharing private details)" in content


def test_report_content_is_not_stored_in_the_clear(reporter):
    report = make_report(reporter, municipality="Kingston")

    stored = Report.objects.filter(pk=report.pk).values_list("municipality_sealed", flat=True)
    assert b"Kingston" not in bytes(stored[0])


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_another_reporter_gets_404_on_every_page_of_a_report(client, outsider, reporter, name):
    report = make_report(reporter)
    client.force_login(outsider)

    assert client.get(page(name, report)).status_code == 404


@pytest.mark.parametrize("name", POST_PAGES)
def test_another_reporter_gets_404_when_posting_to_a_report(client, outsider, reporter, name):
    report = make_report(reporter)
    client.force_login(outsider)

    response = client.post(page(name, report), {**incident_data(), "confirm": "on"})

    assert response.status_code == 404
    assert Report.objects.filter(pk=report.pk).exists()
    assert report.incidents.count() == 1


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_anonymous_visitor_is_sent_to_log_in_from_every_page_of_a_report(client, reporter, name):
    report = make_report(reporter)
    url = page(name, report)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == login_url_for(url)


def test_a_report_that_does_not_exist_is_a_404(reporter_client):
    missing = "00000000-0000-4000-8000-000000000000"

    response = reporter_client.get(reverse("incidents:report_detail", args=[missing]))

    assert response.status_code == 404


# Add an incident


def test_reporter_can_add_an_incident_to_their_report(reporter_client, reporter):
    report = make_report(reporter, channels=["facebook"], abuse_types=["doxxing"])

    response = reporter_client.post(page("incident_new", report), incident_data())

    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    assert report.incidents.count() == 2
    detail = text(reporter_client.get(report.get_absolute_url()))
    assert "He sent the same threat by e-mail this time." in detail
    assert "<code>angry@example.com</code>" in detail
    assert "Someone posted my home address" in detail


def test_adding_an_incident_makes_the_reports_lists_the_union(reporter_client, reporter):
    report = make_report(reporter, channels=["facebook"], abuse_types=["doxxing"])

    reporter_client.post(page("incident_new", report), incident_data())

    report.refresh_from_db()
    assert sorted(report.channels) == ["email", "facebook"]
    assert sorted(report.abuse_types) == ["doxxing", "threat_of_violence"]


def test_add_incident_page_shows_the_form(reporter_client, reporter):
    report = make_report(reporter)

    response = reporter_client.get(page("incident_new", report))

    assert response.status_code == 200
    assert 'name="narrative"' in text(response)


def test_an_incident_without_a_narrative_is_refused(reporter_client, reporter):
    report = make_report(reporter)

    response = reporter_client.post(page("incident_new", report), incident_data(narrative=" "))

    assert response.status_code == 200
    assert "narrative" in field_errors(response)
    assert report.incidents.count() == 1


def test_an_incident_in_the_future_is_refused(reporter_client, reporter):
    report = make_report(reporter, channels=["facebook"])

    response = reporter_client.post(
        page("incident_new", report), incident_data(occurred_on=days_ago(-1))
    )

    assert response.status_code == 200
    assert "future" in field_errors(response)["occurred_on"]
    assert report.incidents.count() == 1
    report.refresh_from_db()
    assert report.channels == ["facebook"]


def test_an_incident_with_an_unknown_channel_is_refused(reporter_client, reporter):
    report = make_report(reporter)

    response = reporter_client.post(
        page("incident_new", report), incident_data(channels=["carrier_pigeon"])
    )

    assert response.status_code == 200
    assert "channels" in field_errors(response)
    assert Incident.objects.filter(report=report).count() == 1


# Printable copy


def test_printable_copy_contains_the_narrative(reporter_client, reporter):
    report = make_report(reporter, narrative="A letter arrived with no stamp.")

    response = reporter_client.get(page("report_export", report))

    assert response.status_code == 200
    assert "A letter arrived with no stamp." in text(response)
    assert "Smallville" in text(response)
