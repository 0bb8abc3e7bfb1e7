"""SECURITY 10: an anonymous reporter's receipt has at least 112 bits from a secure random source,
is stored only as a slow hash, and opens only that one report."""

import math
import random

import argon2
import pytest
from django.contrib.auth.hashers import check_password, get_hasher
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string
from rest_framework.test import APIClient

import core.settings as production
from core.hashers import RecourseArgon2PasswordHasher
from core.models import User
from incidents import receipts
from incidents.models import Receipt, Report
from tests.factories import make_anonymous_report, make_report
from tests.hashers import FastArgon2PasswordHasher
from tests.security.support import (
    API,
    receipt_client,
    receipt_web_client,
    report_payload,
    tables_holding,
)

pytestmark = pytest.mark.django_db


def _file_anonymously() -> tuple[str, str]:
    """(report id, receipt) of a report filed through the API without an account."""
    response = APIClient().post(f"{API}/anonymous/reports/", report_payload(), format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"], response.json()["receipt"]


def _changed(receipt: str, position: int) -> str:
    other = next(ch for ch in receipts.ALPHABET if ch != receipt[position])
    return receipt[:position] + other + receipt[position + 1 :]


def test_a_receipt_is_28_symbols_of_a_32_symbol_alphabet_with_at_least_112_secret_bits():
    _, receipt = _file_anonymously()
    parts = receipts.receipt_parse(receipt)

    assert len(receipts.ALPHABET) == len(set(receipts.ALPHABET)) == 32
    assert len(receipt) == 28
    assert set(receipt) <= set(receipts.ALPHABET)
    assert parts is not None
    assert len(parts.secret) == receipts.SECRET_CHARS == 23
    assert receipts.SECRET_BITS >= 112
    assert len(parts.secret) * math.log2(len(receipts.ALPHABET)) >= 112


def test_a_receipt_is_drawn_with_the_secrets_module(monkeypatch):
    draws: list[str] = []
    real_choice = receipts.secrets.choice

    def recording_choice(sequence):
        drawn = real_choice(sequence)
        if sequence == receipts.ALPHABET:
            draws.append(drawn)
        return drawn

    def refuse(*args, **kwargs):
        raise AssertionError("receipts must not come from the random module")

    monkeypatch.setattr(receipts.secrets, "choice", recording_choice)
    for name in ("choice", "choices", "randint", "randrange", "getrandbits", "sample"):
        monkeypatch.setattr(random, name, refuse)

    _, receipt = _file_anonymously()

    assert "".join(draws[: receipts.LENGTH]) == receipt


def test_two_hundred_receipts_are_all_distinct():
    drawn = [receipts.receipt_generate().text for _ in range(200)]
    filed = [_file_anonymously()[1] for _ in range(5)]

    assert len(set(drawn + filed)) == 205


def test_a_receipt_is_stored_only_as_an_argon2id_hash():
    report_id, receipt = _file_anonymously()
    secret = receipt[receipts.LOOKUP_CHARS :]
    # Sign in both ways, so sessions and tokens are among the rows searched below.
    receipt_client(receipt)
    receipt_web_client(receipt)

    stored = Receipt.objects.get(report__public_id=report_id)
    assert stored.secret_hash.startswith("argon2$argon2id$")
    assert check_password(secret, stored.secret_hash)
    display = receipts.receipt_display(receipt)
    assert tables_holding([receipt, secret, display, display[5:]]) == set()


def test_the_scan_of_all_tables_finds_what_is_stored():
    """The control for the search above."""
    _, receipt = _file_anonymously()
    lookup = receipt[: receipts.LOOKUP_CHARS]

    assert "incidents_receipt" in tables_holding([lookup])


def test_production_settings_hash_with_argon2id_at_64_mib_and_3_passes():
    assert production.PASSWORD_HASHERS[0] == "core.hashers.RecourseArgon2PasswordHasher"
    hasher = import_string(production.PASSWORD_HASHERS[0])
    assert hasher is RecourseArgon2PasswordHasher
    assert hasher.memory_cost >= 64 * 1024
    assert hasher.time_cost >= 3
    assert hasher().params().type == argon2.Type.ID
    # The tests' faster hasher only lowers the costs.
    assert issubclass(FastArgon2PasswordHasher, RecourseArgon2PasswordHasher)
    assert get_hasher().algorithm == hasher.algorithm


def test_a_receipt_is_hashed_with_the_configured_production_costs(settings):
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    report_id, _ = _file_anonymously()

    stored = Receipt.objects.get(report__public_id=report_id).secret_hash

    cost = RecourseArgon2PasswordHasher
    assert f"m={cost.memory_cost},t={cost.time_cost},p={cost.parallelism}" in stored


def _others() -> tuple[str, str]:
    """Another anonymous report and a signed-in reporter's report."""
    other_anonymous, _ = _file_anonymously()
    signed_in = make_report()
    return other_anonymous, str(signed_in.public_id)


def test_a_receipt_token_opens_only_that_report():
    own, receipt = _file_anonymously()
    other_anonymous, signed_in = _others()
    client = receipt_client(receipt)

    assert [item["id"] for item in client.get(f"{API}/reports/").json()] == [own]
    assert client.get(f"{API}/reports/{own}/").status_code == 200
    assert client.get(f"{API}/reports/{other_anonymous}/").status_code == 404
    assert client.get(f"{API}/reports/{signed_in}/").status_code == 404


def test_a_receipt_session_opens_only_that_report():
    own, receipt = _file_anonymously()
    other_anonymous, signed_in = _others()
    client = receipt_web_client(receipt)

    landing = client.get(reverse("incidents:report_list"))
    assert landing.status_code == 302
    assert landing["Location"] == reverse("incidents:report_detail", args=[own])
    assert client.get(reverse("incidents:report_detail", args=[own])).status_code == 200
    for report_id in (other_anonymous, signed_in):
        for page in ("report_detail", "report_export", "incident_new", "report_erase"):
            url = reverse(f"incidents:{page}", args=[report_id])
            assert client.get(url).status_code == 404, url


def test_a_receipt_cannot_be_used_to_file_further_reports():
    _, receipt = _file_anonymously()
    before = Report.objects.count()

    api = receipt_client(receipt).post(f"{API}/reports/", report_payload(), format="json")
    page = receipt_web_client(receipt).get(reverse("incidents:report_new"))

    assert api.status_code == 400
    assert page.status_code == 302
    assert Report.objects.count() == before


@pytest.mark.parametrize("position", [0, 4, 5, 17, 27], ids=lambda p: f"char-{p}")
def test_a_receipt_with_one_character_changed_is_refused(position):
    _, receipt = _file_anonymously()
    wrong = _changed(receipt, position)

    response = APIClient().post(f"{API}/anonymous/login/", {"receipt": wrong}, format="json")
    assert response.status_code in (401, 403)
    assert "token" not in response.json()

    web = Client()
    page = web.post(reverse("incidents:anonymous_open"), {"receipt": wrong})
    assert page.status_code == 200
    assert "_auth_user_id" not in web.session


def test_after_erasing_the_report_its_receipt_opens_nothing():
    report_id, receipt = _file_anonymously()
    client = receipt_client(receipt)
    account = Report.objects.get(public_id=report_id).reporter

    assert client.delete(f"{API}/reports/{report_id}/").status_code == 204

    assert not Report.objects.filter(public_id=report_id).exists()
    assert not Receipt.objects.filter(lookup=receipt[: receipts.LOOKUP_CHARS]).exists()
    assert not User.objects.filter(pk=account.pk).exists()
    assert client.get(f"{API}/reports/").status_code == 401  # the old token died with the account
    response = APIClient().post(f"{API}/anonymous/login/", {"receipt": receipt}, format="json")
    assert response.status_code in (401, 403)
    web = Client()
    assert web.post(reverse("incidents:anonymous_open"), {"receipt": receipt}).status_code == 200
    assert "_auth_user_id" not in web.session


def _draws(monkeypatch, texts: list[str]) -> None:
    """receipt_generate hands out these receipts in turn."""
    queue = [
        receipts.ReceiptParts(lookup=t[: receipts.LOOKUP_CHARS], secret=t[receipts.LOOKUP_CHARS :])
        for t in texts
    ]
    monkeypatch.setattr(receipts, "receipt_generate", lambda: queue.pop(0))


def test_a_receipt_whose_lookup_prefix_is_taken_is_drawn_again_and_opens_only_its_report(
    monkeypatch,
):
    first = make_anonymous_report()[1]
    fresh = receipts.receipt_generate().text
    taken = first[: receipts.LOOKUP_CHARS] + fresh[receipts.LOOKUP_CHARS :]
    _draws(monkeypatch, [taken, fresh])

    report, receipt = make_anonymous_report()

    assert receipt == fresh
    assert Receipt.objects.get(report=report).lookup == fresh[: receipts.LOOKUP_CHARS]
    assert Report.objects.count() == 2


def test_when_every_draw_is_taken_the_filing_fails_and_stores_nothing(monkeypatch):
    first = make_anonymous_report()[1]
    before = (Report.objects.count(), User.objects.count(), Receipt.objects.count())
    _draws(monkeypatch, [first[: receipts.LOOKUP_CHARS] + "x" * 30] * 6)

    with pytest.raises(RuntimeError, match="unused receipt prefix"):
        make_anonymous_report()

    assert (Report.objects.count(), User.objects.count(), Receipt.objects.count()) == before


def test_the_receipt_is_hashed_before_the_filings_transaction_opens(committed_db, monkeypatch):
    from django.db import connection

    from incidents import services

    hashed_inside = []
    real = services.make_password

    def watching(secret, *args, **kwargs):
        hashed_inside.append(connection.in_atomic_block)
        return real(secret, *args, **kwargs)

    monkeypatch.setattr(services, "make_password", watching)
    make_anonymous_report()
    assert hashed_inside == [False]
