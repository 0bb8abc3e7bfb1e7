"""Role requests on the staff page (/staff/roles/) and in the API (/api/v1/role-requests/): only
coordinators decide, never on their own; administrators see what waits; everyone else, signed in
or not, gets nothing. The person asked about is told, whatever their role."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEvent, Role
from support import roles
from support.models import Notification, RoleRequest, RoleRequestStatus
from tests.factories import UserFactory, make_anonymous_report
from tests.security.support import API, receipt_client, receipt_web_client, token_client
from tests.support.factories import (
    administrator_user,
    analyst_user,
    coordinator_user,
    web_client,
    worker_user,
)

pytestmark = pytest.mark.django_db

LIST = f"{API}/role-requests/"


def _waiting(role: str = Role.SUPPORT_WORKER, **person):
    """A role an administrator asked for a new reporter account; returns (request, person)."""
    person = UserFactory(**person)
    return roles.role_set(actor=administrator_user(), user=person, role=role), person


def _decision(request: RoleRequest, verb: str) -> tuple[str, str]:
    """The page and API addresses that confirm or decline `request`."""
    page = reverse(f"support:role_{verb}", args=[request.public_id])
    return page, f"{LIST}{request.public_id}/{verb}/"


def _errors(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def test_a_coordinator_sees_the_waiting_requests_on_the_page_and_in_the_api():
    waiting, person = _waiting()
    coordinator = coordinator_user()

    page = web_client(coordinator).get(reverse("support:roles"))
    api = token_client(coordinator).get(LIST)

    assert page.status_code == 200
    assert person.username in page.content.decode()
    assert api.status_code == 200
    assert api.json() == [
        {
            "id": str(waiting.public_id),
            "username": person.username,
            "current_role": Role.REPORTER,
            "role": Role.SUPPORT_WORKER,
            "requested_by": waiting.requested_by.username,
            "requested_at": api.json()[0]["requested_at"],
            "status": RoleRequestStatus.PENDING,
        }
    ]


def test_the_staff_menu_links_coordinators_to_the_role_requests():
    page = web_client(coordinator_user()).get(reverse("support:intake")).content.decode()
    assert reverse("support:roles") in page


def test_an_administrator_sees_the_list_in_the_api_but_not_the_staff_page():
    _waiting()
    admin = administrator_user()

    assert token_client(admin).get(LIST).status_code == 200
    assert len(token_client(admin).get(LIST).json()) == 1
    assert web_client(admin).get(reverse("support:roles")).status_code == 403


@pytest.mark.parametrize("who", ["reporter", "worker", "analyst"])
def test_other_signed_in_people_get_neither_the_list_nor_a_decision(who):
    waiting, person = _waiting()
    outsider = {"reporter": UserFactory, "worker": worker_user, "analyst": analyst_user}[who]()
    page, api = web_client(outsider), token_client(outsider)

    assert page.get(reverse("support:roles")).status_code == 403
    assert api.get(LIST).status_code == 403
    for verb in ("confirm", "decline"):
        page_url, api_url = _decision(waiting, verb)
        assert page.post(page_url).status_code == 403
        assert api.post(api_url).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == RoleRequestStatus.PENDING


def test_the_person_asked_about_cannot_decide_their_own_request():
    waiting, person = _waiting()
    page, api = web_client(person), token_client(person)

    for verb in ("confirm", "decline"):
        page_url, api_url = _decision(waiting, verb)
        assert page.post(page_url).status_code == 403
        assert api.post(api_url).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == RoleRequestStatus.PENDING


def test_signed_out_visitors_and_receipt_holders_get_nothing():
    waiting, _person = _waiting()
    _report, receipt = make_anonymous_report()
    page_url, api_url = _decision(waiting, "confirm")

    signed_out = web_client(None)
    assert signed_out.get(reverse("support:roles"))["Location"].startswith(reverse("core:login"))
    assert signed_out.post(page_url)["Location"].startswith(reverse("core:login"))
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().post(api_url).status_code == 401
    holder_page, holder_api = receipt_web_client(receipt), receipt_client(receipt)
    assert holder_page.get(reverse("support:roles")).status_code == 403
    assert holder_page.get(reverse("support:notifications")).status_code == 404
    assert holder_api.get(LIST).status_code == 403
    assert holder_api.post(api_url).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == RoleRequestStatus.PENDING


def test_a_coordinator_confirms_on_the_page_and_the_role_takes_effect():
    waiting, person = _waiting()
    coordinator = coordinator_user()
    page_url, _api_url = _decision(waiting, "confirm")

    response = web_client(coordinator).post(page_url)

    assert response["Location"] == reverse("support:roles")
    assert _errors(response) == []
    person.refresh_from_db()
    assert person.role == Role.SUPPORT_WORKER
    assert AuditEvent.objects.filter(action="role.confirmed", actor=str(coordinator.public_id))
    assert list(web_client(coordinator).get(reverse("support:roles")).context["page"]) == []


def test_a_coordinator_declines_in_the_api_and_nothing_changes_for_the_person():
    waiting, person = _waiting(role=Role.COORDINATOR)
    _page_url, api_url = _decision(waiting, "decline")

    response = token_client(coordinator_user()).post(api_url)

    assert response.status_code == 200
    assert response.json()["status"] == RoleRequestStatus.DECLINED
    person.refresh_from_db()
    assert person.role == Role.REPORTER
    assert AuditEvent.objects.filter(action="role.declined").count() == 1


def test_a_request_is_decided_once():
    waiting, person = _waiting()
    coordinator, other = coordinator_user(), coordinator_user()
    roles.role_decline(actor=coordinator, request=waiting)
    page_url, api_url = _decision(waiting, "confirm")

    assert token_client(other).post(api_url).status_code == 404  # no longer waiting
    assert web_client(other).post(page_url).status_code == 404
    person.refresh_from_db()
    assert person.role == Role.REPORTER


def test_a_disabled_account_cannot_be_confirmed():
    waiting, person = _waiting()
    coordinator = coordinator_user()
    person.is_active = False
    person.save()
    _page_url, api_url = _decision(waiting, "confirm")

    response = token_client(coordinator).post(api_url)

    assert response.status_code == 400
    assert "disabled" in response.content.decode()
    person.refresh_from_db()
    assert person.role == Role.REPORTER


def test_a_new_role_for_the_account_withdraws_the_one_waiting():
    admin, person = administrator_user(), UserFactory()
    first = roles.role_set(actor=admin, user=person, role=Role.COORDINATOR)

    roles.role_set(actor=admin, user=person, role=Role.ANALYST)

    first.refresh_from_db()
    person.refresh_from_db()
    assert first.status == RoleRequestStatus.WITHDRAWN
    assert person.role == Role.ANALYST
    assert not RoleRequest.objects.filter(status=RoleRequestStatus.PENDING).exists()


def test_the_person_is_told_and_opens_their_notification_as_a_reporter():
    waiting, person = _waiting(email="person@example.org")
    page = web_client(person)

    listing = page.get(reverse("support:notifications"))
    note = Notification.objects.get(recipient=person, kind="role_requested")
    opened = page.get(reverse("support:notification", args=[note.public_id]))
    marked = page.post(reverse("support:notification", args=[note.public_id]))

    assert listing.status_code == 200
    assert str(note.public_id) in listing.content.decode()
    assert opened.status_code == 200
    assert marked["Location"] == reverse("support:notifications")
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_coordinator_goes_from_the_notification_to_the_role_requests():
    coordinator = coordinator_user()
    _waiting()
    note = Notification.objects.get(recipient=coordinator, kind="role_requested")

    marked = web_client(coordinator).post(reverse("support:notification", args=[note.public_id]))

    assert marked["Location"] == reverse("support:roles")


def test_the_decision_is_told_to_the_person():
    waiting, person = _waiting()
    roles.role_confirm(actor=coordinator_user(), request=waiting)

    assert Notification.objects.filter(recipient=person, kind="role_decided").count() == 1
