"""SECURITY 8: no administrator or superuser can read case content, or make themselves or anyone
able to, alone. Attacked through the admin site with real POSTs, the sign-in pages and the
services: nobody changes their own role or superuser flag, a case-reading role waits for a
coordinator, nobody sets another's password, receipt accounts never sign in with one, and every
administrative change is in the audit chain."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.audit import audit_verify
from core.errors import DomainError
from core.models import AuditEvent, Role, User
from support import directory, roles, services
from support.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    Match,
    Notification,
    Resource,
    RoleRequest,
    RoleRequestStatus,
)
from support.selectors import assignees, case_visible
from tests.factories import PASSWORD, UserFactory, make_anonymous_report
from tests.security.support import API, receipt_web_client, token_client
from tests.support.factories import (
    administrator_user,
    coordinator_user,
    make_case,
    superuser_user,
    web_client,
    worker_user,
)

pytestmark = pytest.mark.django_db

USERS = "/admin/core/user/"
BACKEND = "core.backends.RecourseBackend"


def _change_url(user: User) -> str:
    return f"{USERS}{user.pk}/change/"


def _form(user: User, **changes) -> dict:
    """What the admin's change form posts for `user`, with `changes` (extra fields included)."""
    values = {"role": user.role, "is_active": "on" if user.is_active else ""}
    values.update(changes)
    return {key: value for key, value in values.items() if value != ""}


def _every_permission_administrator() -> User:
    """An administrator given, in the database, every permission and a group with all of them:
    rows that grant nothing here (permissions follow the role)."""
    admin = administrator_user(username="adele")
    group = Group.objects.create(name="everything")
    group.permissions.set(Permission.objects.all())
    admin.groups.add(group)
    admin.user_permissions.set(Permission.objects.all())
    return admin


@pytest.fixture(params=["administrator", "superuser"])
def attacker(request) -> User:
    if request.param == "superuser":
        return superuser_user(username="root")
    return _every_permission_administrator()


def _actions(*names: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(action__in=names).order_by("seq").values_list("action", flat=True)
    )


def _powers(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.role,
        user.is_staff,
        user.is_superuser,
        user.is_active,
        set(user.groups.all()),
        set(user.user_permissions.all()),
        user.password,
    )


# Nobody changes their own role, superuser or staff flag; nobody edits groups or permissions.


def test_an_administrator_cannot_make_themselves_a_coordinator_in_the_admin(attacker):
    client = web_client(attacker)
    before = _powers(attacker)

    response = client.post(_change_url(attacker), _form(attacker, role=Role.COORDINATOR))

    assert response.status_code in (200, 302)
    assert _powers(attacker) == before
    assert not RoleRequest.objects.filter(user=attacker).exists()
    assert _actions("role.requested", "role.changed", "role.confirmed") == []
    with pytest.raises(DomainError, match="their own"):
        roles.role_set(actor=attacker, user=attacker, role=Role.COORDINATOR)


def test_the_own_account_form_shows_role_and_active_flag_read_only(attacker):
    page = web_client(attacker).get(_change_url(attacker)).content.decode()

    assert 'name="role"' not in page
    assert 'name="is_active"' not in page


@pytest.mark.parametrize("whose", ["own", "another"])
def test_superuser_staff_groups_and_permissions_cannot_be_ticked_in_the_admin(attacker, whose):
    target = attacker if whose == "own" else UserFactory(role=Role.ANALYST)
    group = Group.objects.create(name="all powers")
    group.permissions.set(Permission.objects.all())
    before = _powers(target)

    response = web_client(attacker).post(
        _change_url(target),
        _form(
            target,
            is_superuser="on",
            is_staff="on",
            groups=[group.pk],
            user_permissions=list(Permission.objects.values_list("pk", flat=True)),
            password="sha1$$forged",  # noqa: S106
        ),
    )

    assert response.status_code in (200, 302)
    assert _powers(target) == before
    page = web_client(attacker).get(_change_url(target)).content.decode()
    for field in ("is_superuser", "is_staff", "groups", "user_permissions", "password"):
        assert f'name="{field}"' not in page


def test_groups_and_api_tokens_have_no_admin_pages(attacker):
    client = web_client(attacker)

    for url in ("/admin/auth/group/", "/admin/auth/group/add/", "/admin/knox/authtoken/add/"):
        assert client.get(url).status_code == 404, url


def test_permission_rows_in_the_database_grant_nothing_without_the_role():
    analyst = UserFactory(role=Role.ANALYST, is_staff=True)  # staff flag set by hand in the DB
    analyst.user_permissions.set(Permission.objects.all())
    group = Group.objects.create(name="everything")
    group.permissions.set(Permission.objects.all())
    analyst.groups.add(group)

    assert analyst.get_all_permissions() == set()
    assert not analyst.has_perm("core.change_user")
    assert web_client(analyst).get(USERS).status_code == 403
    assert (
        User.objects.with_perm("core.change_user", backend=BACKEND).filter(pk=analyst.pk).exists()
        is False
    )


def test_an_administrator_gets_the_admin_pages_from_their_role_alone():
    admin = administrator_user()
    assert not admin.user_permissions.exists()
    assert not admin.groups.exists()
    client = web_client(admin)

    for url in ("/admin/", USERS, "/admin/support/resource/", "/admin/support/notification/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/support/resource/add/").status_code == 200
    assert User.objects.with_perm("core.change_user", backend=BACKEND).filter(pk=admin.pk).exists()


# Passwords: nobody sets, changes or sees another's; accounts are not added in the admin.


def test_there_is_no_password_page_and_no_add_form(attacker):
    target = coordinator_user()
    client = web_client(attacker)
    url = f"{USERS}{target.pk}/password/"

    assert client.get(url).status_code == 404
    response = client.post(
        url, {"password1": "a new password 123", "password2": "a new password 123"}
    )
    assert response.status_code == 404
    assert client.get(f"{USERS}add/").status_code == 403
    created = client.post(f"{USERS}add/", {"username": "sock", "password1": PASSWORD})
    assert created.status_code == 403
    assert not User.objects.filter(username="sock").exists()
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


def test_the_change_page_shows_no_password_hash_nor_a_link_to_change_it(attacker):
    target = coordinator_user()
    page = web_client(attacker).get(_change_url(target)).content.decode()

    assert target.password not in page
    assert target.password.split("$")[-1] not in page
    assert "password/" not in page
    assert "/signup/" in page  # the help text says where accounts come from


# Receipt accounts: not in the admin; never signed in with a password.


def _receipt_account() -> tuple[User, str]:
    report, receipt = make_anonymous_report()
    return report.reporter, receipt


def test_receipt_accounts_do_not_appear_in_the_admin(attacker):
    account, _receipt = _receipt_account()
    client = web_client(attacker)

    listing = client.get(USERS)
    searched = client.get(USERS, {"q": account.username})
    assert listing.status_code == 200
    assert account.username not in listing.content.decode()
    assert searched.context["cl"].result_count == 0
    assert client.get(_change_url(account)).status_code == 404
    assert client.get(f"{USERS}{account.pk}/").status_code in (302, 404)
    assert client.get(f"{USERS}{account.pk}/history/").status_code == 404
    assert client.get(f"{USERS}{account.pk}/password/").status_code == 404
    before = _powers(account)
    posted = client.post(_change_url(account), {"role": Role.COORDINATOR, "is_active": "on"})
    assert posted.status_code == 404
    assert _powers(account) == before


def test_a_receipt_account_with_a_password_set_in_the_database_cannot_sign_in_with_it():
    account, receipt = _receipt_account()
    account.set_password(PASSWORD)
    account.save()
    credentials = {"username": account.username, "password": PASSWORD}

    page = Client().post(reverse("core:login"), credentials)
    api = APIClient().post(f"{API}/auth/login/", credentials, format="json")

    assert page.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in page.wsgi_request.session
    assert api.status_code in (400, 401)
    assert "token" not in api.json()
    # Its receipt still opens it, and that session still loads on the next request.
    opened = receipt_web_client(receipt).get(reverse("incidents:report_list"))
    assert opened.wsgi_request.user == account


def test_an_ordinary_account_still_signs_in_with_its_password():
    reporter = UserFactory()
    page = Client().post(
        reverse("core:login"), {"username": reporter.username, "password": PASSWORD}
    )
    assert page.status_code == 302
    assert page.wsgi_request.session["_auth_user_id"] == str(reporter.pk)


# A case-reading role waits for a coordinator; after confirmation it works; removal is at once.


def test_an_administrator_makes_someone_a_coordinator_and_they_read_nothing_until_confirmed(
    attacker, django_capture_on_commit_callbacks
):
    case = make_case()
    coordinator = coordinator_user(email="cora@example.org")
    person = UserFactory(username="newcomer", email="newcomer@example.org")
    person_page, person_api = web_client(person), token_client(person)

    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(attacker).post(
            _change_url(person), _form(person, role=Role.COORDINATOR)
        )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.role == Role.REPORTER
    waiting = RoleRequest.objects.get(user=person)
    assert (waiting.role, waiting.status) == (Role.COORDINATOR, RoleRequestStatus.PENDING)
    assert case_visible(actor=person).count() == 0
    assert person_page.get(reverse("support:all_cases")).status_code == 403
    assert person_page.get(case.get_absolute_url()).status_code == 404
    assert person_api.get(f"{API}/cases/").status_code == 403
    assert person_api.get(f"{API}/cases/{case.public_id}/").status_code == 404
    # The person and the coordinator are told, and the e-mails name no one and no role.
    told = set(
        Notification.objects.filter(kind="role_requested").values_list("recipient", flat=True)
    )
    assert told == {person.pk, coordinator.pk}
    assert sorted(m.to[0] for m in mail.outbox) == ["cora@example.org", "newcomer@example.org"]
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}".lower()
        for word in ("newcomer", attacker.username, "coordinator", "role"):
            assert word not in text
    # The person sees their notification, though they are only a reporter.
    note = Notification.objects.get(recipient=person)
    assert (
        person_page.get(reverse("support:notification", args=[note.public_id])).status_code == 200
    )

    roles.role_confirm(actor=coordinator, request=waiting)

    # Now a coordinator, they sign in again with a second factor, as staff do.
    person.refresh_from_db()
    assert web_client(person).get(case.get_absolute_url()).status_code == 200
    assert token_client(person).get(f"{API}/cases/{case.public_id}/").status_code == 200


def test_a_coordinator_cannot_confirm_a_request_for_themselves():
    coordinator = coordinator_user()
    admin = administrator_user()
    waiting = RoleRequest.objects.create(
        user=coordinator, role=Role.SUPPORT_WORKER, requested_by=admin
    )

    with pytest.raises(DomainError, match="themselves"):
        roles.role_confirm(actor=coordinator, request=waiting)
    api = token_client(coordinator).post(f"{API}/role-requests/{waiting.public_id}/confirm/")
    page = web_client(coordinator).post(reverse("support:role_confirm", args=[waiting.public_id]))

    assert api.status_code == 400
    assert page.status_code == 302
    waiting.refresh_from_db()
    coordinator.refresh_from_db()
    assert waiting.status == RoleRequestStatus.PENDING
    assert coordinator.role == Role.COORDINATOR
    assert _actions("role.confirmed") == []


def test_a_support_worker_asked_to_be_coordinator_cannot_confirm_it_themselves():
    worker, admin = worker_user(), administrator_user()
    waiting = roles.role_set(actor=admin, user=worker, role=Role.COORDINATOR)

    with pytest.raises(DomainError, match="Only coordinators"):
        roles.role_confirm(actor=worker, request=waiting)
    assert (
        token_client(worker).post(f"{API}/role-requests/{waiting.public_id}/confirm/").status_code
        == 404
    )
    worker.refresh_from_db()
    assert worker.role == Role.SUPPORT_WORKER


def test_an_administrator_cannot_confirm_a_role_they_asked_for(attacker):
    person = UserFactory()
    waiting = roles.role_set(actor=attacker, user=person, role=Role.SUPPORT_WORKER)

    with pytest.raises(DomainError, match="Only coordinators"):
        roles.role_confirm(actor=attacker, request=waiting)
    api = token_client(attacker).post(f"{API}/role-requests/{waiting.public_id}/confirm/")
    page = web_client(attacker).post(reverse("support:role_confirm", args=[waiting.public_id]))

    assert api.status_code == 400
    assert page.status_code == 403
    person.refresh_from_db()
    assert person.role == Role.REPORTER


@pytest.mark.parametrize("role", [Role.SUPPORT_WORKER, Role.ANALYST])
def test_a_token_or_session_made_before_a_role_change_does_not_carry_the_new_role(role):
    """Staff must give a second factor: a reporter's token or session, made without one, must
    not become a staff sign-in when a role is confirmed or given."""
    admin, coordinator, person = administrator_user(), coordinator_user(), UserFactory()
    api, browser = token_client(person), Client()
    browser.force_login(person)
    assert api.get(f"{API}/reports/").status_code == 200

    waiting = roles.role_set(actor=admin, user=person, role=role)
    if waiting is not None:
        roles.role_confirm(actor=coordinator, request=waiting)

    assert api.get(f"{API}/cases/").status_code == 401
    assert browser.get(reverse("core:account_security")).status_code == 302


def test_once_confirmed_a_support_worker_can_be_assigned():
    admin, coordinator, person = administrator_user(), coordinator_user(), UserFactory()
    case = make_case(coordinator=coordinator)
    waiting = roles.role_set(actor=admin, user=person, role=Role.SUPPORT_WORKER)

    with pytest.raises(DomainError, match="active support workers"):
        services.case_assign(actor=coordinator, case=case, worker=person)
    roles.role_confirm(actor=coordinator, request=waiting)
    person.refresh_from_db()
    services.case_assign(actor=coordinator, case=case, worker=person)

    assert person in assignees(case)
    assert web_client(person).get(case.get_absolute_url()).status_code == 200


def test_removing_a_case_role_in_the_admin_ends_access_on_the_next_request(attacker):
    worker = worker_user()
    case = make_case(workers=(worker,))
    page, api = web_client(worker), token_client(worker)
    assert page.get(case.get_absolute_url()).status_code == 200

    response = web_client(attacker).post(_change_url(worker), _form(worker, role=Role.ANALYST))

    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.role == Role.ANALYST
    # Their sign-ins ended with the role; signed in again, the case is not there for them.
    assert page.get(case.get_absolute_url())["Location"].startswith(reverse("core:login"))
    assert api.get(f"{API}/cases/{case.public_id}/").status_code == 401
    assert web_client(worker).get(case.get_absolute_url()).status_code == 404
    assert token_client(worker).get(f"{API}/cases/{case.public_id}/").status_code == 404
    # The assignment went too, on the case's timeline: a later role does not bring it back.
    assert worker not in assignees(Case.objects.get(pk=case.pk))
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.UNASSIGNED).count() == 1
    assert _actions("role.removed", "case.unassign") == ["case.unassign", "role.removed"]


def test_a_coordinator_made_support_worker_loses_every_case_at_once():
    admin, coordinator = administrator_user(), coordinator_user()
    case = make_case()
    page = web_client(coordinator)
    assert page.get(case.get_absolute_url()).status_code == 200

    assert roles.role_set(actor=admin, user=coordinator, role=Role.SUPPORT_WORKER) is None

    assert page.get(case.get_absolute_url())["Location"].startswith(reverse("core:login"))
    assert web_client(coordinator).get(case.get_absolute_url()).status_code == 404
    assert _actions("role.removed") == ["role.removed"]


def test_disabling_a_coordinator_ends_their_sessions_and_their_role(attacker):
    coordinator = coordinator_user()
    case = make_case()
    page = web_client(coordinator)
    assert page.get(case.get_absolute_url()).status_code == 200

    response = web_client(attacker).post(
        _change_url(coordinator),
        {"role": Role.COORDINATOR},  # is_active unticked
    )

    assert response.status_code == 302
    coordinator.refresh_from_db()
    assert (coordinator.is_active, coordinator.role) == (False, Role.REPORTER)
    assert page.get(case.get_absolute_url()).status_code == 302  # signed out: to the sign-in page
    assert _actions("role.removed", "account.disabled") == ["role.removed", "account.disabled"]
    # Enabled again, the account has no case role: it must be asked for and confirmed anew.
    roles.account_set_active(actor=attacker, user=coordinator, active=True)
    coordinator.refresh_from_db()
    assert coordinator.role == Role.REPORTER
    assert case_visible(actor=coordinator).count() == 0


def test_nobody_disables_their_own_account(attacker):
    response = web_client(attacker).post(_change_url(attacker), {"role": attacker.role})

    assert response.status_code in (200, 302)
    attacker.refresh_from_db()
    assert attacker.is_active
    with pytest.raises(DomainError):
        roles.account_set_active(actor=attacker, user=attacker, active=False)


def test_other_roles_take_effect_at_once_and_follow_the_staff_flag():
    admin, person = administrator_user(), UserFactory()

    roles.role_set(actor=admin, user=person, role=Role.ADMINISTRATOR)
    person.refresh_from_db()
    assert (person.role, person.is_staff) == (Role.ADMINISTRATOR, True)
    roles.role_set(actor=admin, user=person, role=Role.ANALYST)
    person.refresh_from_db()
    assert (person.role, person.is_staff) == (Role.ANALYST, False)
    assert _actions("role.changed") == ["role.changed", "role.changed"]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPPORT_WORKER, Role.ANALYST])
def test_only_administrators_give_roles(role):
    person = UserFactory()
    for actor in (coordinator_user(), worker_user(), UserFactory(role=Role.ANALYST), UserFactory()):
        with pytest.raises(DomainError):
            roles.role_set(actor=actor, user=person, role=role)
    person.refresh_from_db()
    assert person.role == Role.REPORTER
    assert not RoleRequest.objects.exists()


# The first coordinator is made on the server.


def test_coordinator_create_promotes_an_existing_account_audited_as_the_server():
    person = UserFactory(username="first")

    call_command("coordinator_create", "first", stdout=io.StringIO())

    person.refresh_from_db()
    assert person.role == Role.COORDINATOR
    event = AuditEvent.objects.get(action="role.confirmed")
    assert (event.actor, event.object_id) == ("", str(person.public_id))


@pytest.mark.parametrize("case", ["unknown", "receipt", "already", "disabled"])
def test_coordinator_create_refuses_clearly(case):
    if case == "unknown":
        username = "nobody-here"
    elif case == "receipt":
        username = _receipt_account()[0].username
    elif case == "already":
        username = coordinator_user().username
    else:
        username = UserFactory(is_active=False).username

    with pytest.raises(CommandError, match=username):
        call_command("coordinator_create", username)

    assert not AuditEvent.objects.filter(action="role.confirmed").exists()


# The resource directory: every admin change audited.


def _resource_form(**changes) -> dict:
    values = {
        "slug": "peer-circle",
        "name": "Peer circle",
        "kind": "organization",
        "description": "Peers who have been there.",
        "services": "[]",
        "grounds_served": "[]",
        "regions": "[]",
        "languages": "[]",
        "roles_served": "[]",
        "active": "on",
    }
    values.update(changes)
    return values


def test_resource_directory_edits_in_the_admin_are_audited():
    client = web_client(administrator_user())

    added = client.post("/admin/support/resource/add/", _resource_form())
    resource = Resource.objects.get(slug="peer-circle")
    changed = client.post(
        f"/admin/support/resource/{resource.pk}/change/", _resource_form(name="Peer circle 2")
    )
    deleted = client.post(f"/admin/support/resource/{resource.pk}/delete/", {"post": "yes"})

    assert (added.status_code, changed.status_code, deleted.status_code) == (302, 302, 302)
    assert not Resource.objects.filter(slug="peer-circle").exists()
    assert _actions("resource.created", "resource.changed", "resource.deleted") == [
        "resource.created",
        "resource.changed",
        "resource.deleted",
    ]


def test_a_resource_named_in_a_cases_suggestions_is_not_deleted():
    admin = administrator_user()
    case = make_case()
    resource = Resource.objects.create(slug="help", name="Help", kind="organization")
    Match.objects.create(case=case, resource=resource, score=1)

    page = web_client(admin).post(f"/admin/support/resource/{resource.pk}/delete/", {"post": "yes"})

    assert page.status_code == 403
    assert Resource.objects.filter(pk=resource.pk).exists()
    with pytest.raises(DomainError, match="inactive"):
        directory.resource_delete(actor=admin, resource=resource)


# The audit chain holds every administrative change, and still verifies.


def test_every_administrative_change_is_in_the_audit_chain_and_it_verifies():
    admin, coordinator = administrator_user(), coordinator_user()
    person, other = UserFactory(), UserFactory()
    client = web_client(admin)

    client.post(_change_url(person), _form(person, role=Role.SUPPORT_WORKER))
    waiting = RoleRequest.objects.get(user=person)
    web_client(coordinator).post(reverse("support:role_confirm", args=[waiting.public_id]))
    client.post(_change_url(other), _form(other, role=Role.COORDINATOR))
    token_client(coordinator).post(
        f"{API}/role-requests/{RoleRequest.objects.get(user=other).public_id}/decline/"
    )
    client.post(_change_url(other), _form(other, role=Role.ANALYST))
    person.refresh_from_db()
    client.post(_change_url(person), _form(person, role=Role.REPORTER))
    client.post(USERS, {"action": "reset_second_factor", "_selected_action": [other.pk]})
    client.post(USERS, {"action": "disable_accounts", "_selected_action": [other.pk]})
    other.refresh_from_db()
    client.post(_change_url(other), _form(other, is_active="on"))
    client.post("/admin/support/resource/add/", _resource_form())

    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "role.requested",
        "role.confirmed",
        "role.requested",
        "role.declined",
        "role.changed",
        "role.removed",
        "second_factor.reset",
        "account.disabled",
        "account.enabled",
        "resource.created",
    ]
    assert AuditEvent.objects.filter(actor=str(admin.public_id)).count() == 8
    assert audit_verify().ok
