"""Matching a case to recourse. Rules are data: each names the facts that trigger it (structured
fields only, never sealed text), the resources it points to, a weight, and the cause a worker
reads ("threat of violence"). A new rule is one entry here plus a test. Hard filters (region,
language, role served) come first; then scores add up.

A match keeps its reasons as data in no language — {"cause": <the English message>} and, for the
ground rule, the ground's code — and reason_text puts them in the reader's language when shown."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from incidents.models import Report
from incidents.taxonomy import BiasGround, Region
from support.models import Case, Match, MatchStatus, Resource

# {"cause": an English message marked for translation} plus, for the ground rule, {"ground": a
# BiasGround code}.
Reason = dict[str, str]


@dataclass(frozen=True)
class Facts:
    abuse_types: frozenset[str]
    bias_grounds: frozenset[str]
    perpetrator_type: str
    risk_flags: frozenset[str]
    needs: frozenset[str]
    channels: frozenset[str]
    region: str
    language: str
    role: str

    @classmethod
    def of(cls, report: Report) -> "Facts":
        return cls(
            abuse_types=frozenset(report.abuse_types),
            bias_grounds=frozenset(report.bias_grounds),
            perpetrator_type=report.perpetrator_type,
            risk_flags=frozenset(report.risk_flags),
            needs=frozenset(report.needs),
            channels=frozenset(report.channels),
            region=report.region,
            language=report.preferred_language,
            role=report.role,
        )


@dataclass(frozen=True)
class Rule:
    """Triggers when, for every kind of fact it names, the case has one of the listed values;
    then points to the resources with one of `slugs` or `services`."""

    cause: str
    weight: int
    slugs: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    abuse_types: frozenset[str] = frozenset()
    risk_flags: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    perpetrator_types: frozenset[str] = frozenset()

    def triggered(self, facts: Facts) -> bool:
        conditions = [
            (self.abuse_types, facts.abuse_types),
            (self.risk_flags, facts.risk_flags),
            (self.needs, facts.needs),
            (self.channels, facts.channels),
            (self.perpetrator_types, frozenset({facts.perpetrator_type})),
        ]
        named = [(wanted, have) for wanted, have in conditions if wanted]
        return bool(named) and all(wanted & have for wanted, have in named)

    def points_to(self, resource: Resource) -> bool:
        return resource.slug in self.slugs or bool(self.services & set(resource.services))


def rule(cause: str, weight: int, **fields: set[str]) -> Rule:
    """A Rule written with plain sets."""
    return Rule(cause=cause, weight=weight, **{name: frozenset(v) for name, v in fields.items()})


ONLINE = {
    "x_twitter",
    "facebook",
    "instagram",
    "tiktok",
    "youtube",
    "linkedin",
    "reddit",
    "other_online",
}
RULES: list[Rule] = [
    rule(
        gettext_noop("you may be in danger now"),
        100,
        risk_flags={"imminent_danger"},
        slugs={"emergency-911"},
    ),
    rule(
        gettext_noop("threat of violence"),
        40,
        abuse_types={"threat_of_violence"},
        slugs={"criminal-code-uttering-threats-s264-1", "police-non-emergency"},
    ),
    rule(
        gettext_noop("stalking or persistent unwanted contact"),
        35,
        abuse_types={"stalking"},
        slugs={"criminal-code-criminal-harassment-s264", "police-non-emergency"},
    ),
    rule(
        gettext_noop("intimate images shared without consent"),
        40,
        abuse_types={"intimate_images"},
        slugs={"criminal-code-intimate-images-s162-1", "platform-reporting"},
    ),
    rule(
        gettext_noop("harassing calls, messages or e-mails"),
        20,
        channels={"phone", "text", "email"},
        abuse_types={"insults", "sexual_harassment", "threat_of_violence", "stalking"},
        slugs={"criminal-code-harassing-communications-s372"},
    ),
    rule(
        gettext_noop("impersonation or account takeover"),
        30,
        abuse_types={"impersonation", "hacking"},
        slugs={
            "criminal-code-identity-fraud-s403",
            "digital-security-help",
            "canadian-women-leaders-digital-defence-initiative",
        },
    ),
    rule(
        gettext_noop("private details shared (doxxing)"),
        30,
        abuse_types={"doxxing"},
        slugs={"digital-security-help", "platform-reporting"},
    ),
    rule(gettext_noop("abuse online"), 10, channels=ONLINE, slugs={"platform-reporting"}),
    rule(
        gettext_noop("fellow council member"),
        40,
        perpetrator_types={"fellow_council_member"},
        slugs={"municipal-code-of-conduct-integrity-commissioner"},
    ),
    rule(
        gettext_noop("identity-based attack by a colleague"),
        25,
        abuse_types={"identity_hate"},
        perpetrator_types={"fellow_council_member", "municipal_staff"},
        slugs={"human-rights-tribunal-of-ontario", "human-rights-legal-support-centre"},
    ),
    rule(
        gettext_noop("disinformation or defamation"),
        25,
        abuse_types={"disinformation"},
        slugs={"civil-lawsuit-defamation-harassment"},
    ),
    rule(
        gettext_noop("you asked about safety planning"),
        15,
        needs={"safety_planning"},
        slugs={"police-non-emergency"},
    ),
    rule(
        gettext_noop("you asked about the police"),
        20,
        needs={"police"},
        slugs={"police-non-emergency"},
    ),
    rule(gettext_noop("you asked for legal advice"), 20, needs={"legal"}, services={"legal"}),
    rule(
        gettext_noop("you asked for help securing accounts"),
        25,
        needs={"digital_security"},
        services={"digital_security"},
    ),
    rule(
        gettext_noop("you asked to get content taken down"),
        25,
        needs={"platform_takedown"},
        services={"platform_takedown"},
    ),
    rule(
        gettext_noop("you asked for mental health support"),
        30,
        needs={"mental_health"},
        services={"mental_health"},
    ),
    rule(
        gettext_noop("you asked to talk with others who went through this"),
        15,
        needs={"peer_support"},
        services={"peer_support", "mentoring"},
    ),
    rule(
        gettext_noop("you asked for help with public communications"),
        15,
        needs={"communications"},
        services={"communications"},
    ),
]

GROUND_WEIGHT = 30
GROUND_CAUSE = gettext_noop("identity-based attack on the ground of %(ground)s")


def _ground_causes(facts: Facts, resource: Resource) -> list[Reason]:
    """An identity-based attack, and the reporter named a ground this resource serves."""
    if "identity_hate" not in facts.abuse_types:
        return []
    return [
        {"cause": GROUND_CAUSE, "ground": ground}
        for ground in sorted(facts.bias_grounds & set(resource.grounds_served))
    ]


GROUND_RULES: list[Callable[[Facts, Resource], list[Reason]]] = [_ground_causes]


def reason_text(reason: Mapping[str, str] | str) -> str:
    """A stored reason in the active language: its cause through the catalogue, with the label of
    its ground. Text stored before reasons were data is shown as it was written."""
    if isinstance(reason, str):
        return reason
    text = gettext(reason["cause"])
    ground = reason.get("ground")
    if ground is None:
        return text
    label = dict(BiasGround.choices).get(ground, ground)  # a ground since retired: its code
    return text % {"ground": str(label).lower()}


def serves(resource: Resource, facts: Facts) -> bool:
    """Hard filters: a resource limited to regions, languages or roles must include the case's."""
    region_ok = not resource.regions or (
        facts.region != Region.UNDISCLOSED and facts.region in resource.regions
    )
    language_ok = not resource.languages or facts.language in resource.languages
    role_ok = not resource.roles_served or facts.role in resource.roles_served
    return region_ok and language_ok and role_ok


@dataclass
class Suggestion:
    resource: Resource
    score: int = 0
    reasons: list[Reason] = field(default_factory=list)


def suggest(facts: Facts, resources: list[Resource]) -> list[Suggestion]:
    """Ranked suggestions, each with the reasons that earned its score."""
    found: dict[int, Suggestion] = {}
    for resource in resources:
        if not serves(resource, facts):
            continue
        suggestion = Suggestion(resource)
        for item in RULES:
            if item.triggered(facts) and item.points_to(resource):
                suggestion.score += item.weight
                suggestion.reasons.append({"cause": item.cause})
        for ground_rule in GROUND_RULES:
            for reason in ground_rule(facts, resource):
                suggestion.score += GROUND_WEIGHT
                suggestion.reasons.append(reason)
        if suggestion.score:
            found[resource.pk] = suggestion
    return sorted(found.values(), key=lambda s: (-s.score, s.resource.name))


@transaction.atomic
def case_match(*, case: Case) -> int:
    """Recompute a case's suggestions. Decided ones (accepted, dismissed, referred) keep their
    decision; undecided ones follow the rules. Idempotent. Returns how many are suggested."""
    facts = Facts.of(case.report)
    ranked = suggest(facts, list(Resource.objects.filter(active=True)))
    existing = {m.resource_id: m for m in Match.objects.select_for_update().filter(case=case)}
    for suggestion in ranked:
        match = existing.pop(suggestion.resource.pk, None)
        if match is None:
            Match.objects.create(
                case=case,
                resource=suggestion.resource,
                score=suggestion.score,
                reasons=suggestion.reasons,
            )
        elif (match.score, match.reasons) != (suggestion.score, suggestion.reasons):
            match.score, match.reasons = suggestion.score, suggestion.reasons
            match.save(update_fields=["score", "reasons"])
    stale = [m.pk for m in existing.values() if m.status == MatchStatus.SUGGESTED]
    Match.objects.filter(pk__in=stale).delete()
    return len(ranked)
