"""SECURITY.md 21: bad input anywhere gets a clear 4xx or message, never a 500, and loses nothing
already stored. The API's side is fuzzed against its schema in tests/api/test_contract.py; here,
the parsers and normalizers under hypothesis, the sign-in and filing forms with arbitrary values,
and the management commands with bad arguments."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.crypto.blind_index import normalize_identifier
from core.models import AuditEvent, User
from incidents.models import Report
from incidents.receipts import receipt_parse
from support.models import Resource
from tests.factories import make_report

ANY_TEXT = st.text(max_size=300)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(ANY_TEXT)
def test_the_receipt_parser_answers_any_text_with_a_receipt_or_none(text):
    parts = receipt_parse(text)
    assert parts is None or len(parts.text) == 28


@FUZZ
@given(ANY_TEXT)
def test_the_identifier_normalizer_answers_any_text_without_raising(text):
    identifier = normalize_identifier(text)
    assert identifier is None or identifier.value


def _stored() -> tuple[int, int, int]:
    return User.objects.count(), Report.objects.count(), AuditEvent.objects.count()


FORMS = {
    "core:login": ["username", "password"],
    "core:signup": ["username", "password"],
    "incidents:anonymous_open": ["receipt"],
    "incidents:anonymous_new": ["step", "action", "narrative", "region", "role", "occurred_on"],
}
VALUES = st.one_of(
    st.text(max_size=200), st.sampled_from(["", "0", "-1", "99999999", "\x00", "next", "submit"])
)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_form_given_arbitrary_values_answers_without_a_server_error(name):
    url = reverse(name)
    fields = FORMS[name]
    client = Client(raise_request_exception=False)

    @FUZZ
    @given(st.fixed_dictionaries({field: VALUES for field in fields}))
    def post(values):
        response = client.post(url, values)
        assert response.status_code < 500, (url, values)

    post()


@pytest.mark.django_db
def test_a_filing_form_refusal_stores_nothing(client):
    before = _stored()
    response = client.post(
        reverse("incidents:anonymous_new"), {"action": "submit", "step": "99", "narrative": ""}
    )
    assert response.status_code == 200
    assert _stored() == before


@pytest.mark.django_db
def test_loading_resources_from_a_broken_file_is_a_clear_error_that_changes_nothing(tmp_path):
    call_command("load_resources")
    before = list(Resource.objects.values_list("slug", "name", "website").order_by("slug"))
    broken = tmp_path / "resources.json"
    for content in ["{not json", json.dumps([{"slug": "x"}]), json.dumps({"a": 1})]:
        broken.write_text(content)
        with pytest.raises(CommandError):
            call_command("load_resources", "--file", str(broken))
        assert list(Resource.objects.values_list("slug", "name", "website").order_by("slug")) == (
            before
        )
    with pytest.raises(CommandError):
        call_command("load_resources", "--file", str(tmp_path / "missing.json"))


@pytest.mark.django_db
def test_keyring_commands_refuse_bad_arguments_clearly():
    make_report()
    with pytest.raises(CommandError, match="batch-size"):
        call_command("keyring_rotate", "--batch-size", "0")
    with pytest.raises(CommandError):
        call_command("keyring_retire", "no-such-key")
    assert Report.objects.count() == 1
