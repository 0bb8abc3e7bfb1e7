"""SECURITY.md 23: every input whose cost grows with its size or number is bounded (JSON depth and
size, evidence per report and per account per day, uploads per client, statistics work per
request), and past the bound the answer is a clear 4xx with nothing stored."""

import importlib
import io
import itertools
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from api.parsers import MAX_DEPTH, BoundedJSONParser, nesting_depth
from core.errors import DomainError
from core.models import AuditEvent
from incidents import services
from incidents.models import Evidence, Report
from insights.dimensions import DIMENSIONS
from insights.engine import MAX_CELLS, Query, publish
from tests.background.factories import add_match
from tests.factories import UserFactory, make_anonymous_report, make_report
from tests.security.support import API, receipt_client, receipt_web_client, token_client
from tests.support.factories import analyst_user, make_cast

pytestmark = pytest.mark.django_db

DEPTH_MESSAGE = f"nested more than {MAX_DEPTH} levels deep"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
UNSAFE = ("post", "put", "patch", "delete")


# --- JSON: depth --------------------------------------------------------------------------------


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


# Strings full of the characters a scan could stumble on: brackets, quotes and backslashes.
tricky_text = st.text(alphabet=st.sampled_from(list('[]{}"\\,:ab é\n')), max_size=8)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), tricky_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(tricky_text, inner, max_size=3)
    ),
    max_leaves=40,
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(value=json_values, indent=st.sampled_from([None, 1]), ascii_only=st.booleans())
def test_the_depth_scan_agrees_with_the_depth_of_any_json_value(value, indent, ascii_only):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)

    assert nesting_depth(text) == _depth(value)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('"[[[["', 0),
        (r'["\"[[[["]', 1),
        (r'["\\", [[]]]', 3),
        (r'["\\\"[[", []]', 2),
        ('{"a": {"b": "}}}{{{"}}', 2),
        ("[" * 100_000, 100_000),
        ('{"a":' * 100_000, 100_000),
        ('["' + "[" * 1000, 1),  # an unterminated string: json stops there
    ],
)
def test_the_depth_scan_counts_only_brackets_outside_strings(text, depth):
    assert nesting_depth(text) == depth


def _parse(body: bytes, charset: str = "utf-8"):
    context = {"request": None, "encoding": charset}
    return BoundedJSONParser().parse(io.BytesIO(body), "application/json", context)


def test_the_parser_takes_a_body_nested_to_the_limit():
    body = "[" * MAX_DEPTH + "]" * MAX_DEPTH

    assert _depth(_parse(body.encode())) == MAX_DEPTH


@pytest.mark.parametrize(
    "body",
    [b"[NaN]", b"[Infinity]", b"[-Infinity]", b"[1e999]", b"[-1e999]", b"1" * 5000],
    ids=["nan", "infinity", "minus-infinity", "huge-float", "huge-negative-float", "5000-digits"],
)
def test_the_parser_refuses_numbers_json_has_no_value_for(body):
    with pytest.raises(ParseError):
        _parse(body)


def test_the_parser_scans_a_body_sent_in_another_charset_as_its_text():
    body = ("[" * 10_000 + "]" * 10_000).encode("utf-16-le")

    with pytest.raises(ParseError, match="nested more than"):
        _parse(body, "utf-16-le")


@pytest.mark.parametrize(
    ("body", "charset"), [(b'["\xff\xfe"]', "utf-8"), (b"[]", "base64"), (b"[]", "no-such-charset")]
)
def test_the_parser_refuses_a_body_that_is_not_text_in_its_charset(body, charset):
    with pytest.raises(ParseError, match=f"not valid {charset} text"):
        _parse(body, charset)


DEEP_BODIES = {
    "100,000 [": "[" * 100_000,
    '100,000 {"a":': '{"a":' * 100_000,
    "1,000 balanced": "[" * 1000 + "]" * 1000,
    "one past the limit": '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1),
}


def _unsafe_operations() -> list[tuple[str, str]]:
    """Every unsafe operation of the API, from its OpenAPI schema; a body is sent to each,
    documented or not, since a view may read one anyway."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = [
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in UNSAFE
    ]
    return sorted(found, key=lambda op: op[0] == "delete")  # erasing the report comes last


def _json_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }


class _AnyId(dict):
    """The ids of the fixture; for a path parameter it does not know, a random one (a 404 before
    the body is read is fine; a 500 is not)."""

    def __missing__(self, key: str) -> str:
        return str(uuid.uuid4())


def _known(path: str, ids: dict) -> bool:
    return all(name in ids for name in re.findall(r"{(\w+)}", path))


@pytest.fixture
def everyone():
    """A client for each kind of caller, and real ids for every path parameter, so that the
    body reaches the parser wherever some caller may send one."""
    cast = make_cast()
    ids = {
        "report_id": cast.report.public_id,
        "case_id": cast.case.public_id,
        "username": cast.worker.username,
        "match_id": add_match(cast.case),
        "action": "accept",
        "sign_in_id": uuid.uuid4(),
        "evidence_id": uuid.uuid4(),
    }
    # A new sign-in for each request: "sign out everywhere" is one of the operations.
    clients = {
        "anonymous visitor": APIClient,
        "receipt holder": lambda: receipt_client(cast.receipt),
        **{
            role: lambda role=role: token_client(getattr(cast, role))
            for role in ("reporter", "worker", "coordinator", "analyst", "administrator")
        },
    }
    return clients, ids


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_every_api_endpoint_answers_a_deeply_nested_body_with_a_clear_400_never_a_500(
    everyone, body
):
    clients, ids = everyone
    reached = set()

    for method, path in _unsafe_operations():
        url = path.format_map(_AnyId(ids))
        for role, client in clients.items():
            response = getattr(client(), method)(url, data=body, content_type="application/json")
            assert response.status_code < 500, (method, path, role, response.content)
            if response.status_code == 400:
                assert response["Content-Type"] == "application/json"
                if DEPTH_MESSAGE in response.json().get("detail", ""):
                    reached.add((method, path))

    # Every operation documented to take JSON, with ids we can make, was reached and refused.
    assert {op for op in _json_operations() if _known(op[1], ids)} - reached == set()


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_a_deeply_nested_report_is_refused_and_nothing_is_filed(reporter, body):
    response = token_client(reporter).post(
        f"{API}/reports/", data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"JSON parse error - the body is nested more than {MAX_DEPTH} levels deep."
    }
    assert not Report.objects.exists()
    assert not AuditEvent.objects.filter(action="report.submit").exists()


def test_a_body_nested_to_the_limit_is_parsed_and_judged_on_its_fields(reporter):
    body = '{"role": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"

    response = token_client(reporter).post(
        f"{API}/reports/", data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert "detail" not in response.json()
    assert "role" in response.json()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000])
def test_a_number_json_has_no_value_for_gets_a_400_and_files_nothing(reporter, number):
    body = '{"role": "candidate", "region": "eastern", "narrative": ' + number + "}"

    response = token_client(reporter).post(
        f"{API}/reports/", data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert not Report.objects.exists()


# --- JSON: size ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("/reports/", True), ("/anonymous/reports/", False), ("/auth/login/", False)],
)
def test_a_json_body_past_the_size_limit_gets_a_clear_413(reporter, path, signed_in):
    client = token_client(reporter) if signed_in else APIClient()
    padding = "a" * django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"role": "candidate", "narrative": padding})

    response = client.post(f"{API}{path}", data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large."}
    assert not Report.objects.exists()


# --- Evidence quotas ----------------------------------------------------------------------------


def _pdf(name: str = "letter.pdf", size: int = len(PDF)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + b"%" * (size - len(PDF)))


def _api_upload(client, report, upload=None):
    upload = upload or _pdf()
    return client.post(
        f"{API}/reports/{report.public_id}/evidence/", {"file": upload}, format="multipart"
    )


def _page_upload(client, report, upload=None):
    url = reverse("incidents:evidence_new", args=[report.public_id])
    return client.post(url, {"file": upload or _pdf(), "description": ""})


def _media_files() -> list[Path]:
    media = Path(django_settings.MEDIA_ROOT)
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def _stored() -> tuple[int, int, int]:
    """What an accepted upload adds: a row, a file in the media directory, an audit event."""
    added = AuditEvent.objects.filter(action="evidence.add").count()
    return Evidence.objects.count(), len(_media_files()), added


@pytest.fixture
def owner():
    return UserFactory(username="owen")


def test_each_stored_file_records_its_size_on_disk(owner):
    report = make_report(owner)

    _api_upload(token_client(owner), report, _pdf(size=200_000))

    [path] = _media_files()
    assert Evidence.objects.get().stored_bytes == path.stat().st_size > 200_000


def test_a_report_at_its_file_quota_refuses_one_more_through_the_api(settings, owner):
    settings.RECOURSE_EVIDENCE_PER_REPORT_FILES = 2
    report, client = make_report(owner), token_client(owner)
    for _ in range(2):
        assert _api_upload(client, report).status_code == 201
    before = _stored()

    response = _api_upload(client, report)

    assert response.status_code == 400
    assert response.json() == {
        "file": ["This report already has 2 files, the most one report can hold."]
    }
    assert _stored() == before


def test_a_report_at_its_file_quota_refuses_one_more_on_the_page(settings, client, owner):
    settings.RECOURSE_EVIDENCE_PER_REPORT_FILES = 1
    report = make_report(owner)
    client.force_login(owner)
    assert _page_upload(client, report).status_code == 302
    before = _stored()

    response = _page_upload(client, report)

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "This report already has 1 file, the most one report can hold."
    ]
    assert "the most one report can hold" in response.content.decode()
    assert _stored() == before


def test_the_file_quota_is_checked_before_the_upload_is_read(settings, owner):
    settings.RECOURSE_EVIDENCE_PER_REPORT_FILES = 1
    report = make_report(owner)
    services.evidence_add(actor=owner, report=report, upload=_pdf())

    class Unreadable(SimpleUploadedFile):
        def chunks(self, chunk_size=None):
            raise AssertionError("the upload was read")

    with pytest.raises(DomainError, match="the most one report can hold"):
        services.evidence_add(actor=owner, report=report, upload=Unreadable("x.pdf", PDF))


def test_a_file_that_would_take_the_report_past_its_byte_quota_is_refused(settings, owner):
    report, client = make_report(owner), token_client(owner)
    assert _api_upload(client, report, _pdf(size=10_000)).status_code == 201
    used = Evidence.objects.get().stored_bytes
    settings.RECOURSE_EVIDENCE_PER_REPORT_BYTES = used + 5_000
    before = _stored()

    response = _api_upload(client, report, _pdf(size=10_000))

    assert response.status_code == 400
    [message] = response.json()["file"]
    assert "the report would hold more than" in message
    assert _stored() == before


def test_the_byte_quota_is_checked_again_with_the_size_on_disk(settings, owner):
    """The upload announces its plaintext size, within the quota; its ciphertext is a little
    larger and past it: refused after writing, and the written file is gone."""
    settings.RECOURSE_EVIDENCE_PER_REPORT_BYTES = 10_000
    report = make_report(owner)

    response = _api_upload(token_client(owner), report, _pdf(size=10_000))

    assert response.status_code == 400
    assert "the report would hold more than" in response.json()["file"][0]
    assert _stored() == (0, 0, 0)


def test_the_account_quota_counts_files_added_to_all_its_reports_in_24_hours(settings, owner):
    settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES = 2
    first, second, client = make_report(owner), make_report(owner), token_client(owner)
    assert _api_upload(client, first).status_code == 201
    assert _api_upload(client, second).status_code == 201
    before = _stored()

    response = _api_upload(client, second)

    assert response.status_code == 400
    assert response.json()["file"] == [
        "You added 2 files in the last 24 hours, the most we take in a day. "
        "Please try again tomorrow."
    ]
    assert _stored() == before


def test_files_added_more_than_24_hours_ago_leave_the_account_quota(settings, owner):
    settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES = 1
    report, client = make_report(owner), token_client(owner)
    assert _api_upload(client, report).status_code == 201
    Evidence.objects.update(created_at=Evidence.objects.get().created_at - timedelta(hours=25))

    assert _api_upload(client, report).status_code == 201


def test_the_account_quota_counts_bytes_across_its_reports(settings, owner):
    first, second, client = make_report(owner), make_report(owner), token_client(owner)
    assert _api_upload(client, first, _pdf(size=10_000)).status_code == 201
    settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_BYTES = Evidence.objects.get().stored_bytes + 5_000
    before = _stored()

    response = _api_upload(client, second, _pdf(size=10_000))

    assert response.status_code == 400
    assert "more than" in response.json()["file"][0]
    assert "24 hours" in response.json()["file"][0]
    assert _stored() == before


def test_another_account_has_a_quota_of_its_own(settings, owner):
    settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES = 1
    assert _api_upload(token_client(owner), make_report(owner)).status_code == 201
    other = UserFactory(username="olga")

    assert _api_upload(token_client(other), make_report(other)).status_code == 201


def test_a_receipt_account_is_an_account_with_the_same_quota(settings):
    settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES = 1
    report, receipt = make_anonymous_report()
    client = receipt_client(receipt)
    assert _api_upload(client, report).status_code == 201
    before = _stored()

    response = _api_upload(client, report)

    assert response.status_code == 400
    assert "in the last 24 hours" in response.json()["file"][0]
    page = _page_upload(receipt_web_client(receipt), report)
    assert "in the last 24 hours" in " ".join(page.context["form"].errors["file"])
    assert _stored() == before


def test_an_upload_of_several_files_at_once_is_refused_before_they_are_read(client, owner):
    report = make_report(owner)
    files = [_pdf("one.pdf"), _pdf("two.pdf")]
    url = f"{API}/reports/{report.public_id}/evidence/"

    response = token_client(owner).post(url, {"file": files}, format="multipart")
    client.force_login(owner)
    page = client.post(reverse("incidents:evidence_new", args=[report.public_id]), {"file": files})

    assert response.status_code == 400
    assert response.json() == {"detail": "The request has too many fields or files."}
    assert page.status_code == 400
    assert _stored() == (0, 0, 0)


def test_the_quotas_default_to_sensible_bounds():
    assert django_settings.RECOURSE_EVIDENCE_PER_REPORT_FILES == 50
    assert django_settings.RECOURSE_EVIDENCE_PER_REPORT_BYTES == 500 * 1024**2
    assert django_settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_FILES == 100
    assert django_settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_BYTES == 1024**3
    # A report can take several files at the upload limit; a day, several such reports.
    per_file = django_settings.RECOURSE_MAX_UPLOAD_BYTES
    assert 10 * per_file <= django_settings.RECOURSE_EVIDENCE_PER_REPORT_BYTES
    assert (
        django_settings.RECOURSE_EVIDENCE_PER_ACCOUNT_DAY_BYTES
        > django_settings.RECOURSE_EVIDENCE_PER_REPORT_BYTES
    )


def test_the_api_documents_the_quota_refusal():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][f"{API}/reports/{{report_id}}/evidence/"]["post"]

    assert "quota" in operation["responses"]["400"]["description"]


_MIGRATION = importlib.import_module("incidents.migrations.0002_evidence_stored_bytes")


def test_the_migration_gives_existing_files_their_size_on_disk(owner):
    report = make_report(owner)
    kept = services.evidence_add(actor=owner, report=report, upload=_pdf(size=3000))
    lost = services.evidence_add(actor=owner, report=report, upload=_pdf(size=3000))
    size = kept.stored_bytes
    Evidence.objects.update(stored_bytes=0)  # as every row was before the column existed
    [path] = [p for p in _media_files() if p.stem == str(lost.public_id)]
    path.unlink()

    _MIGRATION._fill_stored_bytes(django_apps, None)

    assert Evidence.objects.get(pk=kept.pk).stored_bytes == size
    assert Evidence.objects.get(pk=lost.pk).stored_bytes == 0  # no file: nothing on disk to count


# --- Uploads per client -------------------------------------------------------------------------


@pytest.fixture
def evidence_rate(monkeypatch):
    """Two uploads an hour (DRF reads its rates when it is imported, so the throttle's class
    attribute is replaced, not only the setting)."""
    rates = {**django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "evidence": "2/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_the_upload_page_and_the_api_count_against_one_limit(evidence_rate, client, owner):
    report = make_report(owner)
    client.force_login(owner)
    assert _page_upload(client, report).status_code == 302
    assert _api_upload(token_client(owner), report).status_code == 201
    before = _stored()

    page = _page_upload(client, report)
    api = _api_upload(token_client(owner), report)

    assert page.status_code == 429
    assert "Please wait about" in page.content.decode()
    assert int(page["Retry-After"]) > 0
    assert api.status_code == 429
    assert _stored() == before


def test_the_api_uploads_use_up_the_page_limit_too(evidence_rate, client, owner):
    report = make_report(owner)
    for _ in range(2):
        assert _api_upload(token_client(owner), report).status_code == 201
    client.force_login(owner)

    assert _page_upload(client, report).status_code == 429
    assert client.get(reverse("incidents:evidence_new", args=[report.public_id])).status_code == 200


def test_one_persons_uploads_leave_anothers_limit_alone(evidence_rate, owner):
    report = make_report(owner)
    for _ in range(2):
        assert _api_upload(token_client(owner), report).status_code == 201
    other = UserFactory(username="olga")

    assert _api_upload(token_client(other), make_report(other)).status_code == 201


def test_the_upload_page_is_closed_to_outsiders(evidence_rate, client, owner):
    report = make_report(owner)
    url = reverse("incidents:evidence_new", args=[report.public_id])

    assert _page_upload(client, report).status_code == 302  # to the sign-in page
    assert _api_upload(APIClient(), report).status_code == 401
    client.force_login(UserFactory(username="olga"))
    assert client.post(url, {"file": _pdf()}).status_code == 404
    assert _api_upload(token_client(UserFactory(username="ida")), report).status_code == 404
    assert _stored() == (0, 0, 0)


# --- Statistics work per request ----------------------------------------------------------------
# The engine (insights.engine.Query.check) answers one or two dimensions from a fixed list, over
# at most MAX_MONTHS months, with two filters from fixed choices, and at most MAX_CELLS cells: the
# suppression audit's linear programmes grow much faster than the table.

COUNTS = f"{API}/insights/counts/"


@pytest.fixture
def analyst():
    return token_client(analyst_user(username="ana"))


def test_a_table_of_at_most_the_cell_bound_is_answered(analyst):
    # 14 months by the 17 grounds targeted: 238 cells.
    params = {"dimensions": "month,bias_ground", "from": "2025-01", "to": "2026-02"}

    response = analyst.get(COUNTS, params)

    assert response.status_code == 200
    assert len(response.json()["cells"]) == 14 * 17 <= MAX_CELLS


def test_a_table_past_the_cell_bound_gets_a_clear_400(analyst):
    params = {"dimensions": "month,bias_ground", "from": "2025-01", "to": "2026-03"}

    response = analyst.get(COUNTS, params)

    assert response.status_code == 400
    assert response.json() == {
        "dimensions": [
            f"This table would have 255 cells; the most is {MAX_CELLS}. Choose a shorter "
            "period or a dimension with fewer values."
        ]
    }


def test_the_explorer_and_its_csv_refuse_a_table_past_the_cell_bound(client):
    client.force_login(analyst_user(username="ana"))
    params = {"start": "2021-01", "end": "2025-12", "first": "month", "second": "channel"}

    page = client.get(reverse("insights:explorer"), params)
    csv = client.get(reverse("insights:export_csv"), params)

    assert page.status_code == 200
    assert "This table would have 900 cells" in page.content.decode()
    assert csv.status_code == 400
    assert "This table would have 900 cells" in csv.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"dimensions": "region,role,channel", "from": "2025-01", "to": "2025-02"}, "dimensions"),
        ({"dimensions": "region," * 20, "from": "2025-01", "to": "2025-02"}, "dimensions"),
        ({"dimensions": "region", "from": "0001-01", "to": "9999-12"}, "from"),
        ({"dimensions": "region", "from": "2020-01", "to": "2025-01"}, "from"),
    ],
    ids=["three dimensions", "a long list", "ten thousand years", "61 months"],
)
def test_a_statistics_question_past_its_other_bounds_gets_a_clear_400(analyst, params, field):
    response = analyst.get(COUNTS, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_every_table_the_engine_answers_is_within_the_cell_bound():
    """The largest question of each pair of dimensions over the longest period is refused or
    within the bound: no way around it through the one-dimension tables either."""
    for first, second in itertools.product(DIMENSIONS, [None, *DIMENSIONS]):
        dimensions = (first,) if second in (None, first) else (first, second)
        try:
            table = publish(Query(dimensions, "2021-01", "2025-12"))
        except DomainError:
            continue
        assert len(table.rows) * len(table.columns) <= MAX_CELLS


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_a_deeply_nested_list_in_the_resource_admin_is_an_error_on_its_field_not_a_500(depth):
    from support.models import Resource
    from tests.security.test_p08_administrator_powers import _resource_form
    from tests.support.factories import administrator_user, web_client

    admin = web_client(administrator_user())
    before = AuditEvent.objects.count()

    response = admin.post(
        "/admin/support/resource/add/", _resource_form(services="[" * depth + "]" * depth)
    )

    assert response.status_code == 200
    assert f"nested more than {MAX_DEPTH} levels deep" in response.content.decode()
    assert not Resource.objects.filter(slug="peer-circle").exists()
    assert AuditEvent.objects.count() == before


def test_the_api_parser_and_the_admin_fields_share_one_depth_bound():
    from core import json_limits

    assert nesting_depth is json_limits.nesting_depth
    assert MAX_DEPTH == json_limits.MAX_DEPTH
