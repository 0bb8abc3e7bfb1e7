"""The OpenAPI schema describes the whole API, and its documentation page keeps to the site's
Content-Security-Policy: scripts and styles from our own static files, nothing inline."""

import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from api import urls as api_urls

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1/"
DOCS = "/api/docs/"
METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def api_views() -> list[tuple[str, type]]:
    """Each API address in the OpenAPI form, with its view class."""
    found = []
    for pattern in api_urls.urlpatterns:
        view = getattr(pattern.callback, "cls", None)
        if isinstance(pattern, URLPattern) and view is not None:
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
            found.append((API_PREFIX + path, view))
    return found


def test_the_schema_validates_without_a_single_warning(tmp_path, capsys):
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.json"

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", target
    )

    errors = capsys.readouterr().err
    assert "Warning" not in errors
    assert "Error" not in errors
    assert json.loads(target.read_text())["paths"]


def test_every_method_of_every_api_view_is_in_the_schema(schema):
    views = api_views()
    assert len(views) > 20  # the whole API, not a part of it

    for path, view in views:
        methods = [m for m in METHODS if hasattr(view, m)]
        assert methods, path
        documented = schema["paths"].get(path, {})
        missing = [m.upper() for m in methods if m not in documented]
        assert not missing, f"{path}: {missing} undocumented"


def test_the_schema_holds_nothing_but_the_api(schema):
    assert all(path.startswith(API_PREFIX) for path in schema["paths"])


def test_every_operation_names_its_errors_and_how_to_sign_in(schema):
    for label, operation in operations(schema):
        statuses = {int(code) for code in operation["responses"]}
        assert any(400 <= code < 500 for code in statuses), label
        assert operation.get("security"), label
        assert operation.get("summary"), label


def test_every_operation_that_needs_a_caller_can_refuse_one_with_a_401(schema):
    for label, operation in operations(schema):
        if {} not in operation["security"]:
            assert "401" in operation["responses"], label


def test_every_throttled_operation_documents_the_429(schema):
    for path, view_class in api_views():
        for method in METHODS:
            if hasattr(view_class, method):
                view = view_class(request=SimpleNamespace(method=method.upper()), kwargs={})
                if view.get_throttles():
                    assert "429" in schema["paths"][path][method]["responses"], (path, method)


def test_the_two_ways_to_sign_in_are_a_knox_token_and_the_session_cookie(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["knoxApiToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert schemes["cookieAuth"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": settings.SESSION_COOKIE_NAME,
    }
    cases = schema["paths"][f"{API_PREFIX}cases/"]["get"]
    assert cases["security"] == [{"knoxApiToken": []}, {"cookieAuth": []}]


def untyped(node: dict, components: dict) -> bool:
    """A schema that says nothing of what the body holds."""
    if "$ref" in node:
        return untyped(components[node["$ref"].rsplit("/", 1)[1]], components)
    if "oneOf" in node:
        return any(untyped(option, components) for option in node["oneOf"])
    if node.get("type") == "array":
        return untyped(node.get("items", {}), components)
    if node.get("type") == "object" or not node.get("type"):
        return not (node.get("properties") or node.get("additionalProperties"))
    return False


def test_every_body_in_and_out_has_a_typed_schema(schema):
    components = schema["components"]["schemas"]
    for label, operation in operations(schema):
        bodies = [operation.get("requestBody", {})] + list(operation["responses"].values())
        for body in bodies:
            for media_type, content in body.get("content", {}).items():
                assert not untyped(content["schema"], components), (label, media_type)


def test_errors_are_described_with_drfs_bodies(schema):
    components = schema["components"]["schemas"]
    for label, operation in operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                body = response["content"]["application/json"]["schema"]["$ref"]
                expected = "BadRequest" if code == "400" else "Detail"
                assert body == f"#/components/schemas/{expected}", (label, code)
    assert components["Detail"]["required"] == ["detail"]
    field_messages = components["FieldErrors"]["additionalProperties"]["oneOf"][0]
    assert field_messages == {"type": "array", "items": {"type": "string"}}


def test_sign_in_documents_the_optional_authenticator_code(schema):
    login = schema["paths"][f"{API_PREFIX}auth/login/"]["post"]
    body = login["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/")[-1]
    fields = schema["components"]["schemas"][body]

    otp_token = fields["properties"]["otp_token"]
    assert (otp_token["type"], otp_token["maxLength"]) == ("string", 16)
    assert "staff" in otp_token["description"]
    assert "otp_token" not in fields["required"]
    assert {"400", "401", "429"} <= set(login["responses"])


def test_evidence_goes_up_as_multipart_and_comes_down_as_a_binary_file(schema):
    upload = schema["paths"][f"{API_PREFIX}reports/{{report_id}}/evidence/"]["post"]
    download = schema["paths"][f"{API_PREFIX}reports/{{report_id}}/evidence/{{evidence_id}}/"]
    components = schema["components"]["schemas"]

    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    assert components[form.rsplit("/")[-1]]["properties"]["file"]["format"] == "binary"
    assert {"413", "415"} <= set(upload["responses"])
    files = download["get"]["responses"]["200"]["content"]
    assert files["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}


def test_list_filters_are_documented_as_query_parameters(schema):
    def names(path: str) -> set[str]:
        operation = schema["paths"][API_PREFIX + path]["get"]
        return {p["name"] for p in operation["parameters"] if p["in"] == "query"}

    assert names("cases/") == {
        "status",
        "severity",
        "region",
        "assignee",
        "overdue",
        "page",
        "page_size",
    }
    assert names("resources/") == {"service", "region", "language", "role", "ground", "kind", "q"}
    assert names("insights/counts/") == {"dimensions", "from", "to", "region", "role"}


def test_the_schema_is_served_to_anyone(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Recourse API"


def test_any_other_address_under_the_api_is_a_json_404(client):
    for path in ["reports/not-a-uuid/", "no-such-thing/", "cases//notes/"]:
        response = client.post(API_PREFIX + path)

        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}


class Assets(HTMLParser):
    """The scripts, styles and other files an HTML page loads, and what it holds inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            if found.get("src"):
                self.urls.append(found["src"] or "")
            else:
                self.inline_scripts += 1
        elif tag == "style" or "style" in found:
            self.inline_styles += 1
        elif tag == "link" and found.get("href"):
            self.urls.append(found["href"] or "")


def docs_page(client) -> Assets:
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assets = Assets()
    assets.feed(response.content.decode())
    return assets


def test_the_api_docs_open_for_anyone(client):
    assets = docs_page(client)

    assert any("swagger-ui-bundle" in url for url in assets.urls)


def test_the_api_docs_hold_no_inline_script_or_style(client):
    assets = docs_page(client)

    assert assets.inline_scripts == 0
    assert assets.inline_styles == 0


def test_the_api_docs_load_every_file_from_our_own_origin(client):
    urls = docs_page(client).urls

    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme, url
        assert not parts.netloc, url
        assert parts.path.startswith((settings.STATIC_URL, DOCS)), url


def test_the_files_of_the_api_docs_exist(client):
    for url in docs_page(client).urls:
        path = urlsplit(url).path
        if path.startswith(settings.STATIC_URL):
            assert finders.find(path.removeprefix(settings.STATIC_URL)), url
        else:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Type"].startswith("application/javascript")
