"""SECURITY.md 11: staff must use a second factor (TOTP, single-use codes); one user cannot enrol
or read another user's device. These tests go through the real sign-in steps."""

import re
from base64 import b32decode, b32encode

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from core import second_factor
from core.errors import DomainError
from core.models import STAFF_ROLES, AuditEvent, Role, UserSession
from tests.factories import PASSWORD, UserFactory, make_anonymous_report, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.without_second_factor]

STAFF = sorted(STAFF_ROLES)
LOGIN = reverse("core:login")
VERIFY = reverse("core:second_factor_verify")
ENROL = reverse("core:second_factor_enrol")
MY_CASES = reverse("support:my_cases")


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def a_while_later(user) -> None:
    """django-otp makes a device wait 1, 2, 4… seconds after each wrong code; let that pass."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_count=0)


def signed_in_with_password(user) -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def app_for(page: str) -> TOTPDevice:
    """What a phone's authenticator app holds after scanning the enrolment page (unsaved)."""
    return TOTPDevice(key=b32decode(secret_shown(page)).hex())


def secret_shown(page: str) -> str:
    match = re.search(r'class="secret-key"[^>]*>([A-Z2-7 ]+)<', page)
    assert match, "the enrolment page shows the key"
    return match.group(1).replace(" ", "")


@pytest.mark.parametrize("role", STAFF)
def test_staff_with_only_a_password_reach_nothing_but_the_enrolment_page(role):
    client = signed_in_with_password(UserFactory(role=role))
    for page in ["/staff/", "/insights/", "/admin/", reverse("core:after_login")]:
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(ENROL)


@pytest.mark.parametrize("role", STAFF)
def test_staff_with_a_device_must_give_a_code_before_anything_else(role):
    user = UserFactory(role=role)
    enrolled(user)
    client = signed_in_with_password(user)
    response = client.get("/staff/")
    assert response["Location"] == f"{VERIFY}?next=%2Fstaff%2F"


def test_a_staff_session_without_a_code_gets_403_from_the_api():
    user = UserFactory(role=Role.COORDINATOR)
    enrolled(user)
    client = signed_in_with_password(user)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403
    assert "code" in response.json()["detail"]


def test_enrolling_shows_a_qr_code_drawn_here_and_the_key_then_confirms_with_a_code():
    user = UserFactory(role=Role.SUPPORT_WORKER)
    client = signed_in_with_password(user)
    page = client.get(ENROL).content.decode()
    assert re.search(r'<img class="qr" src="data:image/svg\+xml', page)
    assert not TOTPDevice.objects.filter(user=user).exists(), "nothing is stored before a code"
    app = app_for(page)

    response = client.post(ENROL, {"code": totp_code(app), "next": "/staff/"})
    assert response.status_code == 200
    codes = re.findall(
        r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", response.content.decode()
    )
    assert len(codes) == second_factor.BACKUP_CODE_COUNT
    assert TOTPDevice.objects.get(user=user).key == app.key
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get(MY_CASES).status_code == 200
    assert AuditEvent.objects.filter(action="second_factor.enrolled").count() == 1


def test_a_wrong_code_at_enrolment_confirms_nothing():
    user = UserFactory(role=Role.ANALYST)
    client = signed_in_with_password(user)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/insights/")["Location"].startswith(ENROL)


def test_the_enrolment_page_keeps_the_same_key_until_confirmed():
    client = signed_in_with_password(UserFactory(role=Role.ANALYST))
    assert secret_shown(client.get(ENROL).content.decode()) == secret_shown(
        client.get(ENROL).content.decode()
    )


def test_a_current_code_opens_the_staff_pages_and_each_code_works_once():
    user = UserFactory(role=Role.SUPPORT_WORKER)
    device = enrolled(user)
    code = totp_code(device)
    first = signed_in_with_password(user)
    response = first.post(VERIFY, {"code": code, "next": "/staff/"})
    assert response["Location"] == "/staff/"
    assert first.get(MY_CASES).status_code == 200

    second = signed_in_with_password(user)
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    assert second.get("/staff/")["Location"].startswith(VERIFY)


def test_giving_the_code_starts_a_new_session_key():
    user = UserFactory(role=Role.SUPPORT_WORKER)
    device = enrolled(user)
    client = signed_in_with_password(user)
    before = client.cookies["sessionid"].value
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.cookies["sessionid"].value != before


def test_a_backup_code_signs_in_once():
    user = UserFactory(role=Role.COORDINATOR)
    enrolled(user)
    codes = second_factor.backup_codes_renew(user)
    client = signed_in_with_password(user)
    assert client.post(VERIFY, {"code": codes[0].upper()})["Location"] == reverse(
        "core:after_login"
    )
    again = signed_in_with_password(user)
    assert again.post(VERIFY, {"code": codes[0]}).status_code == 200
    assert StaticDevice.objects.get(user=user).token_set.count() == len(codes) - 1


def test_new_backup_codes_replace_the_old_ones():
    user = UserFactory(role=Role.COORDINATOR)
    enrolled(user)
    old = second_factor.backup_codes_renew(user)
    new = second_factor.backup_codes_renew(user)
    assert not set(old) & set(new)
    client = signed_in_with_password(user)
    assert client.post(VERIFY, {"code": old[0]}).status_code == 200
    a_while_later(user)
    assert client.post(VERIFY, {"code": new[0]}).status_code == 302


def test_wrong_codes_in_a_row_make_the_device_wait_with_a_clear_message():
    user = UserFactory(role=Role.SUPPORT_WORKER)
    device = enrolled(user)
    client = signed_in_with_password(user)
    for _ in range(3):
        client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/staff/")["Location"].startswith(VERIFY)


def test_the_code_step_never_redirects_off_site():
    user = UserFactory(role=Role.SUPPORT_WORKER)
    device = enrolled(user)
    client = signed_in_with_password(user)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("core:after_login")


def test_one_person_cannot_enrol_or_read_another_persons_device():
    owner = UserFactory(role=Role.SUPPORT_WORKER)
    device = enrolled(owner)
    other = UserFactory(role=Role.SUPPORT_WORKER)
    client = signed_in_with_password(other)
    page = client.get(ENROL, {"user": owner.pk, "next": "/"}).content.decode()
    assert b32decode(secret_shown(page)) != device.bin_key
    assert TOTPDevice.objects.filter(user=owner).count() == 1
    client.post(ENROL, {"code": totp_code(device), "user": owner.pk})
    assert not TOTPDevice.objects.filter(user=other).exists()
    assert TOTPDevice.objects.get(user=owner).key == device.key


def test_confirming_needs_a_well_formed_pending_key_and_a_code_from_it():
    user = UserFactory(role=Role.SUPPORT_WORKER)
    forged = "ab" * 20
    with pytest.raises(DomainError):
        second_factor.totp_confirm(user, None, "123456")
    with pytest.raises(DomainError):
        second_factor.totp_confirm(user, "not-a-key", "123456")
    with pytest.raises(DomainError):
        second_factor.totp_confirm(user, forged, "000000")
    device, _ = second_factor.totp_confirm(user, forged, totp_code(TOTPDevice(key=forged)))
    assert (device.user, device.key, device.confirmed) == (user, forged, True)


def test_an_enrolled_person_cannot_see_their_key_again():
    user = UserFactory(role=Role.SUPPORT_WORKER)
    device = enrolled(user)
    client = Client()
    client.force_login(user)
    client.post(VERIFY, {"code": totp_code(device)})
    response = client.get(ENROL)
    assert response["Location"] == reverse("core:account_security")
    with pytest.raises(DomainError):
        second_factor.totp_begin(user)


def test_administrators_never_see_a_device_secret_in_the_admin():
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    target = UserFactory(role=Role.SUPPORT_WORKER)
    device = enrolled(target)
    client = Client()
    client.force_login(admin)
    client.post(VERIFY, {"code": totp_code(enrolled(admin))})
    for url in ["/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"]:
        assert client.get(url).status_code == 404
    page = client.get(f"/admin/core/user/{target.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert device.key not in text
    assert device.key.upper() not in text
    assert b32encode(device.bin_key).decode() not in text


def test_an_administrator_resets_a_device_audited_and_the_person_enrols_again():
    admin = UserFactory(role=Role.ADMINISTRATOR)
    target = UserFactory(role=Role.SUPPORT_WORKER)
    enrolled(target)
    second_factor.backup_codes_renew(target)
    client = signed_in_with_password(target)
    second_factor.second_factor_reset(actor=admin, user=target)
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action="second_factor.reset").count() == 1
    assert client.get("/staff/")["Location"].startswith(LOGIN)
    again = signed_in_with_password(target)
    assert again.get("/staff/")["Location"].startswith(ENROL)


def test_the_admin_action_resets_the_chosen_peoples_devices():
    admin = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    target = UserFactory(role=Role.SUPPORT_WORKER)
    enrolled(target)
    client = Client()
    client.force_login(admin)
    client.post(VERIFY, {"code": totp_code(enrolled(admin))})
    response = client.post(
        "/admin/core/user/",
        {"action": "reset_second_factor", "_selected_action": [target.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action="second_factor.reset").count() == 1


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SUPPORT_WORKER, Role.REPORTER])
def test_only_an_administrator_resets_and_never_their_own(role):
    actor = UserFactory(role=role)
    target = UserFactory(role=Role.ANALYST)
    enrolled(target)
    with pytest.raises(DomainError):
        second_factor.second_factor_reset(actor=actor, user=target)
    admin = UserFactory(role=Role.ADMINISTRATOR)
    enrolled(admin)
    with pytest.raises(DomainError):
        second_factor.second_factor_reset(actor=admin, user=admin)
    assert TOTPDevice.objects.filter(user__in=[target, admin]).count() == 2


def test_a_reporter_signs_in_with_a_password_alone_until_they_opt_in():
    reporter = UserFactory(role=Role.REPORTER)
    client = signed_in_with_password(reporter)
    assert client.get(reverse("incidents:report_list")).status_code == 200
    page = client.get(ENROL).content.decode()
    client.post(ENROL, {"code": totp_code(app_for(page))})
    assert TOTPDevice.objects.get(user=reporter).confirmed
    assert client.get(reverse("incidents:report_list")).status_code == 200

    later = signed_in_with_password(reporter)
    assert later.get(reverse("incidents:report_list"))["Location"].startswith(VERIFY)


class TestApiTokens:
    url = "/api/v1/auth/login/"

    @pytest.mark.parametrize("role", STAFF)
    def test_staff_get_no_token_without_a_current_code(self, api_client, role):
        user = UserFactory(role=role)
        device = enrolled(user)
        body = {"username": user.username, "password": PASSWORD}
        assert api_client.post(self.url, body, format="json").status_code == 401
        wrong = {**body, "otp_token": "000000"}
        assert api_client.post(self.url, wrong, format="json").status_code == 401
        assert not AuthToken.objects.filter(user=user).exists()
        a_while_later(user)
        right = {**body, "otp_token": totp_code(device)}
        response = api_client.post(self.url, right, format="json")
        assert response.status_code == 200
        assert response.json()["token"]

    def test_staff_without_a_device_are_told_to_enrol_on_the_website(self, api_client):
        user = UserFactory(role=Role.SUPPORT_WORKER)
        body = {"username": user.username, "password": PASSWORD, "otp_token": "123456"}
        response = api_client.post(self.url, body, format="json")
        assert response.status_code == 401
        assert "authenticator" in response.json()["detail"]

    def test_a_reporter_needs_a_code_only_after_opting_in(self, api_client):
        reporter = UserFactory(role=Role.REPORTER)
        body = {"username": reporter.username, "password": PASSWORD}
        assert api_client.post(self.url, body, format="json").status_code == 200
        device = enrolled(reporter)
        assert api_client.post(self.url, body, format="json").status_code == 401
        body["otp_token"] = totp_code(device)
        assert api_client.post(self.url, body, format="json").status_code == 200


def test_resetting_ends_the_persons_sessions_on_the_server():
    admin = UserFactory(role=Role.ADMINISTRATOR)
    target = UserFactory(role=Role.SUPPORT_WORKER)
    signed_in_with_password(target)
    AuthToken.objects.create(user=target)
    assert any(
        s.get_decoded().get(SESSION_KEY) == str(target.pk) for s in UserSession.objects.all()
    )
    second_factor.second_factor_reset(actor=admin, user=target)
    assert not any(
        s.get_decoded().get(SESSION_KEY) == str(target.pk) for s in UserSession.objects.all()
    )
    assert not AuthToken.objects.filter(user=target).exists()


class TestReceiptApiTokens:
    """POST /api/v1/anonymous/login/ asks for the code once the receipt's account set one up,
    as the website does, with the same checks and messages as POST /api/v1/auth/login/."""

    url = "/api/v1/anonymous/login/"

    def test_a_receipt_alone_gets_a_token_while_no_authenticator_is_set_up(self, api_client):
        _report, receipt = make_anonymous_report()
        response = api_client.post(self.url, {"receipt": receipt}, format="json")
        assert response.status_code == 200
        assert response.json()["token"]

    def test_once_one_is_set_up_the_receipt_needs_a_current_code(self, api_client):
        report, receipt = make_anonymous_report()
        device = enrolled(report.reporter)
        body = {"receipt": receipt}
        response = api_client.post(self.url, body, format="json")
        assert response.status_code == 401
        assert response.json()["detail"] == "A current code from your authenticator app is needed."
        wrong = api_client.post(self.url, {**body, "otp_token": "000000"}, format="json")
        assert wrong.status_code == 401
        assert not AuthToken.objects.filter(user=report.reporter).exists()
        a_while_later(report.reporter)
        right = api_client.post(self.url, {**body, "otp_token": totp_code(device)}, format="json")
        assert right.status_code == 200
        assert right.json()["token"]

    def test_a_code_does_not_stand_in_for_a_wrong_receipt(self, api_client):
        report, receipt = make_anonymous_report()
        device = enrolled(report.reporter)
        wrong = receipt[:-1] + ("1" if receipt.endswith("0") else "0")
        body = {"receipt": wrong, "otp_token": totp_code(device)}
        response = api_client.post(self.url, body, format="json")
        assert response.status_code == 401
        assert response.json()["detail"] == "That receipt does not open a report."

    def test_the_schema_documents_the_code_field(self):
        from drf_spectacular.generators import SchemaGenerator

        schema = SchemaGenerator().get_schema(request=None, public=True)
        receipt_input = schema["components"]["schemas"]["ReceiptInputRequest"]
        assert "otp_token" in receipt_input["properties"]
        assert "otp_token" not in receipt_input.get("required", [])
