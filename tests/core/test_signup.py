"""Sign-up names no one: every account made there is the name typed, "-" and 4 random characters,
so the page never refuses a name and never tells whether one, a staff member's included, is in
use. The page then shows the whole username before the person goes on."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from core import services
from core.errors import DomainError
from core.models import AuditEvent, Role, User
from core.services import SIGNUP_NAME_MAX_LENGTH, USERNAME_SUFFIX_ALPHABET, account_signup
from tests.factories import PASSWORD, UserFactory
from tests.incidents.helpers import field_errors, text

pytestmark = pytest.mark.django_db

SIGNUP = reverse("core:signup")
STRONG = "maple syrup on a quiet tuesday"
SUFFIX = f"[{USERNAME_SUFFIX_ALPHABET}]{{4}}"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|data-csrf[\w-]*=)"[^"]*"')


def sign_up(name: str, password: str = STRONG):
    return Client().post(SIGNUP, {"username": name, "password": password})


def made_for(name: str) -> list[User]:
    return list(User.objects.filter(username__regex=rf"^{re.escape(name)}-{SUFFIX}$"))


def as_seen(response, username: str, name: str) -> str:
    """The page with what differs by nature (the username made, the CSRF token) blanked."""
    page = CSRF.sub(r'\1""', text(response))
    return page.replace(username, "USERNAME").replace(name, "NAME")


def stored() -> tuple[int, int]:
    return User.objects.count(), AuditEvent.objects.count()


def test_signing_up_with_a_staff_username_answers_exactly_as_with_a_free_name():
    staff = UserFactory(username="alice", role=Role.COORDINATOR)
    free = sign_up("zoe")
    taken = sign_up("alice")

    assert (taken.status_code, free.status_code) == (200, 200)
    assert [t.name for t in taken.templates] == [t.name for t in free.templates]
    [zoe], [alice] = made_for("zoe"), made_for("alice")
    assert as_seen(taken, alice.username, "alice") == as_seen(free, zoe.username, "zoe")
    assert "taken" not in text(taken)
    assert alice.role == Role.REPORTER
    staff.refresh_from_db()
    assert staff.role == Role.COORDINATOR
    assert staff.check_password(PASSWORD)


def test_the_username_is_the_name_typed_a_dash_and_four_random_crockford_characters():
    for _ in range(3):
        assert sign_up("sam").status_code == 200

    usernames = {user.username for user in made_for("sam")}
    assert len(usernames) == 3
    assert not User.objects.filter(username="sam").exists()


def test_the_page_shows_the_whole_username_and_the_person_is_signed_in_already():
    client = Client()
    response = client.post(SIGNUP, {"username": "riley", "password": STRONG})

    [user] = made_for("riley")
    assert re.search(rf'<code id="username">{re.escape(user.username)}</code>', text(response))
    assert "write it down" in text(response).lower()
    assert response.wsgi_request.user == user
    assert client.get(reverse("incidents:report_list")).status_code == 200


def test_the_person_signs_in_with_the_whole_username_not_the_name_typed():
    sign_up("riley")
    [user] = made_for("riley")
    login = reverse("core:login")

    assert Client().post(login, {"username": "riley", "password": STRONG}).status_code == 200
    assert Client().post(login, {"username": user.username, "password": STRONG}).status_code == 302


def test_a_suffix_already_in_use_in_any_case_is_drawn_again(monkeypatch):
    UserFactory(username="sam-abcd")
    draws = iter(["sam-ABCD", "sam-7QK3"])
    monkeypatch.setattr(services, "_username_draw", lambda name: next(draws))

    user = account_signup(username="sam", password=STRONG)

    assert user.username == "sam-7QK3"


def test_when_no_free_suffix_is_drawn_the_refusal_is_clear_and_stores_nothing(monkeypatch):
    UserFactory(username="sam-ABCD")
    monkeypatch.setattr(services, "_username_draw", lambda name: "sam-ABCD")
    before = stored()

    with pytest.raises(DomainError) as refusal:
        account_signup(username="sam", password=STRONG)

    assert "Try another" in refusal.value.message_dict["username"][0]
    assert stored() == before


def test_a_name_that_leaves_room_for_the_suffix_is_accepted_and_a_longer_one_refused():
    longest = "n" * SIGNUP_NAME_MAX_LENGTH
    assert sign_up(longest).status_code == 200
    [user] = made_for(longest)
    assert len(user.username) == 150
    before = stored()

    page = sign_up(longest + "n")
    with pytest.raises(DomainError) as refusal:
        account_signup(username=longest + "n", password=STRONG)

    assert "at most 145 characters" in field_errors(page)["username"]
    assert "at most 145 characters" in refusal.value.message_dict["username"][0]
    assert stored() == before


@pytest.mark.parametrize("name", ["riley smith", "a/b", "riley#1", "<b>x</b>"])
def test_a_name_with_characters_outside_the_allowed_ones_is_refused_and_nothing_stored(name):
    before = stored()

    page = sign_up(name)

    assert page.status_code == 200
    assert "Enter a valid username" in field_errors(page)["username"]
    assert stored() == before


def test_a_name_of_only_spaces_is_refused_by_the_page_and_by_the_service():
    before = stored()

    page = sign_up("   ")
    with pytest.raises(DomainError) as refusal:
        account_signup(username="   ", password=STRONG)

    assert "required" in field_errors(page)["username"]
    assert refusal.value.message_dict["username"] == ["Choose a name to sign in with."]
    assert stored() == before
