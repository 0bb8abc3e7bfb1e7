"""English and French: the catalogue is complete and current, the compiled file matches it, the
browser's language is respected, and the switcher's choice is remembered for the visit."""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from tests.factories import UserFactory

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "fr" / "LC_MESSAGES"
PO, MO = CATALOGUE / "django.po", CATALOGUE / "django.mo"
ROOT = Path(settings.BASE_DIR)
# Where the site's messages are: what `make messages` reads (it leaves out tests, bench, docs...).
APPS = ["core", "incidents", "support", "insights", "api"]


def _messages(catalogue) -> dict[tuple[str | None, str], object]:
    return {
        (entry.msgctxt, entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in catalogue
        if not entry.obsolete
    }


def test_every_french_message_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(PO))
    assert len(catalogue) > 500
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.obsolete_entries()] == []
    assert not catalogue.metadata_is_fuzzy  # a fuzzy header would drop the plural rule
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=2; plural=(n > 1)")


def test_each_translation_keeps_the_placeholders_of_its_message():
    catalogue = polib.pofile(str(PO))
    wrong = []
    for entry in catalogue:
        translations = list(entry.msgstr_plural.values()) or [entry.msgstr]
        for translation in translations:
            if sorted(_placeholders(translation)) != sorted(_placeholders(entry.msgid)):
                wrong.append(entry.msgid)
    assert wrong == []


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}", text)


def test_the_compiled_catalogue_holds_exactly_what_the_french_file_says():
    assert _messages(polib.mofile(str(MO))) == {
        key: value for key, value in _messages(polib.pofile(str(PO))).items() if key[1]
    }


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"),
    reason="GNU gettext is not installed (Debian: gettext); CI installs it",
)
def test_the_french_file_has_every_message_of_the_code_and_no_other(tmp_path, settings):
    """Fails when a string is marked in the code but missing from core/locale (run
    `make messages`), and when the file still holds a message the code no longer has. The code
    is read from a copy without its locale folder, since makemessages writes the messages of
    each file into the locale folder nearest to it."""
    code = tmp_path / "code"
    for app in APPS:
        shutil.copytree(
            ROOT / app, code / app, ignore=shutil.ignore_patterns("locale", "__pycache__")
        )
    settings.LOCALE_PATHS = [str(tmp_path / "locale")]
    cwd = os.getcwd()
    os.chdir(code)
    try:
        call_command("makemessages", locale=["fr"], verbosity=0)
    finally:
        os.chdir(cwd)
    fresh = polib.pofile(str(tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(PO))
    assert {(e.msgctxt, e.msgid) for e in fresh} == {(e.msgctxt, e.msgid) for e in committed}


@pytest.mark.django_db
def test_the_browsers_language_decides_when_no_choice_was_made(client):
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-CA,en;q=0.9")
    assert '<html lang="fr">' in french.text
    assert "Sortie rapide" in french.text
    assert '<html lang="en">' in english.text
    assert "Quick exit" in english.text


@pytest.mark.django_db
def test_the_switcher_remembers_the_choice_until_the_browser_closes(client):
    answer = client.post("/language/", {"language": "fr", "next": "/find-support/"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/find-support/"
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr"
    assert cookie["max-age"] == ""  # a cookie of the visit, never written to last
    assert cookie["expires"] == ""
    assert cookie["httponly"]
    page = client.get("/find-support/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr">' in page.text
    assert 'lang="en">English</button>' in page.text  # the way back, in its own language


@pytest.mark.django_db
def test_the_switcher_goes_back_to_the_same_page_only_on_this_site(client):
    answer = client.post("/language/", {"language": "fr", "next": "https://elsewhere.example/"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing(client):
    answer = client.post("/language/", {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").text


@pytest.mark.django_db
def test_a_get_of_the_switcher_changes_nothing(client):
    answer = client.get("/language/?language=fr&next=/")
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies


@pytest.mark.django_db
def test_an_api_error_of_our_own_comes_in_the_language_asked_for(api_client):
    from tests.conftest import api_login
    from tests.support.factories import coordinator_user

    api_login(api_client, coordinator_user())
    body = {"role": "candidate", "region": "eastern", "municipality": "X", "incident": {}}
    english = api_client.post("/api/v1/reports/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    french = api_client.post("/api/v1/reports/", body, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert english.status_code == french.status_code == 403
    assert english.json() != french.json()


@pytest.mark.django_db
def test_a_reporter_page_is_french_for_a_french_browser(client):
    client.force_login(UserFactory())
    page = client.get("/reports/new/", HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr">' in page.text
    assert "Sortie rapide" in page.text


@pytest.mark.parametrize(
    ("size", "english", "french"),
    [
        (1, "1 byte", "1\u00a0octet"),
        (512, "512 bytes", "512\u00a0octets"),
        (64 * 1024, "64 KiB", "64\u00a0Kio"),
        (3 * 1024**2 // 2, "1.5 MiB", "1,5\u00a0Mio"),
        (50 * 1024**2, "50 MiB", "50\u00a0Mio"),
    ],
)
def test_a_file_size_reads_as_each_language_writes_it(size, english, french):
    from django.utils import translation

    from core.filetypes import human_size

    with translation.override("en"):
        assert human_size(size) == english
    with translation.override("fr"):
        assert human_size(size) == french
