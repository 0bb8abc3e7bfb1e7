import pytest
from django.urls import reverse

from core.models import AuditEvent, Role, User
from tests.factories import PASSWORD, UserFactory
from tests.incidents.helpers import field_errors, text

pytestmark = pytest.mark.django_db

STRONG = "maple syrup on a quiet tuesday"


def test_sign_up_creates_a_reporter_and_signs_them_in(client):
    response = client.post(reverse("core:signup"), {"username": "sam", "password": STRONG})

    assert response.status_code == 200
    user = User.objects.get(username__startswith="sam-")
    assert user.username in text(response)
    assert f'href="{reverse("incidents:report_list")}"' in text(response)
    assert user.role == Role.REPORTER
    assert not user.is_receipt_account
    assert user.check_password(STRONG)
    assert client.get(reverse("incidents:report_list")).status_code == 200


def test_sign_up_page_shows_the_form(client):
    response = client.get(reverse("core:signup"))

    assert response.status_code == 200
    assert 'name="username"' in text(response)
    assert 'name="password"' in text(response)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "too short"),
        ("password1234", "too common"),
        ("samantha-smith", "too similar"),
    ],
    ids=["short", "common", "like-the-username"],
)
def test_sign_up_refuses_a_weak_password_with_a_message_next_to_the_field(
    client, password, message
):
    response = client.post(
        reverse("core:signup"), {"username": "samantha-smith", "password": password}
    )

    assert response.status_code == 200
    assert message in field_errors(response)["password"]
    assert not User.objects.filter(username="samantha-smith").exists()


def test_sign_up_errors_do_not_sign_anyone_in_or_write_an_audit_event(client):
    client.post(reverse("core:signup"), {"username": "sam", "password": "x"})

    assert not AuditEvent.objects.filter(action="account.signup").exists()
    response = client.get(reverse("incidents:report_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_reporter_can_log_in_and_lands_on_their_reports(client, reporter):
    response = client.post(
        reverse("core:login"), {"username": reporter.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("incidents:report_list")
    assert client.get(reverse("incidents:report_list")).status_code == 200


def test_log_in_with_a_wrong_password_is_refused(client, reporter):
    response = client.post(
        reverse("core:login"), {"username": reporter.username, "password": "not it at all"}
    )

    assert response.status_code == 200
    assert "correct username and password" in text(response)
    assert client.get(reverse("incidents:report_list")).status_code == 302


def test_logout_by_get_is_refused_and_keeps_the_session(reporter_client):
    response = reporter_client.get(reverse("core:logout"))

    assert response.status_code == 405
    assert reporter_client.get(reverse("incidents:report_list")).status_code == 200


def test_logout_by_post_ends_the_session(reporter_client):
    response = reporter_client.post(reverse("core:logout"))

    assert response.status_code == 302
    assert reporter_client.get(reverse("incidents:report_list")).status_code == 302


def test_staff_account_gets_a_403_page_on_my_reports(client):
    client.force_login(UserFactory(role=Role.SUPPORT_WORKER))

    response = client.get(reverse("incidents:report_list"))

    assert response.status_code == 403
    assert "This page is for reporters" in text(response)


def test_staff_account_cannot_start_a_report(client):
    client.force_login(UserFactory(role=Role.SUPPORT_WORKER))

    assert client.get(reverse("incidents:report_new")).status_code == 403
