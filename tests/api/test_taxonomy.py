import pytest

from incidents.taxonomy import VOCABULARIES
from tests.api.helpers import TAXONOMY
from tests.conftest import api_login

pytestmark = pytest.mark.django_db

NAMES = {
    "roles",
    "regions",
    "channels",
    "abuse_types",
    "bias_grounds",
    "perpetrator_types",
    "risk_flags",
    "needs",
    "languages",
}


def test_taxonomy_lists_every_vocabulary(api_client):
    response = api_client.get(TAXONOMY)

    assert response.status_code == 200
    assert set(response.json()) == NAMES


@pytest.mark.parametrize("name", sorted(NAMES))
def test_each_vocabulary_is_a_list_of_codes_and_labels(api_client, name):
    entries = api_client.get(TAXONOMY).json()[name]

    assert entries == [
        {"code": code, "label": str(label)} for code, label in VOCABULARIES[name].choices
    ]
    assert all(entry["code"] and entry["label"] for entry in entries)


def test_taxonomy_names_the_codes_reports_use(api_client):
    body = api_client.get(TAXONOMY).json()

    assert {"code": "threat_of_violence", "label": "Threat of violence"} in body["abuse_types"]
    assert {"code": "fr", "label": "French"} in body["languages"]


def test_taxonomy_is_open_to_signed_in_reporters_too(api_client, reporter):
    api_login(api_client, reporter)

    assert api_client.get(TAXONOMY).status_code == 200


def test_taxonomy_cannot_be_changed(api_client):
    assert api_client.post(TAXONOMY, {}, format="json").status_code in {401, 403, 405}
