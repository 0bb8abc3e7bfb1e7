"""Issue 5, the statistical extract: a record only for consenting reports, coarse dimensions
only, Aggregate kept in step, refreshed idempotently (submission, closure, schedule, rebuild),
removed on erasure and withdrawn consent, and nothing in it that leads back to a report."""

import hashlib
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from incidents import services as report_services
from incidents.models import Report
from insights import tasks
from insights.models import Aggregate, ExtractRecord, ExtractValue
from insights.services import extract_key, extract_rebuild, extract_refresh
from support import escalation, services
from support import tasks as support_tasks
from support.models import Case, CaseStatus
from tests.factories import incident_input, make_anonymous_report, make_report
from tests.insights.helpers import (
    aggregate_counts,
    assert_aggregates_in_step,
    consenting_report,
    distinctive_reports,
    insights_values,
    leads_back,
    record_of,
    snapshot,
    values_of,
)
from tests.security.support import token_client
from tests.support.factories import walk_to, web_client

pytestmark = pytest.mark.django_db

# 03:30 UTC on 1 April 2026 is 23:30 on 31 March in Toronto: March, first quarter.
LATE_MARCH_IN_TORONTO = datetime(2026, 4, 1, 3, 30, tzinfo=UTC)


def _case(report: Report) -> Case:
    return Case.objects.get(report=report)


# Consent.


def test_a_report_filed_without_consent_gets_no_record(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(consent_statistics=False)
        make_anonymous_report(consent_statistics=False)

    assert extract_refresh(report_pk=report.pk) == "absent"
    assert not ExtractRecord.objects.exists()
    assert not ExtractValue.objects.exists()
    assert aggregate_counts() == {}


def test_a_report_filed_with_consent_gets_its_record_when_the_filing_commits(
    reporter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(reporter, consent_statistics=True)
        anonymous, _receipt = make_anonymous_report(consent_statistics=True)

    assert record_of(report) is not None
    assert record_of(anonymous) is not None
    assert ExtractRecord.objects.count() == 2
    assert_aggregates_in_step()


def test_a_consenting_filing_queues_one_task_whose_triage_writes_the_record(
    reporter, django_capture_on_commit_callbacks
):
    with (
        mock.patch("core.tasks.async_task") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = make_report(reporter, consent_statistics=True)

    queued.assert_called_once_with("support.tasks.case_triage", _case(report).pk)
    assert record_of(report) is None
    assert support_tasks.case_triage(_case(report).pk) is True
    assert values_of(record_of(report))["severity"] == [_case(report).severity]
    assert_aggregates_in_step()


def test_nothing_is_written_before_the_filing_commits(reporter):
    make_report(reporter, consent_statistics=True)  # on-commit callbacks never run here

    assert not ExtractRecord.objects.exists()


# What a record holds.


def test_the_record_holds_the_reports_coarse_dimensions_with_one_row_per_value():
    report = consenting_report(
        created_at=LATE_MARCH_IN_TORONTO,
        role="councillor",
        region="northwestern",
        channels=["facebook", "email"],
        abuse_types=["doxxing", "insults"],
        bias_grounds=["race", "creed"],
        perpetrator_type="fellow_council_member",
    )
    record = record_of(report)

    assert (record.month, record.quarter, record.region, record.role) == (
        "2026-03",
        "2026-Q1",
        "northwestern",
        "councillor",
    )
    assert values_of(record) == {
        "month": ["2026-03"],
        "quarter": ["2026-Q1"],
        "region": ["northwestern"],
        "role": ["councillor"],
        "channel": ["email", "facebook"],
        "abuse_type": ["doxxing", "insults"],
        "bias_ground": ["creed", "race"],
        "perpetrator_type": ["fellow_council_member"],
        "severity": ["high"],  # doxxing
        "response_time": ["none"],
        "escalated": ["no"],
        "outcome": ["open"],
    }
    assert record.values.count() == 15
    assert_aggregates_in_step()


@pytest.mark.parametrize(
    ("created_at", "month", "quarter"),
    [
        (datetime(2026, 1, 1, 4, 59, tzinfo=UTC), "2025-12", "2025-Q4"),  # 23:59 EST
        (datetime(2026, 1, 1, 5, 0, tzinfo=UTC), "2026-01", "2026-Q1"),
        (datetime(2026, 7, 1, 3, 59, tzinfo=UTC), "2026-06", "2026-Q2"),  # 23:59 EDT
        (datetime(2026, 10, 15, 12, 0, tzinfo=UTC), "2026-10", "2026-Q4"),
    ],
)
def test_month_and_quarter_follow_the_local_date_of_filing(created_at, month, quarter):
    record = record_of(consenting_report(created_at=created_at))

    assert (record.month, record.quarter) == (month, quarter)
    assert values_of(record)["month"] == [month]
    assert values_of(record)["quarter"] == [quarter]


def test_severity_is_the_cases_and_follows_a_coordinators_change(coordinator):
    report = consenting_report(abuse_types=["insults"])
    assert values_of(record_of(report))["severity"] == ["low"]

    services.case_set_severity(
        actor=coordinator, case=_case(report), severity="critical", reason="Reassessed."
    )
    assert extract_refresh(report_pk=report.pk) == "written"

    assert values_of(record_of(report))["severity"] == ["critical"]
    assert_aggregates_in_step()


@pytest.mark.parametrize(
    ("waited", "bucket"),
    [
        (timedelta(minutes=20), "under_1h"),
        (timedelta(hours=1), "under_1h"),
        (timedelta(hours=1, minutes=1), "1_4h"),
        (timedelta(hours=10), "4_24h"),
        (timedelta(hours=48), "1_3d"),
        (timedelta(hours=72, minutes=1), "over_3d"),
    ],
)
def test_the_response_time_bucket_counts_from_the_case_opening_to_the_first_response(
    waited, bucket
):
    report = consenting_report()
    case = _case(report)
    Case.objects.filter(pk=case.pk).update(first_response_at=case.created_at + waited)

    assert extract_refresh(report_pk=report.pk) == "written"

    assert values_of(record_of(report))["response_time"] == [bucket]
    assert_aggregates_in_step()


def test_a_staff_message_two_hours_after_filing_puts_the_report_in_one_to_four_hours(
    coordinator,
):
    report = consenting_report()
    case = _case(report)
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=2))

    services.message_send_staff(actor=coordinator, case=case, body="Hello, I read your report.")
    extract_refresh(report_pk=report.pk)

    assert values_of(record_of(report))["response_time"] == ["1_4h"]


def test_a_case_the_ladder_took_to_level_two_counts_as_escalated():
    report = consenting_report()
    case = _case(report)
    now = timezone.now() + timedelta(days=30)
    levels = [escalation.climb(case_id=case.pk, now=now) for _ in range(2)]
    assert levels == [1, 2]
    assert _case(report).escalated_at is not None

    assert extract_refresh(report_pk=report.pk) == "written"

    assert values_of(record_of(report))["escalated"] == ["yes"]
    assert_aggregates_in_step()


def test_a_case_with_escalated_at_set_counts_as_escalated():
    report = consenting_report()
    Case.objects.filter(report=report).update(escalation_level=2, escalated_at=timezone.now())

    extract_refresh(report_pk=report.pk)

    assert values_of(record_of(report))["escalated"] == ["yes"]


def test_an_escalated_case_still_counts_as_escalated_once_it_is_closed(
    coordinator, django_capture_on_commit_callbacks
):
    """The ladder escalated the case; closing it later (which restarts the ladder and clears
    escalated_at) must not turn it into a case that was never escalated."""
    report = consenting_report()
    case = _case(report)
    now = timezone.now() + timedelta(days=30)
    escalation.climb(case_id=case.pk, now=now)
    escalation.climb(case_id=case.pk, now=now)
    extract_refresh(report_pk=report.pk)
    assert values_of(record_of(report))["escalated"] == ["yes"]

    with django_capture_on_commit_callbacks(execute=True):
        walk_to(_case(report), CaseStatus.CLOSED, coordinator=coordinator)

    assert values_of(record_of(report))["outcome"] == ["closed"]
    assert values_of(record_of(report))["escalated"] == ["yes"]


# Refreshing.


def test_refreshing_twice_changes_nothing():
    report = consenting_report(abuse_types=["doxxing", "insults"])
    before = snapshot()
    values = list(ExtractValue.objects.order_by("pk").values_list("pk", "dimension", "value"))

    assert extract_refresh(report_pk=report.pk) == "unchanged"
    assert extract_refresh(report_pk=report.pk) == "unchanged"

    assert snapshot() == before
    assert list(ExtractValue.objects.order_by("pk").values_list("pk", "dimension", "value")) == (
        values
    )


@pytest.mark.parametrize("status", [CaseStatus.RESOLVED, CaseStatus.CLOSED])
def test_closing_the_case_updates_the_outcome_through_the_task(
    status, coordinator, django_capture_on_commit_callbacks
):
    other = consenting_report()  # keeps the "open" cell alive
    report = consenting_report()
    month, region, role = record_of(report).month, report.region, report.role
    open_cell = (month, region, role, "outcome", "open")
    assert aggregate_counts()[open_cell] == 2

    with django_capture_on_commit_callbacks(execute=True):
        walk_to(_case(report), status, coordinator=coordinator)

    assert values_of(record_of(report))["outcome"] == [str(status)]
    assert values_of(record_of(other))["outcome"] == ["open"]
    assert aggregate_counts()[open_cell] == 1
    assert aggregate_counts()[(month, region, role, "outcome", str(status))] == 1
    assert_aggregates_in_step()


def test_a_new_incident_brings_the_record_up_to_date_through_triage(
    django_capture_on_commit_callbacks,
):
    report = consenting_report(channels=["email"], abuse_types=["insults"])
    assert values_of(record_of(report))["severity"] == ["low"]

    with django_capture_on_commit_callbacks(execute=True):
        report_services.incident_add(
            actor=report.reporter,
            report=report,
            data=incident_input(channels=["phone"], abuse_types=["threat_of_violence"]),
        )

    values = values_of(record_of(report))
    assert values["channel"] == ["email", "phone"]
    assert "threat_of_violence" in values["abuse_type"]
    assert values["severity"] == [_case(report).severity] != ["low"]
    assert_aggregates_in_step()


def test_a_transition_short_of_closure_leaves_the_record_for_the_schedule(
    coordinator, django_capture_on_commit_callbacks
):
    report = consenting_report()
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        walk_to(_case(report), CaseStatus.IN_PROGRESS, coordinator=coordinator)

    assert snapshot() == before
    assert tasks.extract_sync() == 1  # the schedule picks up the first response
    assert values_of(record_of(report))["response_time"] == ["under_1h"]


def test_the_refresh_of_a_report_that_is_gone_does_nothing():
    report = consenting_report()
    pk = report.pk
    report_services.report_erase(actor=report.reporter, report=report)

    assert extract_refresh(report_pk=pk) == "gone"
    assert not ExtractRecord.objects.exists()


# Removal.


def _two_reports_and_the_state_before_the_second(reporter):
    consenting_report(abuse_types=["insults"])  # someone else's, stays
    before = snapshot()
    report = consenting_report(reporter, abuse_types=["insults", "doxxing"])
    assert snapshot() != before
    return report, before


def test_erasing_a_report_removes_its_record_and_its_counts(reporter):
    report, before = _two_reports_and_the_state_before_the_second(reporter)

    report_services.report_erase(actor=reporter, report=report)

    assert record_of(report) is None
    assert snapshot() == before
    assert_aggregates_in_step()


def test_erasing_a_report_on_its_page_removes_its_record(reporter):
    report, before = _two_reports_and_the_state_before_the_second(reporter)

    response = web_client(reporter).post(
        reverse("incidents:report_erase", args=[report.public_id]), {"confirm": "on"}
    )

    assert response.status_code == 302
    assert not Report.objects.filter(pk=report.pk).exists()
    assert snapshot() == before


def test_withdrawing_consent_on_the_report_page_removes_the_record_at_once(
    reporter, django_capture_on_commit_callbacks
):
    report, before = _two_reports_and_the_state_before_the_second(reporter)

    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(reporter).post(
            reverse("incidents:report_withdraw_statistics", args=[report.public_id])
        )

    assert response.status_code == 302
    assert not Report.objects.get(pk=report.pk).consent_statistics
    assert record_of(report) is None
    assert snapshot() == before
    # Nothing writes it back: not a refresh, not the schedule, not a rebuild.
    assert extract_refresh(report_pk=report.pk) == "absent"
    tasks.extract_sync()
    extract_rebuild()
    assert record_of(report) is None
    assert snapshot() == before


def test_withdrawing_consent_through_the_api_removes_the_record_at_once(reporter):
    report, before = _two_reports_and_the_state_before_the_second(reporter)

    response = token_client(reporter).delete(
        f"/api/v1/reports/{report.public_id}/statistics-consent/"
    )

    assert response.status_code == 204
    assert not Report.objects.get(pk=report.pk).consent_statistics
    assert record_of(report) is None
    assert snapshot() == before
    assert_aggregates_in_step()


def test_another_reporter_cannot_withdraw_someone_elses_consent(reporter, outsider):
    report = consenting_report(reporter)
    before = snapshot()

    response = token_client(outsider).delete(
        f"/api/v1/reports/{report.public_id}/statistics-consent/"
    )

    assert response.status_code == 404
    assert Report.objects.get(pk=report.pk).consent_statistics
    assert snapshot() == before


# Rebuilding and the schedule.


def _varied_reports(coordinator) -> list[Report]:
    reports = [
        consenting_report(abuse_types=["doxxing", "insults"], channels=["email", "phone"]),
        consenting_report(region="toronto", role="candidate", bias_grounds=["race"]),
        consenting_report(created_at=LATE_MARCH_IN_TORONTO),
    ]
    make_report(consent_statistics=False)
    walk_to(_case(reports[0]), CaseStatus.RESOLVED, coordinator=coordinator)
    for report in reports:
        extract_refresh(report_pk=report.pk)
    return reports


def test_refresh_insights_rebuilds_the_extract_identically(coordinator, capsys):
    _varied_reports(coordinator)
    before = snapshot()
    # Damage it: a record gone, a count wrong, a stray record.
    ExtractRecord.objects.order_by("pk").first().delete()
    Aggregate.objects.filter(dimension="region").update(count=99)
    ExtractRecord.objects.create(key="f" * 64, month="2026-01", quarter="2026-Q1", region="x")

    call_command("refresh_insights")

    assert "3 records" in capsys.readouterr().out
    assert snapshot() == before
    assert_aggregates_in_step()
    call_command("refresh_insights")
    assert snapshot() == before


def test_the_scheduled_sync_writes_what_was_missed_and_is_idempotent(coordinator):
    reports = [make_report(consent_statistics=True) for _ in range(3)]  # tasks never ran
    make_report(consent_statistics=False)

    assert tasks.extract_sync() == 3
    after_first = snapshot()
    assert tasks.extract_sync() == 0
    assert snapshot() == after_first
    assert {record_of(report).key for report in reports} == set(after_first["records"])

    Case.objects.filter(report=reports[0]).update(status=CaseStatus.CLOSED)  # no task ran
    assert tasks.extract_sync() == 1
    assert values_of(record_of(reports[0]))["outcome"] == ["closed"]
    assert tasks.extract_sync() == 0
    assert_aggregates_in_step()


def test_aggregate_counts_match_a_live_count_through_a_reports_life(
    reporter, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reports = [
            make_report(reporter, consent_statistics=True, abuse_types=kinds)
            for kinds in (["doxxing"], ["doxxing", "insults"], ["stalking"], ["insults"])
        ]
    assert_aggregates_in_step()
    with django_capture_on_commit_callbacks(execute=True):
        walk_to(_case(reports[0]), CaseStatus.CLOSED, coordinator=coordinator)
    assert_aggregates_in_step()
    report_services.report_consent_withdraw(actor=reporter, report=reports[1])
    assert_aggregates_in_step()
    report_services.report_erase(actor=reporter, report=reports[2])
    assert_aggregates_in_step()

    counts = aggregate_counts()
    abuse = {key[4]: n for key, n in counts.items() if key[3] == "abuse_type"}
    assert abuse == {"doxxing": 1, "insults": 1}
    assert sum(n for key, n in counts.items() if key[3] == "month") == 2


# Nothing leads back to a report.

EXTRACT_MODELS = [ExtractRecord, ExtractValue, Aggregate]


def scan_setup(settings) -> list[Report]:
    """Distinctive reports, and every insights table in use (a noisy release too)."""
    from insights.engine import Query, publish

    reports = distinctive_reports()
    settings.RECOURSE_STATS_DP = True
    publish(Query(("abuse_type",), "2026-01", "2026-12"))
    return reports


def test_no_value_in_any_insights_table_matches_a_report_id(settings):
    reports = scan_setup(settings)
    assert reports[0].pk > 7_340_000
    assert {table for table, _v in insights_values()} >= {
        "insights_extractrecord",
        "insights_extractvalue",
        "insights_aggregate",
        "insights_noisyrelease",
        "insights_privacyledger",
    }

    assert leads_back(reports) == []


def test_the_records_key_is_a_keyed_hash_not_a_plain_hash_of_the_report_id():
    report = consenting_report()
    key = record_of(report).key
    report_id = str(report.public_id)

    assert key == extract_key(report.public_id)
    plain = [
        hashlib.sha256(text.encode()).hexdigest()
        for text in (report_id, f"extract|{report_id}", report.public_id.hex)
    ]
    assert key not in plain


def test_no_insights_model_has_a_relation_outside_insights():
    insights_models = set(apps.get_app_config("insights").get_models())
    outward = [
        f"{model.__name__}.{field.name} -> {field.related_model.__name__}"
        for model in insights_models
        for field in model._meta.get_fields()
        if field.is_relation and field.related_model not in insights_models
    ]
    inward = [
        f"{model.__name__}.{field.name} -> {field.related_model.__name__}"
        for model in apps.get_models()
        if model not in insights_models
        for field in model._meta.get_fields()
        if field.is_relation and field.related_model in insights_models
    ]

    assert outward == []
    assert inward == []
    names = {field.name for model in EXTRACT_MODELS for field in model._meta.concrete_fields}
    assert not names & {"report", "report_id", "reporter", "case", "user", "public_id"}


def test_the_extract_stores_no_time_finer_than_a_month():
    """Coarse dimensions only. A timestamp written when the record is (moments after the report
    is filed) matches the record to the report's own created_at."""
    report = consenting_report()
    record = record_of(report)

    fine = [
        f"{model.__name__}.{field.name}"
        for model in EXTRACT_MODELS
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateField | models.TimeField)
    ]
    near = [
        name
        for name in fine
        if name.startswith("ExtractRecord.")
        and abs(getattr(record, name.split(".")[1]) - report.created_at) < timedelta(minutes=1)
    ]
    assert fine == [], f"timestamps in the extract: {fine}; within a minute of filing: {near}"


def test_the_scan_finds_a_report_id_planted_in_the_extract():
    """The scan above can fail: an id written into any column of any insights table shows."""
    report = distinctive_reports()[0]
    ExtractValue.objects.filter(dimension="outcome", record__key=record_of(report).key).update(
        value=f"x{report.public_id.hex}"
    )

    assert leads_back([report]) == [
        f"report public id (hex) in insights_extractvalue: x{report.public_id.hex}"
    ]
