"""Issue 4, pattern alerts: two or more consenting reporters naming the same identifier (in any
spelling of the same kind) alert the coordinators and link the cases, from the blind index alone;
nobody else sees it, least of all the reporters."""

from unittest import mock

import pytest
from django.urls import reverse

from core.crypto.blind_index import blind_index, normalize_identifier
from core.crypto.keyring import load_keyring
from core.models import AuditEvent
from incidents import services as incidents
from incidents.models import PerpetratorMark, Report
from support import patterns, services
from support.models import Case, Notification, PatternAlert, PatternLink
from tests.factories import UserFactory, incident_input, make_anonymous_report, make_report
from tests.security.support import receipt_client, token_client
from tests.support.factories import web_client

pytestmark = pytest.mark.django_db

SAME_KIND = [
    ("@Same_Handle", "@same_handle"),
    ("x.com/foo", "https://twitter.com/Foo/"),
    ("https://www.facebook.com/Jane.Doe?fbclid=abc", "m.facebook.com/jane.doe/"),
    ("Jane.Doe@Example.org", "jane.doe@example.org"),
    ("(613) 555-0142", "+1 613 555 0142"),
]


@pytest.fixture
def coordinators(coordinator, second_coordinator):
    return ["cole", "cora"]


@pytest.fixture
def file(django_capture_on_commit_callbacks):
    """File a report naming `identifiers`, and run its triage task as after the commit."""

    def filing(*identifiers: str, reporter=None, consent: bool = True) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            return make_report(
                reporter or UserFactory(),
                consent_matching=consent,
                perpetrator_identifiers=list(identifiers),
            )

    return filing


def _alerted(kind: str = "pattern") -> list[str]:
    found = Notification.objects.filter(kind=kind).select_related("recipient")
    return sorted(note.recipient.username for note in found)


def _linked(alert: PatternAlert) -> set[int]:
    return set(PatternLink.objects.filter(alert=alert).values_list("case_id", flat=True))


def _state() -> tuple:
    return (
        PatternAlert.objects.count(),
        PatternLink.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(("first", "second"), SAME_KIND, ids=lambda value: value)
def test_two_consenting_reporters_naming_the_same_identifier_alert_the_coordinators(
    file, coordinators, first, second
):
    one, two = file(first), file(second)

    alert = PatternAlert.objects.get()
    assert _linked(alert) == {one.case.pk, two.case.pk}
    assert _alerted() == coordinators
    assert set(Notification.objects.filter(kind="pattern").values_list("case", flat=True)) == {None}
    assert (
        AuditEvent.objects.filter(action="pattern.alert", object_id=str(alert.public_id)).count()
        == 1
    )


def test_a_handle_and_a_profile_address_are_different_kinds_of_identifier(file, coordinators):
    file("@same_handle")
    file("https://x.com/same_handle")

    assert PatternAlert.objects.count() == 0
    assert _alerted() == []


def test_different_identifiers_raise_no_alert(file, coordinators):
    file("@someone")
    file("@someone_else")

    assert PatternAlert.objects.count() == 0


def test_without_both_reporters_consent_there_is_no_alert(file, coordinators):
    file("@same_handle")
    refusing = file("@Same_Handle", consent=False)

    assert PatternAlert.objects.count() == 0
    assert _alerted() == []
    assert not PerpetratorMark.objects.filter(report=refusing).exists()  # nothing to match on


def test_the_same_reporter_twice_is_not_a_pattern(file, coordinators):
    reporter = UserFactory()
    file("@same_handle", reporter=reporter)
    file("@Same_Handle", reporter=reporter)

    assert PatternAlert.objects.count() == 0
    assert _alerted() == []


def test_anonymous_reports_count_each_as_their_own_reporter(
    coordinators, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        one, _ = make_anonymous_report(consent_matching=True, perpetrator_identifiers=["@x_y"])
        two, _ = make_anonymous_report(consent_matching=True, perpetrator_identifiers=["@X_Y"])

    assert _linked(PatternAlert.objects.get()) == {one.case.pk, two.case.pk}


def test_a_third_reporter_joins_the_alert_and_the_coordinators_hear_again(file, coordinators):
    reporter = UserFactory()
    first = file("@same_handle", reporter=reporter)
    again = file("@same_handle", reporter=reporter)
    second = file("@same_handle")
    alert = PatternAlert.objects.get()
    assert _linked(alert) == {first.case.pk, again.case.pk, second.case.pk}
    assert _alerted() == coordinators

    third = file("@SAME_HANDLE")

    assert PatternAlert.objects.get() == alert
    assert _linked(alert) == {first.case.pk, again.case.pk, second.case.pk, third.case.pk}
    assert _alerted() == sorted(coordinators * 2)


def test_the_alert_is_computed_from_the_blind_index_alone(
    coordinators, django_capture_on_commit_callbacks
):
    one = make_report(consent_matching=True, perpetrator_identifiers=["@Same_Handle"])
    two = make_report(consent_matching=True, perpetrator_identifiers=["@same_handle"])
    refuse = mock.patch(
        "core.crypto.sealed.open_bytes", side_effect=AssertionError("the check opened a field")
    )

    with refuse as opened, django_capture_on_commit_callbacks(execute=True):
        assert patterns.pattern_check(report=one) == 2
        assert patterns.pattern_check(report=two) == 0

    assert opened.call_count == 0
    digest = blind_index(normalize_identifier("@same_handle"), keyring=load_keyring())
    assert PatternAlert.objects.get().digest == digest
    assert set(PerpetratorMark.objects.values_list("digest", flat=True)) == {digest}


def test_checking_again_changes_nothing(file, coordinators):
    one, two = file("@same_handle"), file("@Same_Handle")
    before = _state()

    for report in (one, two, one):
        assert patterns.pattern_check(report=report) == 0
        services.case_triage(case_id=report.case.pk)

    assert _state() == before


def _ordered_pair() -> tuple[str, str]:
    """Two handles whose marks, made in this order, also sort in this order by digest (however
    the database reads a report's marks, it meets the first one first). The digests depend on
    this run's random index key, so the pair is picked from a few candidates: the smallest and
    the largest digest, which always exist and always differ."""
    keyring = load_keyring()
    candidates = sorted(
        (f"@handle_{index}" for index in range(8)),
        key=lambda handle: blind_index(normalize_identifier(handle), keyring=keyring),
    )
    return candidates[0], candidates[-1]


def test_a_check_that_adds_nothing_to_an_alert_does_not_record_it_again(coordinators):
    """A report names a new identifier and one already in an alert that it belongs to: the check
    links the new pair, and must leave the known alert (unchanged) out of the audit log."""
    new, known = _ordered_pair()
    both = make_report(consent_matching=True, perpetrator_identifiers=[new, known])
    patterns.pattern_check(
        report=make_report(consent_matching=True, perpetrator_identifiers=[known])
    )
    known_alert = PatternAlert.objects.get()
    assert _linked(known_alert) == {both.case.pk, Case.objects.exclude(report=both).get().pk}
    make_report(consent_matching=True, perpetrator_identifiers=[new])  # not checked yet

    patterns.pattern_check(report=both)  # links the new pair; the known alert is unchanged

    assert PatternAlert.objects.count() == 2
    records = AuditEvent.objects.filter(
        action="pattern.alert", object_id=str(known_alert.public_id)
    )
    assert records.count() == 1


# Who sees it.


@pytest.fixture
def pair(file, coordinators, coordinator, worker):
    one, two = file("@same_handle"), file("@Same_Handle")
    services.case_assign(actor=coordinator, case=one.case, worker=worker)
    return one, two


def test_coordinators_see_the_alert_with_its_cases(pair, coordinator):
    one, two = pair

    response = web_client(coordinator).get(reverse("support:alerts"))

    assert response.status_code == 200
    body = response.content.decode()
    assert str(one.case.public_id) in body
    assert str(two.case.public_id) in body


@pytest.mark.parametrize("who", ["worker", "other_worker", "administrator"])
def test_nobody_else_on_the_staff_sees_the_alerts(pair, request, who):
    person = request.getfixturevalue(who)

    response = web_client(person).get(reverse("support:alerts"))

    assert response.status_code == 403
    assert str(pair[1].case.public_id) not in response.content.decode()


def test_reporters_cannot_open_the_alerts_page(pair):
    response = web_client(pair[0].reporter).get(reverse("support:alerts"))

    assert response.status_code == 403
    assert str(pair[1].case.public_id) not in response.content.decode()


def test_the_coordinators_case_page_links_the_other_case(pair, coordinator):
    one, two = pair

    body = web_client(coordinator).get(one.case.get_absolute_url()).content.decode()

    assert "Other reporters named the same identifier" in body
    assert two.case.get_absolute_url() in body


def test_the_assigned_workers_case_page_does_not_link_the_other_case(pair, worker):
    one, two = pair

    response = web_client(worker).get(one.case.get_absolute_url())

    assert response.status_code == 200
    assert str(two.case.public_id) not in response.content.decode()
    assert "Other reporters named" not in response.content.decode()


def test_the_reporter_never_sees_the_pattern(pair):
    one, two = pair
    secret = [str(two.case.public_id), str(two.public_id), "same identifier", "Other reporters"]

    page = web_client(one.reporter).get(one.get_absolute_url()).content.decode()
    api = token_client(one.reporter).get(f"/api/v1/reports/{one.public_id}/").content.decode()

    for text in secret:
        assert text not in page
        assert text not in api
    assert Notification.objects.filter(recipient__in=[one.reporter, two.reporter]).count() == 0


def test_an_anonymous_reporter_never_sees_the_pattern(
    coordinators, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report, receipt = make_anonymous_report(
            consent_matching=True, perpetrator_identifiers=["@same_handle"]
        )
        other = make_report(consent_matching=True, perpetrator_identifiers=["@same_handle"])
    assert PatternAlert.objects.count() == 1

    body = receipt_client(receipt).get(f"/api/v1/reports/{report.public_id}/").content.decode()

    assert str(other.case.public_id) not in body
    assert str(other.public_id) not in body


@pytest.mark.parametrize(("first", "second"), SAME_KIND, ids=lambda value: value)
def test_one_report_naming_an_account_in_two_spellings_keeps_one_mark_of_it(first, second):
    report = make_report(consent_matching=True, perpetrator_identifiers=[first, second])
    digest = blind_index(normalize_identifier(first), keyring=load_keyring())
    assert list(PerpetratorMark.objects.values_list("report", "digest")) == [(report.pk, digest)]


def test_an_incident_naming_an_account_the_report_already_named_adds_no_mark_and_no_error():
    reporter = UserFactory()
    report = make_report(reporter, consent_matching=True, perpetrator_identifiers=["@same_handle"])
    incidents.incident_add(
        actor=reporter,
        report=report,
        data=incident_input(perpetrator_identifiers=["@Same_Handle", "x.com/other"]),
    )
    assert PerpetratorMark.objects.filter(report=report).count() == 2
    assert report.incidents.count() == 2
