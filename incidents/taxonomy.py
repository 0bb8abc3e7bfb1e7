"""Fixed vocabularies of a report's plaintext triage fields. Codes are stable; labels translate."""

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReporterRole(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    COUNCILLOR = "councillor", _("Councillor")
    HEAD_OF_COUNCIL = "head_of_council", _("Mayor or head of council")
    TRUSTEE = "school_board_trustee", _("School board trustee")
    STAFF_ON_BEHALF = "staff_on_behalf", _("Staff filing on someone's behalf")
    OTHER = "other", _("Other")


class Region(models.TextChoices):
    TORONTO = "toronto", _("Toronto")
    GTHA = "gtha", _("Greater Toronto and Hamilton Area (outside Toronto)")
    CENTRAL = "central", _("Central Ontario")
    EASTERN = "eastern", _("Eastern Ontario")
    SOUTHWESTERN = "southwestern", _("Southwestern Ontario")
    NORTHEASTERN = "northeastern", _("Northeastern Ontario")
    NORTHWESTERN = "northwestern", _("Northwestern Ontario")
    UNDISCLOSED = "undisclosed", _("Prefer not to say")


class Channel(models.TextChoices):
    X_TWITTER = "x_twitter", _("X (Twitter)")
    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    TIKTOK = "tiktok", _("TikTok")
    YOUTUBE = "youtube", _("YouTube")
    LINKEDIN = "linkedin", _("LinkedIn")
    REDDIT = "reddit", _("Reddit")
    OTHER_ONLINE = "other_online", _("Another website or app")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call or voicemail")
    TEXT = "text", _("Text or messaging app")
    MAIL = "mail", _("Letter or mail")
    IN_PERSON = "in_person", _("In person, in public")
    MEETING = "meeting", _("At a council or public meeting")
    HOME = "home", _("At my home")


class AbuseType(models.TextChoices):
    THREAT_OF_VIOLENCE = "threat_of_violence", _("Threat of violence")
    SEXUAL_HARASSMENT = "sexual_harassment", _("Sexual harassment")
    INTIMATE_IMAGES = "intimate_images", _("Non-consensual intimate images")
    IDENTITY_HATE = "identity_hate", _("Identity-based hate")
    INSULTS = "insults", _("Insults and degradation")
    DOXXING = "doxxing", _("Doxxing (sharing private details)")
    STALKING = "stalking", _("Stalking or persistent unwanted contact")
    IMPERSONATION = "impersonation", _("Impersonation")
    COORDINATED_CAMPAIGN = "coordinated_campaign", _("Coordinated campaign")
    HACKING = "hacking", _("Hacking or account takeover")
    DISINFORMATION = "disinformation", _("Disinformation or defamation")
    OFFLINE_INTIMIDATION = "offline_intimidation", _("Offline intimidation or property damage")


class BiasGround(models.TextChoices):
    """The grounds of the Ontario Human Rights Code."""

    RACE = "race", _("Race")
    ANCESTRY = "ancestry", _("Ancestry")
    PLACE_OF_ORIGIN = "place_of_origin", _("Place of origin")
    COLOUR = "colour", _("Colour")
    ETHNIC_ORIGIN = "ethnic_origin", _("Ethnic origin")
    CITIZENSHIP = "citizenship", _("Citizenship")
    CREED = "creed", _("Creed (religion)")
    SEX = "sex", _("Sex, including pregnancy")
    SEXUAL_ORIENTATION = "sexual_orientation", _("Sexual orientation")
    GENDER_IDENTITY = "gender_identity", _("Gender identity")
    GENDER_EXPRESSION = "gender_expression", _("Gender expression")
    AGE = "age", _("Age")
    MARITAL_STATUS = "marital_status", _("Marital status")
    FAMILY_STATUS = "family_status", _("Family status")
    DISABILITY = "disability", _("Disability")
    PUBLIC_ASSISTANCE = "public_assistance", _("Receipt of public assistance")
    RECORD_OF_OFFENCES = "record_of_offences", _("Record of offences")


class PerpetratorType(models.TextChoices):
    UNKNOWN = "unknown", _("I don't know who it is")
    ANONYMOUS_ACCOUNT = "anonymous_account", _("An anonymous or fake account")
    MEMBER_OF_PUBLIC = "member_of_public", _("A member of the public or a resident")
    FELLOW_MEMBER = "fellow_council_member", _("A fellow council member")
    MUNICIPAL_STAFF = "municipal_staff", _("Municipal staff")
    OTHER_CANDIDATE = "other_candidate", _("Another candidate or their campaign")
    ORGANIZED_GROUP = "organized_group", _("An organized group")
    MEDIA = "media", _("Media or a commentator")
    KNOWN_PERSONALLY = "known_personally", _("Someone I know personally")
    OTHER = "other", _("Someone else")


class RiskFlag(models.TextChoices):
    IMMINENT_DANGER = "imminent_danger", _("I may be in danger now")
    LOCATION_KNOWN = "location_known", _("They know where I live or work")
    FAMILY_TARGETED = "family_targeted", _("My family or staff are targeted too")
    ESCALATING = "escalating", _("It is getting worse")


class Need(models.TextChoices):
    SAFETY_PLANNING = "safety_planning", _("Safety planning")
    POLICE = "police", _("Going to the police")
    LEGAL = "legal", _("Legal advice")
    DIGITAL_SECURITY = "digital_security", _("Securing my accounts and devices")
    PLATFORM_TAKEDOWN = "platform_takedown", _("Getting content taken down")
    MENTAL_HEALTH = "mental_health", _("Mental health support")
    PEER_SUPPORT = "peer_support", _("Talking with others who went through this")
    COMMUNICATIONS = "communications", _("Help with public communications")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


VOCABULARIES: dict[str, type[models.TextChoices]] = {
    "roles": ReporterRole,
    "regions": Region,
    "channels": Channel,
    "abuse_types": AbuseType,
    "bias_grounds": BiasGround,
    "perpetrator_types": PerpetratorType,
    "risk_flags": RiskFlag,
    "needs": Need,
    "languages": Language,
}


# Django computes a vocabulary's `values` and `choices` anew on every access; a filing asks for
# them a score of times. A vocabulary is fixed for the process's life, so they are computed once
# (labels stay lazy and translate when shown).


@cache
def codes(vocabulary: type[models.TextChoices]) -> frozenset[str]:
    return frozenset(vocabulary.values)


@cache
def code_order(vocabulary: type[models.TextChoices]) -> Mapping[str, int]:
    """Each code's position in the vocabulary (read-only: every caller shares it)."""
    return MappingProxyType({code: index for index, code in enumerate(vocabulary.values)})


@cache
def choices(vocabulary: type[models.TextChoices]) -> tuple[tuple[str, str], ...]:
    return tuple(vocabulary.choices)
