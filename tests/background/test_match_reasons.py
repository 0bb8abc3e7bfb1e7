"""A suggestion keeps its reasons as data in no language, and the case page and the API show them
in the reader's language, through one function (matching.reason_text). The migration that turned
the old English sentences into that data, and back."""

import importlib
import uuid

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from incidents.taxonomy import BiasGround
from support import matching
from support.matching import GROUND_CAUSE, RULES, reason_text
from support.models import Case, Match, Resource
from tests.security.support import token_client
from tests.support.factories import make_case, web_client

pytestmark = pytest.mark.django_db

migration = importlib.import_module("support.migrations.0005_match_reasons_as_data")

# French of our own for every cause, standing in for core/locale until it has theirs: each text
# shares no words with its English.
FRENCH = {rule.cause: f"motif n° {index} de la règle" for index, rule in enumerate(RULES)}
FRENCH[GROUND_CAUSE] = "attaque identitaire, motif : %(ground)s"


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """A request in French leaves French active in the thread; tests after this one expect the
    default."""
    yield
    translation.deactivate()


@pytest.fixture
def french_causes(monkeypatch):
    """reason_text's catalogue answers FRENCH while French is the active language."""

    def translated(message: str) -> str:
        if translation.get_language() == "fr" and message in FRENCH:
            return FRENCH[message]
        return gettext(message)

    monkeypatch.setattr(matching, "gettext", translated)


@pytest.fixture
def case(resources, coordinator, worker) -> Case:
    """A case assigned to the worker, suggested resources for several causes and a ground."""
    case = make_case(
        coordinator=coordinator,
        workers=(worker,),
        region="toronto",
        abuse_types=["identity_hate", "threat_of_violence"],
        bias_grounds=["sexual_orientation"],
        channels=["x_twitter"],
    )
    matching.case_match(case=case)
    return case


def _reasons(case: Case) -> list[dict[str, str]]:
    rows = Match.objects.filter(case=case).values_list("reasons", flat=True)
    reasons = [reason for reasons in rows for reason in reasons]
    assert len(reasons) >= 3
    assert {"cause": GROUND_CAUSE, "ground": "sexual_orientation"} in reasons
    return reasons


def _in(language: str, reason: dict[str, str]) -> str:
    with translation.override(language):
        return reason_text(reason)


# Showing a reason.


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.cause)
def test_a_rules_reason_is_what_the_catalogue_says_for_its_cause(rule):
    assert _in("en", {"cause": rule.cause}) == rule.cause
    with translation.override("fr"):
        assert reason_text({"cause": rule.cause}) == gettext(rule.cause)


def test_the_ground_reason_names_its_ground_in_the_readers_language():
    reason = {"cause": GROUND_CAUSE, "ground": "sexual_orientation"}

    assert _in("en", reason) == "identity-based attack on the ground of sexual orientation"
    with translation.override("fr"):
        label = str(BiasGround.SEXUAL_ORIENTATION.label).lower()
        assert _in("fr", reason) == gettext(GROUND_CAUSE) % {"ground": label}
    assert label == "orientation sexuelle"


def test_a_reason_written_as_text_or_naming_a_retired_ground_is_shown_as_stored():
    assert reason_text("a test rule → A test pathway") == "a test rule → A test pathway"
    assert _in("en", {"cause": GROUND_CAUSE, "ground": "astrology"}) == (
        "identity-based attack on the ground of astrology"
    )


# The case page and the API.


def test_the_case_page_in_french_shows_no_english_cause_once_it_is_translated(
    case, worker, french_causes
):
    reasons = _reasons(case)
    page = web_client(worker)

    french = page.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").text
    english = page.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").text

    with translation.override("fr"):
        because = gettext("Suggested because")
    for reason in reasons:
        assert f"{because} {escape(_in('fr', reason))}</li>" in french
        assert escape(_in("en", reason)) not in french
        assert f"Suggested because {escape(_in('en', reason))}</li>" in english
    assert "attaque identitaire, motif : orientation sexuelle" in french
    assert "motif n°" not in english
    assert "attaque identitaire" not in english


def test_the_case_page_in_french_shows_each_reason_as_the_catalogue_has_it(case, worker):
    reasons = _reasons(case)

    french = web_client(worker).get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").text

    for reason in reasons:
        assert f"{escape(_in('fr', reason))}</li>" in french
    assert "orientation sexuelle</li>" in french  # the ground's label is in French already
    assert "sexual orientation" not in french


def test_the_api_answers_reasons_in_the_requests_language(case, worker, french_causes):
    api = token_client(worker)
    url = f"/api/v1/cases/{case.public_id}/matches/"

    for language in ("fr", "en"):
        rows = api.get(url, HTTP_ACCEPT_LANGUAGE=language).json()

        assert rows
        for row in rows:
            stored = Match.objects.get(public_id=row["id"]).reasons
            assert row["reasons"] == [_in(language, reason) for reason in stored]
    french = api.get(url, HTTP_ACCEPT_LANGUAGE="fr").json()
    shown = {text for row in french for text in row["reasons"]}
    assert "attaque identitaire, motif : orientation sexuelle" in shown
    assert not shown & {_in("en", reason) for reason in _reasons(case)}


def test_an_unassigned_worker_still_gets_the_404_of_a_case_that_does_not_exist(case, other_worker):
    page, api = web_client(other_worker), token_client(other_worker)
    missing = uuid.uuid4()

    for language in ("en", "fr"):
        hidden = page.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
        absent = page.get(f"/staff/cases/{missing}/", HTTP_ACCEPT_LANGUAGE=language)
        assert (hidden.status_code, hidden.content) == (404, absent.content)
        hidden = api.get(f"/api/v1/cases/{case.public_id}/matches/", HTTP_ACCEPT_LANGUAGE=language)
        absent = api.get(f"/api/v1/cases/{missing}/matches/", HTTP_ACCEPT_LANGUAGE=language)
        assert (hidden.status_code, hidden.content) == (404, absent.content)


# The migration.


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("threat of violence → Local police non-emergency line", {"cause": "threat of violence"}),
        (
            "identity-based attack on the ground of sexual orientation → ProudPolitics",
            {"cause": GROUND_CAUSE, "ground": "sexual_orientation"},
        ),
        (
            "identity-based attack on the ground of sex, including pregnancy → Equal Voice",
            {"cause": GROUND_CAUSE, "ground": "sex"},
        ),
        (  # matching run inline in a French request
            "identity-based attack on the ground of orientation sexuelle → ProudPolitics",
            {"cause": GROUND_CAUSE, "ground": "sexual_orientation"},
        ),
        (
            "identity-based attack on the ground of astrology → ProudPolitics",
            {"cause": "identity-based attack on the ground of astrology"},
        ),
        ("a reason without its resource", {"cause": "a reason without its resource"}),
        ({"cause": "threat of violence"}, {"cause": "threat of violence"}),
    ],
)
def test_the_migration_reads_an_old_reason_as_data_keeping_what_it_cannot_read(old, new):
    assert migration.reason_from_text(old) == new


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("ground", BiasGround.values)
def test_the_migration_reads_every_ground_the_old_matching_wrote(language, ground):
    with translation.override(language):
        label = str(BiasGround(ground).label).lower()
    old = f"identity-based attack on the ground of {label} → ProudPolitics"  # as it was written

    assert migration.reason_from_text(old) == {"cause": GROUND_CAUSE, "ground": ground}
    if language == "en":
        assert migration.text_from_reason(migration.reason_from_text(old), "ProudPolitics") == old


def test_the_migration_converts_an_old_row_and_back(resources):
    resource = Resource.objects.get(slug="proudpolitics")
    old = [
        f"identity-based attack on the ground of sexual orientation → {resource.name}",
        f"you asked to talk with others who went through this → {resource.name}",
    ]
    match = Match.objects.create(case=make_case(), resource=resource, score=45, reasons=old)

    migration.forward(apps, None)

    match.refresh_from_db()
    assert match.reasons == [
        {"cause": GROUND_CAUSE, "ground": "sexual_orientation"},
        {"cause": "you asked to talk with others who went through this"},
    ]
    assert [_in("en", reason) for reason in match.reasons] == [
        "identity-based attack on the ground of sexual orientation",
        "you asked to talk with others who went through this",
    ]

    migration.backward(apps, None)

    match.refresh_from_db()
    assert match.reasons == old


def test_matching_after_the_migration_finds_nothing_to_change(case):
    computed = sorted(Match.objects.values_list("pk", "score", "reasons"))
    migration.backward(apps, None)
    assert all(
        isinstance(reason, str)
        for reasons in Match.objects.values_list("reasons", flat=True)
        for reason in reasons
    )

    migration.forward(apps, None)

    assert sorted(Match.objects.values_list("pk", "score", "reasons")) == computed
    matching.case_match(case=case)
    assert sorted(Match.objects.values_list("pk", "score", "reasons")) == computed
