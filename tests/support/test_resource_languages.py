"""The resource directory in English and French: every entry of the data file has its French
text; the page and the API show it to whoever asks for French (browser language or the
switcher's cookie), English to everyone else and wherever an entry has no French; French words
find entries; and the loader refuses French text that is not text, changing nothing."""

import json

import factory
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from support.models import Resource, ResourceKind
from support.resources import DATA_FILE, ResourceFilters, resource_search, resources_load

pytestmark = pytest.mark.django_db

ENTRIES = json.loads(DATA_FILE.read_text(encoding="utf-8"))
BY_SLUG = {entry["slug"]: entry for entry in ENTRIES}
TEXT_FIELDS = ("name", "description", "audience", "hours")
TRIBUNAL = BY_SLUG["human-rights-tribunal-of-ontario"]
HELPLINE = BY_SLUG["suicide-crisis-helpline-988"]
PAGE = "/find-support/"
API = "/api/v1/resources/"


class ResourceFactory(factory.django.DjangoModelFactory):
    """A resource with English text only."""

    class Meta:
        model = Resource

    slug = factory.Sequence(lambda n: f"english-only-{n}")
    name = factory.Sequence(lambda n: f"English Only Group {n}")
    kind = ResourceKind.ORGANIZATION
    description = "Helps people in municipal politics, in English."
    audience = "people in municipal politics"


@pytest.fixture
def directory(db):
    """The directory, loaded from support/data/resources.json as `manage.py load_resources` does."""
    resources_load()


def _page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _rows(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["slug"]: row for row in response.json()}


def _untranslated(entries: list[dict]) -> list[str]:
    """Each "slug: field" whose French is missing, not text, or filled where the English is
    empty (or the reverse)."""
    problems = []
    for entry in entries:
        for field in TEXT_FIELDS:
            french = entry.get(f"{field}_fr")
            if not isinstance(french, str):
                problems.append(f"{entry['slug']}: {field}_fr missing")
            elif bool(french.strip()) != bool(entry[field].strip()):
                problems.append(f"{entry['slug']}: {field}_fr filled unlike {field}")
    return problems


# The data file.


def test_every_entry_has_its_french_text_wherever_it_has_english_text():
    assert len(ENTRIES) == 36
    assert _untranslated(ENTRIES) == []


def test_the_completeness_check_notices_a_missing_or_empty_french_text():
    missing = {key: value for key, value in TRIBUNAL.items() if key != "audience_fr"}
    empty = {**HELPLINE, "hours_fr": " "}
    invented = {**TRIBUNAL, "hours_fr": "toujours"}

    assert _untranslated([missing, empty, invented]) == [
        "human-rights-tribunal-of-ontario: audience_fr missing",
        "suicide-crisis-helpline-988: hours_fr filled unlike hours",
        "human-rights-tribunal-of-ontario: hours_fr filled unlike hours",
    ]


def test_the_french_keeps_the_section_numbers_and_phone_numbers():
    for slug, section in {
        "criminal-code-criminal-harassment-s264": "art. 264)",
        "criminal-code-uttering-threats-s264-1": "art. 264.1)",
        "criminal-code-intimate-images-s162-1": "art. 162.1)",
        "criminal-code-harassing-communications-s372": "art. 372)",
        "criminal-code-identity-fraud-s403": "art. 403)",
    }.items():
        assert "Code criminel" in BY_SLUG[slug]["name_fr"]
        assert section in BY_SLUG[slug]["name_fr"]
    assert "911" in BY_SLUG["emergency-911"]["description_fr"]
    assert "9-8-8" in HELPLINE["description_fr"]


def test_loading_stores_the_french_text(directory):
    for entry in ENTRIES:
        resource = Resource.objects.get(slug=entry["slug"])
        for field in TEXT_FIELDS:
            assert getattr(resource, f"{field}_fr") == entry[f"{field}_fr"], entry["slug"]


# Choosing the text.


def test_the_shown_text_is_french_under_any_french_language_and_english_otherwise():
    resource = Resource(
        name="Name", name_fr="Nom", description="Text", description_fr="Texte", hours="24/7"
    )

    for language in ("fr", "fr-ca"):
        with translation.override(language):
            assert (resource.shown_name, resource.shown_description) == ("Nom", "Texte")
            assert resource.shown_hours == "24/7"  # no French: the English
    with translation.override("en"):
        assert (resource.shown_name, resource.shown_description) == ("Name", "Text")


def test_a_blank_french_text_falls_back_to_the_english():
    resource = Resource(name="Name", name_fr="  ", audience="everyone", audience_fr="")

    with translation.override("fr"):
        assert (resource.shown_name, resource.shown_audience) == ("Name", "everyone")


# The page: public, so an anonymous visitor is the outsider.


def test_an_anonymous_visitor_whose_browser_asks_for_french_gets_the_french_directory(
    directory, client
):
    body = _page(client.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5"))

    assert escape(TRIBUNAL["name_fr"]) in body
    assert escape(TRIBUNAL["description_fr"]) in body
    assert escape(TRIBUNAL["audience_fr"]) in body
    assert escape(HELPLINE["hours_fr"]) in body
    assert escape(TRIBUNAL["name"]) not in body
    assert escape(TRIBUNAL["description"]) not in body


def test_the_language_cookie_of_the_switcher_shows_french_to_an_english_browser(directory, client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    body = _page(client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en"))

    assert escape(TRIBUNAL["name_fr"]) in body
    assert escape(TRIBUNAL["name"]) not in body


def test_an_anonymous_visitor_whose_browser_asks_for_english_gets_the_english_directory(
    directory, client
):
    body = _page(client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en-CA,en;q=0.9"))

    assert escape(TRIBUNAL["name"]) in body
    assert escape(TRIBUNAL["description"]) in body
    assert escape(TRIBUNAL["name_fr"]) not in body
    assert escape(TRIBUNAL["description_fr"]) not in body


def test_an_entry_without_french_is_shown_in_english_on_the_french_page(directory, client):
    alone = ResourceFactory()

    body = _page(client.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr"))

    assert escape(alone.name) in body
    assert escape(alone.description) in body
    assert escape(TRIBUNAL["name_fr"]) in body  # the others still in French


def test_french_lists_the_entries_in_the_order_of_their_french_names(directory):
    filters = ResourceFilters(kind=ResourceKind.ORGANIZATION)

    with translation.override("fr"):
        french = [resource.slug for resource in resource_search(filters=filters)]
    with translation.override("en"):
        english = [resource.slug for resource in resource_search(filters=filters)]

    assert french[0] == "equal-voice"  # « À voix égales »
    assert english[0] == "city-for-all-women-initiative"
    assert sorted(french) == sorted(english)


# The API: public too.


def test_the_api_answers_an_anonymous_caller_in_french_for_a_french_accept_language(directory):
    response = APIClient().get(API, HTTP_ACCEPT_LANGUAGE="fr")

    rows = _rows(response)
    assert response["Content-Language"] == "fr"
    assert len(rows) == len(ENTRIES)
    tribunal = rows[TRIBUNAL["slug"]]
    assert tribunal["name"] == TRIBUNAL["name_fr"]
    assert tribunal["description"] == TRIBUNAL["description_fr"]
    assert tribunal["audience"] == TRIBUNAL["audience_fr"]
    assert rows[HELPLINE["slug"]]["hours"] == HELPLINE["hours_fr"]
    assert rows[HELPLINE["slug"]]["phone"] == "988"


def test_the_api_answers_in_english_for_an_english_accept_language(directory):
    rows = _rows(APIClient().get(API, HTTP_ACCEPT_LANGUAGE="en"))

    tribunal = rows[TRIBUNAL["slug"]]
    assert (tribunal["name"], tribunal["description"]) == (
        TRIBUNAL["name"],
        TRIBUNAL["description"],
    )
    assert rows[HELPLINE["slug"]]["hours"] == "24/7"


def test_the_api_gives_the_english_of_an_entry_without_french_to_a_french_caller(directory):
    alone = ResourceFactory()

    row = _rows(APIClient().get(API, HTTP_ACCEPT_LANGUAGE="fr"))[alone.slug]

    assert (row["name"], row["description"], row["audience"]) == (
        alone.name,
        alone.description,
        alone.audience,
    )


# Searching.


@pytest.mark.parametrize(
    ("words", "slug"),
    [
        ("Proférer des menaces", "criminal-code-uttering-threats-s264-1"),
        ("proferer des MENACES", "criminal-code-uttering-threats-s264-1"),
        ("à voix égales", "equal-voice"),
        ("commissaire à l’intégrité", "municipal-code-of-conduct-integrity-commissioner"),
    ],
)
def test_french_words_find_the_entry_in_either_language(directory, words, slug):
    for language in ("fr", "en"):
        found = _rows(APIClient().get(API, {"q": words}, HTTP_ACCEPT_LANGUAGE=language))
        assert set(found) == {slug}, language


def test_a_french_word_finds_the_entry_on_the_french_page(directory, client):
    body = _page(client.get(PAGE, {"q": "harcèlement criminel"}, HTTP_ACCEPT_LANGUAGE="fr"))

    assert escape(BY_SLUG["criminal-code-criminal-harassment-s264"]["name_fr"]) in body
    assert escape(TRIBUNAL["name_fr"]) not in body


def test_english_words_still_find_the_entry_on_the_french_page(directory, client):
    body = _page(client.get(PAGE, {"q": "thunder bay"}, HTTP_ACCEPT_LANGUAGE="fr"))

    assert "Women in Politics Thunder Bay" in body


# Loading French text that is not text.


def _snapshot() -> list[tuple]:
    return sorted(
        Resource.objects.values_list(
            "pk", "slug", "name", "name_fr", "description_fr", "audience_fr", "hours_fr"
        )
    )


def _load(tmp_path, entries: list[dict]) -> None:
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    call_command("load_resources", file=str(path))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name_fr", ["Tribunal"]),
        ("description_fr", {"texte": "Texte"}),
        ("audience_fr", None),
        ("hours_fr", 24),
    ],
)
def test_the_loader_refuses_french_text_that_is_not_text_and_changes_nothing(
    directory, tmp_path, field, value
):
    before = _snapshot()
    good = {**ENTRIES[0], "name_fr": "Changé avant l'erreur"}
    new = {**ENTRIES[2], "slug": "a-new-entry"}
    bad = {**TRIBUNAL, field: value}

    with pytest.raises(CommandError, match=f"'{TRIBUNAL['slug']}': {field} must be text"):
        _load(tmp_path, [good, new, bad])

    assert _snapshot() == before
    assert not Resource.objects.filter(slug="a-new-entry").exists()


def test_the_loader_refuses_french_text_longer_than_its_field(directory, tmp_path):
    before = _snapshot()

    with pytest.raises(CommandError, match="human-rights-tribunal-of-ontario"):
        _load(tmp_path, [{**TRIBUNAL, "hours_fr": "x" * 65}])

    assert _snapshot() == before
