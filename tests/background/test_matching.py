"""Issue 4, matching: every rule (and the ground rule) suggests what it points to with a reason a
worker can read; hard filters come first; recomputing keeps decisions; staff on the case decide;
the reporter sees only what was accepted or referred."""

import pytest
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from core.keys import data_key
from core.models import AuditEvent
from incidents import services as report_services
from incidents.sealing import open_field
from incidents.taxonomy import Region
from support import matching, services
from support.matching import GROUND_RULES, RULES
from support.models import Case, Match, MatchStatus, Resource
from tests.factories import UserFactory, incident_input, make_report
from tests.security.support import token_client
from tests.support.factories import make_case, web_client

pytestmark = pytest.mark.django_db

# Facts that trigger each rule, and one resource it must then suggest. Keyed by the rule's cause:
# a new rule without an entry here fails its test until one is written.
NEUTRAL = {"abuse_types": ["insults"], "channels": ["mail"], "perpetrator_identifiers": []}
TRIGGERS = {
    "you may be in danger now": ({"risk_flags": ["imminent_danger"]}, "emergency-911"),
    "threat of violence": (
        {"abuse_types": ["threat_of_violence"]},
        "criminal-code-uttering-threats-s264-1",
    ),
    "stalking or persistent unwanted contact": (
        {"abuse_types": ["stalking"]},
        "criminal-code-criminal-harassment-s264",
    ),
    "intimate images shared without consent": (
        {"abuse_types": ["intimate_images"]},
        "criminal-code-intimate-images-s162-1",
    ),
    "harassing calls, messages or e-mails": (
        {"abuse_types": ["insults"], "channels": ["phone"]},
        "criminal-code-harassing-communications-s372",
    ),
    "impersonation or account takeover": (
        {"abuse_types": ["impersonation"]},
        "criminal-code-identity-fraud-s403",
    ),
    "private details shared (doxxing)": ({"abuse_types": ["doxxing"]}, "digital-security-help"),
    "abuse online": ({"channels": ["x_twitter"]}, "platform-reporting"),
    "fellow council member": (
        {"perpetrator_type": "fellow_council_member"},
        "municipal-code-of-conduct-integrity-commissioner",
    ),
    "identity-based attack by a colleague": (
        {"abuse_types": ["identity_hate"], "perpetrator_type": "municipal_staff"},
        "human-rights-tribunal-of-ontario",
    ),
    "disinformation or defamation": (
        {"abuse_types": ["disinformation"]},
        "civil-lawsuit-defamation-harassment",
    ),
    "you asked about safety planning": ({"needs": ["safety_planning"]}, "police-non-emergency"),
    "you asked about the police": ({"needs": ["police"]}, "police-non-emergency"),
    "you asked for legal advice": ({"needs": ["legal"]}, "human-rights-legal-support-centre"),
    "you asked for help securing accounts": (
        {"needs": ["digital_security"]},
        "digital-security-help",
    ),
    "you asked to get content taken down": (
        {"needs": ["platform_takedown"]},
        "platform-reporting",
    ),
    "you asked for mental health support": (
        {"needs": ["mental_health"]},
        "suicide-crisis-helpline-988",
    ),
    "you asked to talk with others who went through this": (
        {"needs": ["peer_support"]},
        "run-for-it",
    ),
    "you asked for help with public communications": (
        {"needs": ["communications"]},
        "informed-opinions",
    ),
}


def _case(**facts) -> Case:
    """A case of a toronto candidate writing in English, with only the given facts."""
    return make_report(**{"region": "toronto", **NEUTRAL, **facts}).case


def _matched(case: Case) -> dict[str, Match]:
    matching.case_match(case=case)
    return {m.resource.slug: m for m in Match.objects.filter(case=case).select_related("resource")}


def _actions(case: Case) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(case.public_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )


@pytest.fixture
def decided(resources, coordinator, worker):
    """A doxxing case assigned to the worker, with its suggestions computed."""
    case = make_case(coordinator=coordinator, workers=(worker,), region="toronto")
    matching.case_match(case=case)
    return case


def _match(case: Case, slug: str) -> Match:
    return Match.objects.select_related("case__report").get(case=case, resource__slug=slug)


# The rules.


def test_every_rule_has_facts_that_trigger_it():
    assert {rule.cause for rule in RULES} == set(TRIGGERS)
    assert len(GROUND_RULES) == 1


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.cause)
def test_each_rule_suggests_what_it_points_to_with_its_reason(resources, rule):
    facts, slug = TRIGGERS[rule.cause]
    resource = Resource.objects.get(slug=slug)
    assert rule.points_to(resource)

    found = _matched(_case(**facts))

    assert slug in found
    assert {"cause": rule.cause} in found[slug].reasons
    assert found[slug].score >= rule.weight
    assert found[slug].status == MatchStatus.SUGGESTED


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.cause)
def test_no_rule_fires_without_its_facts(resources, rule):
    found = _matched(_case())

    assert not any(reason["cause"] == rule.cause for m in found.values() for reason in m.reasons)


def test_a_threat_of_violence_points_to_uttering_threats(resources):
    found = _matched(_case(abuse_types=["threat_of_violence"]))

    assert {"cause": "threat of violence"} in found["criminal-code-uttering-threats-s264-1"].reasons


def test_a_fellow_council_member_points_to_the_integrity_commissioner(resources):
    found = _matched(_case(perpetrator_type="fellow_council_member"))

    assert found["municipal-code-of-conduct-integrity-commissioner"].reasons == [
        {"cause": "fellow council member"}
    ]


def test_an_identity_based_attack_points_to_organizations_serving_that_ground(resources):
    found = _matched(_case(abuse_types=["identity_hate"], bias_grounds=["sexual_orientation"]))

    assert found["proudpolitics"].reasons == [
        {"cause": matching.GROUND_CAUSE, "ground": "sexual_orientation"}
    ]
    with translation.override("en"):
        shown = matching.reason_text(found["proudpolitics"].reasons[0])
    assert shown == "identity-based attack on the ground of sexual orientation"
    assert found["proudpolitics"].score == matching.GROUND_WEIGHT
    assert "canadian-muslim-vote" not in found  # serves another ground


def test_the_ground_rule_needs_an_identity_based_attack(resources):
    found = _matched(_case(abuse_types=["insults"], bias_grounds=["sexual_orientation"]))

    assert "proudpolitics" not in found


def test_suggestions_are_ranked_by_score(resources):
    case = _case(abuse_types=["doxxing"], channels=["facebook"], needs=["platform_takedown"])
    _matched(case)

    scores = list(Match.objects.filter(case=case).values_list("resource__slug", "score"))
    assert scores == sorted(scores, key=lambda item: -item[1])
    assert scores[0][0] == "platform-reporting"  # doxxing + online + takedown: 30 + 10 + 25


def test_resources_no_rule_points_to_are_not_suggested(resources):
    found = _matched(_case(needs=["police"]))

    assert set(found) == {"police-non-emergency"}


# Hard filters.


def test_a_resource_limited_to_a_region_is_not_suggested_elsewhere(resources):
    toronto = _matched(_case(needs=["peer_support"], region="toronto"))
    north = _matched(_case(needs=["peer_support"], region="northwestern"))

    assert "women-in-politics-thunder-bay" not in toronto
    assert "women-in-politics-thunder-bay" in north
    assert "run-for-it" in toronto
    assert "run-for-it" in north


def test_a_french_speaking_reporter_is_matched_only_to_resources_in_french(resources):
    found = _matched(_case(preferred_language="fr", needs=["police", "platform_takedown", "legal"]))

    assert "police-non-emergency" in found
    assert "human-rights-legal-support-centre" in found
    assert "platform-reporting" not in found  # English only
    assert "civil-lawsuit-defamation-harassment" not in found  # English only
    assert all("fr" in m.resource.languages for m in found.values())


def test_a_resource_for_other_roles_is_not_suggested(resources):
    councillor = _matched(_case(role="councillor", needs=["peer_support"]))
    candidate = _matched(_case(role="candidate", needs=["peer_support"]))

    assert "run-for-it" in candidate
    assert "nominee" in candidate
    assert "run-for-it" not in councillor
    assert "nominee" not in councillor
    assert all(
        not m.resource.roles_served or "councillor" in m.resource.roles_served
        for m in councillor.values()
    )


def test_an_undisclosed_region_gets_only_resources_for_all_of_ontario(resources):
    found = _matched(
        _case(
            region=Region.UNDISCLOSED,
            needs=["peer_support", "legal"],
            abuse_types=["identity_hate"],
            bias_grounds=["sex", "race"],
        )
    )

    assert found
    assert all(m.resource.regions == [] for m in found.values())
    assert "equal-voice" in found  # all of Ontario, serving the ground of sex
    assert "women-in-politics-thunder-bay" not in found


def test_an_inactive_resource_is_not_suggested(resources):
    Resource.objects.filter(slug="police-non-emergency").update(active=False)

    assert _matched(_case(needs=["police"])) == {}


# Recomputing.


def test_recomputing_is_idempotent(decided):
    before = sorted(Match.objects.values_list("pk", "resource_id", "score", "reasons", "status"))
    assert before

    for _ in range(2):
        matching.case_match(case=decided)

    assert sorted(Match.objects.values_list("pk", "resource_id", "score", "reasons", "status")) == (
        before
    )


def test_recomputing_keeps_decisions_and_drops_stale_suggestions(
    decided, worker, django_capture_on_commit_callbacks
):
    accepted = services.match_decide(
        actor=worker, match=_match(decided, "digital-security-help"), action="accept"
    )
    dismissed = services.match_decide(
        actor=worker, match=_match(decided, "platform-reporting"), action="dismiss", reason="no"
    )
    Resource.objects.filter(slug__in=["digital-security-help", "platform-reporting"]).update(
        active=False
    )
    stale = Match.objects.create(
        case=decided,
        resource=Resource.objects.get(slug="proudpolitics"),
        score=1,
        reasons=[{"cause": "an old rule"}],
    )

    report = decided.report
    with django_capture_on_commit_callbacks(execute=True):  # the triage task recomputes
        report_services.incident_add(
            actor=report.reporter,
            report=report,
            data=incident_input(abuse_types=["threat_of_violence"]),
        )

    found = {m.resource.slug: m for m in Match.objects.filter(case=decided)}
    assert found["digital-security-help"].pk == accepted.pk
    assert found["digital-security-help"].status == MatchStatus.ACCEPTED
    assert found["platform-reporting"].pk == dismissed.pk
    assert found["platform-reporting"].status == MatchStatus.DISMISSED
    assert not Match.objects.filter(pk=stale.pk).exists()
    assert "criminal-code-uttering-threats-s264-1" in found  # the new facts' suggestion


# Decisions.


@pytest.mark.parametrize(
    ("action", "status"),
    [("accept", MatchStatus.ACCEPTED), ("refer", MatchStatus.REFERRED)],
)
def test_staff_on_the_case_accept_or_refer_a_suggestion_audited(decided, worker, action, status):
    match = _match(decided, "digital-security-help")

    services.match_decide(actor=worker, match=match, action=action)

    match.refresh_from_db()
    assert (match.status, match.decided_by) == (status, worker)
    assert match.decided_at is not None
    assert _actions(decided)[-1] == f"case.match.{action}"


def test_dismissing_needs_a_reason_which_is_sealed(decided, coordinator):
    match = _match(decided, "digital-security-help")
    audit = AuditEvent.objects.count()

    with pytest.raises(DomainError, match="Write something first"):
        services.match_decide(actor=coordinator, match=match, action="dismiss", reason="  ")
    match.refresh_from_db()
    assert match.status == MatchStatus.SUGGESTED
    assert AuditEvent.objects.count() == audit

    services.match_decide(
        actor=coordinator, match=match, action="dismiss", reason="They already have help."
    )

    match.refresh_from_db()
    assert match.status == MatchStatus.DISMISSED
    assert b"already have help" not in bytes(match.reason_sealed)
    assert open_field(data_key(decided.report), match, "reason") == "They already have help."
    assert _actions(decided)[-1] == "case.match.dismiss"


def test_an_unknown_decision_is_refused(decided, worker):
    match = _match(decided, "digital-security-help")

    with pytest.raises(DomainError, match="accept, dismiss or refer"):
        services.match_decide(actor=worker, match=match, action="delete")

    match.refresh_from_db()
    assert match.status == MatchStatus.SUGGESTED


def test_only_staff_on_the_case_decide(decided, other_worker, administrator):
    match = _match(decided, "digital-security-help")
    audit = AuditEvent.objects.count()

    for person in (other_worker, administrator, decided.report.reporter):
        with pytest.raises(DomainError, match="You do not work on this case"):
            services.match_decide(actor=person, match=match, action="accept")

    url = reverse("support:match_decide", args=[decided.public_id, match.public_id, "accept"])
    assert web_client(other_worker).post(url).status_code == 404
    api = f"/api/v1/cases/{decided.public_id}/matches/{match.public_id}/accept/"
    assert token_client(other_worker).post(api, {}, format="json").status_code == 404
    match.refresh_from_db()
    assert match.status == MatchStatus.SUGGESTED
    assert AuditEvent.objects.count() == audit


def test_a_match_of_another_case_cannot_be_decided_through_this_one(decided, worker, coordinator):
    other = make_case(coordinator=coordinator, workers=(worker,))
    matching.case_match(case=other)
    foreign = Match.objects.filter(case=other).first()

    url = reverse("support:match_decide", args=[decided.public_id, foreign.public_id, "accept"])
    assert web_client(worker).post(url).status_code == 404
    api = f"/api/v1/cases/{decided.public_id}/matches/{foreign.public_id}/accept/"
    assert token_client(worker).post(api, {}, format="json").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == MatchStatus.SUGGESTED


def test_the_case_page_decides_through_its_forms(decided, worker):
    match = _match(decided, "digital-security-help")
    page = web_client(worker)
    assert "Suggested because private details shared (doxxing)</li>" in (
        page.get(decided.get_absolute_url()).content.decode()
    )

    response = page.post(
        reverse("support:match_decide", args=[decided.public_id, match.public_id, "refer"])
    )

    assert response.status_code == 302
    assert response["Location"] == decided.get_absolute_url()
    match.refresh_from_db()
    assert match.status == MatchStatus.REFERRED


# What the reporter sees.


def test_the_reporter_sees_accepted_and_referred_suggestions_only(resources, coordinator, worker):
    case = make_case(coordinator=coordinator, workers=(worker,), needs=["police", "legal"])
    matching.case_match(case=case)
    decisions = {
        "digital-security-help": ("accept", ""),
        "platform-reporting": ("refer", ""),
        "police-non-emergency": ("dismiss", "Not what they want now."),
    }
    for slug, (action, reason) in decisions.items():
        services.match_decide(actor=worker, match=_match(case, slug), action=action, reason=reason)
    name = dict(Resource.objects.values_list("slug", "name"))
    reasons = {
        matching.reason_text(reason)
        for reasons in Match.objects.filter(case=case).values_list("reasons", flat=True)
        for reason in reasons
    }
    assert reasons
    suggested = list(
        Match.objects.filter(case=case, status=MatchStatus.SUGGESTED).values_list(
            "resource__slug", flat=True
        )
    )
    assert "human-rights-legal-support-centre" in suggested

    page = web_client(case.report.reporter).get(case.report.get_absolute_url())
    body = page.content.decode()

    assert page.status_code == 200
    assert "Recourse suggested for you" in body
    assert name["digital-security-help"] in body
    assert name["platform-reporting"] in body
    assert name["police-non-emergency"] not in body
    assert not any(name[slug] in body for slug in suggested)
    assert "Suggested because" not in body  # no reasons
    assert not any(reason in body for reason in reasons)
    assert "Not what they want now." not in body


def test_the_reporter_sees_no_suggestion_before_a_worker_decides(decided):
    body = web_client(decided.report.reporter).get(decided.report.get_absolute_url()).content
    assert "Recourse suggested for you" not in body.decode()


# The API.


def test_the_api_lists_a_cases_matches_with_their_reasons(decided, worker):
    response = token_client(worker).get(f"/api/v1/cases/{decided.public_id}/matches/")

    assert response.status_code == 200
    rows = {row["resource"]["slug"]: row for row in response.json()}
    assert set(rows) == set(
        Match.objects.filter(case=decided).values_list("resource__slug", flat=True)
    )
    row = rows["digital-security-help"]
    assert row["status"] == "suggested"
    assert row["reasons"] == ["private details shared (doxxing)"]
    assert row["id"] == str(_match(decided, "digital-security-help").public_id)


def test_the_api_decides_a_match(decided, worker, coordinator):
    match = _match(decided, "digital-security-help")
    url = f"/api/v1/cases/{decided.public_id}/matches/{match.public_id}"

    accepted = token_client(worker).post(f"{url}/accept/", {}, format="json")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")

    no_reason = token_client(coordinator).post(f"{url}/dismiss/", {}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()
    match.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED

    dismissed = token_client(coordinator).post(
        f"{url}/dismiss/", {"reason": "Not for this case."}, format="json"
    )
    assert (dismissed.status_code, dismissed.json()["status"]) == (200, "dismissed")
    listed = token_client(worker).get(f"/api/v1/cases/{decided.public_id}/matches/").json()
    assert {row["reason"] for row in listed if row["id"] == str(match.public_id)} == {
        "Not for this case."
    }

    bogus = token_client(worker).post(f"{url}/delete/", {}, format="json")
    assert bogus.status_code == 400
    assert _actions(decided)[-2:] == ["case.match.accept", "case.match.dismiss"]


def test_a_reporter_cannot_read_the_matches_of_their_own_case(decided):
    reporter = decided.report.reporter

    response = token_client(reporter).get(f"/api/v1/cases/{decided.public_id}/matches/")

    assert response.status_code == 404
    assert (
        token_client(UserFactory()).get(f"/api/v1/cases/{decided.public_id}/matches/").status_code
        == 404
    )
