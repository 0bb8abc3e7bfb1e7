"""SECURITY.md 17: passwords are stored with Argon2id; the policy is about length (at least 12
characters) with no composition rules; common passwords and ones like the username are refused.
The rules hold both on the sign-up page and in the service behind it."""

import re

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from core.errors import DomainError
from core.models import User
from core.services import account_signup
from tests.security.support import production_settings

pytestmark = pytest.mark.django_db

SIGNUP = reverse("core:signup")

ELEVEN = "plumriverbo"  # 11 characters, nothing else wrong with it
TWELVE = "plumriverbox"
PASSPHRASE = "quiet orchard lamp by the lake"  # all lowercase, no digit, no symbol
COMMON = ["password1234", "qwerty123456", "1qaz2wsx3edc", "international"]
USERNAME = "margaret.lawson"
LIKE_THE_USERNAME = ["margaret.lawson", "margaret.lawson2024", "Margaret.Lawson!"]


def sign_up_on_the_page(client, username: str, password: str):
    return client.post(SIGNUP, {"username": username, "password": password})


def sign_up_with_the_service(username: str, password: str) -> list[str]:
    """The password errors the service gives (none when the account was made)."""
    try:
        account_signup(username=username, password=password)
    except DomainError as exc:
        return exc.message_dict.get("password", [])
    return []


def made(name: str) -> bool:
    """An account was made for the name typed (sign-up adds "-" and 4 characters to it)."""
    return User.objects.filter(username__regex=rf"^{re.escape(name)}-[0-9A-Z]{{4}}$").exists()


def accepted(response) -> bool:
    return response.status_code == 200 and "Your account is ready" in response.content.decode()


def test_a_signed_up_password_is_stored_as_argon2id_and_checks(client):
    response = sign_up_on_the_page(client, "newcomer", PASSPHRASE)

    assert accepted(response)
    stored = User.objects.get(username__startswith="newcomer-").password
    assert stored.startswith("argon2$argon2id$")
    assert PASSPHRASE not in stored
    assert check_password(PASSPHRASE, stored)
    assert not check_password(PASSPHRASE + "x", stored)


SHOW_HASHING = """
import json, django
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import get_hasher, make_password
print(json.dumps({
    "hashers": settings.PASSWORD_HASHERS,
    "algorithm": get_hasher().algorithm,
    "encoded": make_password("quiet orchard lamp by the lake"),
}))
"""


def test_production_settings_hash_with_the_projects_argon2id_at_a_real_cost(tmp_path):
    shown = production_settings(tmp_path, SHOW_HASHING)

    assert shown["hashers"] == ["core.hashers.RecourseArgon2PasswordHasher"]
    assert shown["algorithm"] == "argon2"
    variant, version, parameters = shown["encoded"].split("$")[1:4]
    assert variant == "argon2id"
    assert version == "v=19"
    cost = dict(re.findall(r"(\w)=(\d+)", parameters))
    # At least OWASP's minimum for Argon2id: 19 MiB of memory and two passes.
    assert int(cost["m"]) >= 19 * 1024
    assert int(cost["t"]) >= 2


def test_eleven_characters_are_refused_and_twelve_accepted_on_the_page(client):
    refused = sign_up_on_the_page(client, "shorty", ELEVEN)

    assert refused.status_code == 200
    assert "at least 12 characters" in refused.content.decode()
    assert not made("shorty")
    assert accepted(sign_up_on_the_page(client, "longer", TWELVE))
    assert made("longer")


def test_eleven_characters_are_refused_and_twelve_accepted_by_the_service():
    assert any("at least 12 characters" in e for e in sign_up_with_the_service("shorty", ELEVEN))
    assert not made("shorty")
    assert sign_up_with_the_service("longer", TWELVE) == []
    assert made("longer")


@pytest.mark.parametrize(
    "password",
    [PASSPHRASE, "correcthorsebatterystaple", "ALLUPPERCASEWORDS", "123987456012", "ééééééééééé!"],
)
def test_there_are_no_composition_rules(password):
    assert sign_up_with_the_service("anyone", password) == []
    assert made("anyone")


def test_an_all_lowercase_passphrase_is_accepted_on_the_page(client):
    assert accepted(sign_up_on_the_page(client, "anyone", PASSPHRASE))
    assert made("anyone")


@pytest.mark.parametrize("password", COMMON)
def test_a_common_password_is_refused_however_long(client, password):
    assert len(password) >= 12
    page = sign_up_on_the_page(client, "someone", password)

    assert page.status_code == 200
    assert "too common" in page.content.decode()
    assert any("too common" in e for e in sign_up_with_the_service("someone", password))
    assert not made("someone")


@pytest.mark.parametrize("password", LIKE_THE_USERNAME)
def test_a_password_like_the_username_is_refused(client, password):
    page = sign_up_on_the_page(client, USERNAME, password)

    assert page.status_code == 200
    assert "too similar to the username" in page.content.decode()
    errors = sign_up_with_the_service(USERNAME, password)
    assert any("too similar to the username" in e for e in errors)
    assert not made(USERNAME)
