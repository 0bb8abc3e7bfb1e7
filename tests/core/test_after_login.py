import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import STAFF_ROLES, Role
from tests.factories import UserFactory, totp_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "destination"),
    [
        (Role.REPORTER, "incidents:report_list"),
        (Role.SUPPORT_WORKER, "support:home"),
        (Role.COORDINATOR, "support:home"),
        (Role.ANALYST, "insights:dashboard"),
        (Role.ADMINISTRATOR, "core:home"),
    ],
)
def test_signing_in_lands_each_role_on_its_own_start_page(client, password, role, destination):
    user = UserFactory(role=role)
    response = client.post(reverse("core:login"), {"username": user.username, "password": password})
    assert response["Location"] == reverse("core:after_login")
    if role in STAFF_ROLES:
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
        response = client.post(reverse("core:second_factor_verify"), {"code": totp_code(device)})
        assert response["Location"] == reverse("core:after_login")
    assert client.get(response["Location"])["Location"] == reverse(destination)


def test_the_start_page_sends_a_visitor_to_sign_in(client):
    response = client.get(reverse("core:after_login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
