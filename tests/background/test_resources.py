"""Issue 4, the resource directory: loaded idempotently and all-or-nothing from its data file, with
real organizations and pathways and no invented contact details; searchable by anyone on the
page and in the API."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from support.models import Resource, ResourceKind
from support.resources import DATA_FILE

pytestmark = pytest.mark.django_db

ENTRIES = json.loads(DATA_FILE.read_text(encoding="utf-8"))
ORGANIZATIONS = [
    "operation-black-vote-canada",
    "proudpolitics",
    "canadian-muslim-vote",
    "run-for-it",
    "institute-for-change-leaders",
    "equal-voice",
]
PATHWAYS = [
    "emergency-911",
    "suicide-crisis-helpline-988",
    "criminal-code-criminal-harassment-s264",
    "criminal-code-uttering-threats-s264-1",
    "criminal-code-intimate-images-s162-1",
    "criminal-code-harassing-communications-s372",
    "criminal-code-identity-fraud-s403",
    "municipal-code-of-conduct-integrity-commissioner",
    "human-rights-tribunal-of-ontario",
    "human-rights-legal-support-centre",
    "civil-lawsuit-defamation-harassment",
    "platform-reporting",
    "digital-security-help",
]
BAD_FILES = {
    "not json": "[{",
    "not a list": '{"slug": "x"}',
    "missing slug": [{"name": "Nameless", "kind": "organization", "description": "d"}],
    "entry not an object": ["emergency-911"],
    "unknown region": [{**ENTRIES[1], "regions": ["atlantis"]}],
    "unknown service": [{**ENTRIES[1], "services": ["magic"]}],
    "unknown ground": [{**ENTRIES[1], "grounds_served": ["astrology"]}],
    "unknown kind": [{**ENTRIES[1], "kind": "rumour"}],
    "undisclosed is no region": [{**ENTRIES[1], "regions": ["undisclosed"]}],
    "codes not a list": [{**ENTRIES[1], "languages": "en"}],
    "bad website": [{**ENTRIES[1], "website": "not a url"}],
}


def _load(path=None) -> str:
    out = StringIO()
    if path is None:
        call_command("load_resources", stdout=out)
    else:
        call_command("load_resources", file=str(path), stdout=out)
    return out.getvalue()


def _rows() -> list[tuple]:
    return sorted(Resource.objects.values_list("pk", "slug", "name", "regions", "services"))


def _write(tmp_path, content) -> str:
    path = tmp_path / "resources.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


# Loading.


def test_loading_creates_every_entry_of_the_data_file(db):
    output = _load()

    assert Resource.objects.count() == len(ENTRIES) > 30
    assert set(Resource.objects.values_list("slug", flat=True)) == {e["slug"] for e in ENTRIES}
    assert f"{len(ENTRIES)} created, 0 updated" in output
    for entry in ENTRIES:
        resource = Resource.objects.get(slug=entry["slug"])
        assert resource.name == entry["name"]
        assert resource.kind == entry["kind"]
        assert resource.services == entry.get("services", [])


def test_loading_twice_adds_nothing(db):
    _load()
    before = _rows()

    output = _load()

    assert _rows() == before
    assert f"0 created, {len(ENTRIES)} updated" in output


def test_loading_again_applies_changes_to_existing_entries(db, tmp_path):
    _load()
    pk = Resource.objects.get(slug="equal-voice").pk
    changed = [dict(e) for e in ENTRIES]
    changed[[e["slug"] for e in changed].index("equal-voice")].update(
        name="Equal Voice (renamed)", regions=["eastern"]
    )

    _load(_write(tmp_path, changed))

    resource = Resource.objects.get(slug="equal-voice")
    assert (resource.pk, resource.name, resource.regions) == (
        pk,
        "Equal Voice (renamed)",
        ["eastern"],
    )
    assert Resource.objects.count() == len(ENTRIES)


@pytest.mark.parametrize("problem", list(BAD_FILES))
def test_a_bad_file_is_refused_and_changes_nothing(db, tmp_path, problem):
    _load()
    before = _rows()

    with pytest.raises(CommandError):
        _load(_write(tmp_path, BAD_FILES[problem]))

    assert _rows() == before


def test_a_bad_entry_late_in_the_file_undoes_the_good_ones_before_it(db, tmp_path):
    _load()
    before = _rows()
    good = {**ENTRIES[0], "name": "Changed first"}
    new = {**ENTRIES[2], "slug": "a-new-entry"}
    bad = {**ENTRIES[3], "regions": ["atlantis"]}

    with pytest.raises(CommandError, match="regions"):
        _load(_write(tmp_path, [good, new, bad]))

    assert _rows() == before
    assert not Resource.objects.filter(slug="a-new-entry").exists()


def test_a_missing_file_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _load(tmp_path / "nowhere.json")
    assert Resource.objects.count() == 0


# What the directory holds.


def test_the_directory_holds_the_organizations_and_pathways(resources):
    slugs = set(Resource.objects.values_list("slug", flat=True))

    assert set(ORGANIZATIONS) <= slugs
    assert set(PATHWAYS) <= slugs
    assert Resource.objects.get(slug="emergency-911").phone == "911"
    assert Resource.objects.get(slug="suicide-crisis-helpline-988").phone == "988"
    assert Resource.objects.get(slug="suicide-crisis-helpline-988").kind == ResourceKind.CRISIS_LINE
    sections = {
        "criminal-code-criminal-harassment-s264": "s. 264)",
        "criminal-code-uttering-threats-s264-1": "s. 264.1",
        "criminal-code-intimate-images-s162-1": "s. 162.1",
        "criminal-code-harassing-communications-s372": "s. 372",
        "criminal-code-identity-fraud-s403": "s. 403",
    }
    for slug, section in sections.items():
        assert section in Resource.objects.get(slug=slug).name


def test_no_entry_has_an_invented_website_or_email(resources):
    assert all(not entry.get("website") and not entry.get("email") for entry in ENTRIES)
    assert not Resource.objects.exclude(website="").exists()
    assert not Resource.objects.exclude(email="").exists()


def test_every_entry_describes_itself(resources):
    for resource in Resource.objects.all():
        assert resource.name.strip(), resource.slug
        assert resource.description.strip(), resource.slug
        assert resource.kind in ResourceKind.values


# The public page.


def _names(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_anyone_can_read_the_directory_page(resources, client):
    body = _names(client.get("/find-support/"))

    assert f"{len(ENTRIES)} results" in body
    assert "Emergency: call 911" in body
    assert 'href="tel:911"' in body


def test_the_page_filters_by_region(resources, client):
    body = _names(client.get("/find-support/", {"region": "northwestern"}))

    assert "Women in Politics Thunder Bay" in body
    assert "The Jean Collective" not in body  # southwestern only
    assert "Equal Voice" in body  # all of Ontario


def test_the_page_filters_by_ground(resources, client):
    body = _names(client.get("/find-support/", {"ground": "sexual_orientation"}))

    assert "ProudPolitics" in body
    assert "The Canadian Muslim Vote" not in body


def test_the_page_filters_by_language_role_service_kind_and_words(resources, client):
    french = _names(client.get("/find-support/", {"language": "fr"}))
    assert "Equal Voice" in french
    assert "ProudPolitics" not in french

    councillor = _names(
        client.get("/find-support/", {"role": "councillor", "service": "peer_support"})
    )
    assert "Run for It!" not in councillor  # serves candidates and staff
    assert "Politics Now" in councillor  # open to everyone

    crisis = _names(client.get("/find-support/", {"kind": "crisis_line"}))
    assert "9-8-8 Suicide Crisis Helpline" in crisis
    assert "1 result" in crisis

    words = _names(client.get("/find-support/", {"q": "thunder bay"}))
    assert "Women in Politics Thunder Bay" in words
    assert "1 result" in words


def test_the_page_shows_no_inactive_resource(resources, client):
    Resource.objects.filter(slug="proudpolitics").update(active=False)

    assert "ProudPolitics" not in _names(client.get("/find-support/"))


# The API.


def _slugs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()}


def test_anyone_can_read_the_directory_through_the_api(resources):
    response = APIClient().get("/api/v1/resources/")

    assert _slugs(response) == {e["slug"] for e in ENTRIES}
    row = next(r for r in response.json() if r["slug"] == "emergency-911")
    assert row["phone"] == "911"
    assert row["website"] == ""
    assert row["email"] == ""


def test_the_api_filters(resources):
    api = APIClient()

    north = _slugs(api.get("/api/v1/resources/", {"region": "northwestern"}))
    assert "women-in-politics-thunder-bay" in north
    assert "the-jean-collective" not in north
    assert "proudpolitics" in _slugs(
        api.get("/api/v1/resources/", {"ground": "sexual_orientation"})
    )
    assert "canadian-muslim-vote" not in _slugs(
        api.get("/api/v1/resources/", {"ground": "sexual_orientation"})
    )
    assert _slugs(api.get("/api/v1/resources/", {"kind": "crisis_line"})) == {
        "suicide-crisis-helpline-988"
    }
    assert "emergency-911" in _slugs(api.get("/api/v1/resources/", {"service": "emergency"}))


@pytest.mark.parametrize(
    "query",
    [
        {"region": "atlantis"},
        {"ground": "astrology"},
        {"service": "magic"},
        {"language": "de"},
        {"role": "king"},
        {"kind": "rumour"},
        {"q": "x" * 101},
    ],
    ids=lambda q: next(iter(q)),
)
def test_the_api_refuses_a_bad_filter(resources, query):
    response = APIClient().get("/api/v1/resources/", query)

    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_the_directory_is_linked_from_the_page_url_name(db):
    assert reverse("find_support") == "/find-support/"
