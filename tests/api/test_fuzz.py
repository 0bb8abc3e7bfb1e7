"""Whatever JSON object arrives at POST reports/, the answer is a 201 or a 400, never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import Report
from tests.api.helpers import REPORTS, report_body
from tests.conftest import api_login

pytestmark = pytest.mark.django_db

FIELDS = [
    "role",
    "region",
    "channels",
    "abuse_types",
    "bias_grounds",
    "perpetrator_type",
    "risk_flags",
    "needs",
    "preferred_language",
    "occurred_on",
    "narrative",
    "municipality",
    "contact_details",
    "perpetrator_identifiers",
    "consent_statistics",
    "consent_matching",
]

scalars = st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans())
values = st.one_of(scalars, st.lists(scalars, max_size=5))
# Mostly random values; sometimes a valid one, so that accepted reports are exercised too.
valid = report_body()
field_values = {
    name: st.one_of(values, st.sampled_from([valid[name]]), st.lists(st.text(max_size=20)))
    for name in FIELDS
}


@st.composite
def bodies(draw):
    chosen = draw(st.lists(st.sampled_from(FIELDS), unique=True))
    base = draw(st.sampled_from([{}, valid]))
    return {**base, **{name: draw(field_values[name]) for name in chosen}}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies())
def test_random_report_bodies_are_accepted_or_refused_never_a_500(api_client, reporter, body):
    api_login(api_client, reporter)
    before = Report.objects.count()

    response = api_client.post(REPORTS, body, format="json")

    assert response.status_code in {201, 400}, (body, response.content)
    assert Report.objects.count() == before + (1 if response.status_code == 201 else 0)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(st.sampled_from(FIELDS), values))
def test_random_field_values_are_accepted_or_refused_never_a_500(api_client, reporter, body):
    api_login(api_client, reporter)
    before = Report.objects.count()

    response = api_client.post(REPORTS, body, format="json")

    assert response.status_code in {201, 400}, (body, response.content)
    assert Report.objects.count() == before + (1 if response.status_code == 201 else 0)
