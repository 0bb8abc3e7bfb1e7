"""Match reasons become data in no language, put into the reader's language when shown
(support.matching.reason_text). "threat of violence → Local police non-emergency line" becomes
{"cause": "threat of violence"}: the match already names its resource. "identity-based attack on
the ground of sexual orientation → ProudPolitics" becomes {"cause": GROUND_CAUSE, "ground":
"sexual_orientation"}. Text read no other way keeps its cause as written, so nothing is lost. The
reverse writes the old English sentences again."""

from django.db import migrations

ARROW = " → "
GROUND_CAUSE = "identity-based attack on the ground of %(ground)s"
GROUND_PREFIX = "identity-based attack on the ground of "

# The BiasGround labels the old sentences held, lowercased, frozen here so that later changes to
# the taxonomy do not change what this migration reads. French too: where tasks ran inline
# (django-q's sync mode), matching ran in the language of a French request and wrote the French
# label into the English sentence.
ENGLISH_GROUNDS = {
    "race": "race",
    "ancestry": "ancestry",
    "place_of_origin": "place of origin",
    "colour": "colour",
    "ethnic_origin": "ethnic origin",
    "citizenship": "citizenship",
    "creed": "creed (religion)",
    "sex": "sex, including pregnancy",
    "sexual_orientation": "sexual orientation",
    "gender_identity": "gender identity",
    "gender_expression": "gender expression",
    "age": "age",
    "marital_status": "marital status",
    "family_status": "family status",
    "disability": "disability",
    "public_assistance": "receipt of public assistance",
    "record_of_offences": "record of offences",
}
FRENCH_GROUNDS = {
    "race": "race",
    "ancestry": "ascendance",
    "place_of_origin": "lieu d'origine",
    "colour": "couleur",
    "ethnic_origin": "origine ethnique",
    "citizenship": "citoyenneté",
    "creed": "croyance (religion)",
    "sex": "sexe, y compris la grossesse",
    "sexual_orientation": "orientation sexuelle",
    "gender_identity": "identité de genre",
    "gender_expression": "expression de genre",
    "age": "âge",
    "marital_status": "état matrimonial",
    "family_status": "état familial",
    "disability": "handicap",
    "public_assistance": "fait de recevoir de l'aide sociale",
    "record_of_offences": "casier judiciaire",
}
GROUND_OF_LABEL = {
    **{label: code for code, label in FRENCH_GROUNDS.items()},
    **{label: code for code, label in ENGLISH_GROUNDS.items()},
}
BATCH = 500


def reason_from_text(reason):
    """An old "cause → resource name" as data; a reason already data is kept."""
    if not isinstance(reason, str):
        return reason
    cause = reason.partition(ARROW)[0]  # causes hold no arrow; a resource's name might
    if cause.startswith(GROUND_PREFIX):
        code = GROUND_OF_LABEL.get(cause.removeprefix(GROUND_PREFIX))
        if code is not None:
            return {"cause": GROUND_CAUSE, "ground": code}
    return {"cause": cause}


def text_from_reason(reason, name):
    """A reason as data back to the old English "cause → resource name"."""
    if isinstance(reason, str):
        return reason
    ground = reason.get("ground")
    if ground is None:
        cause = reason["cause"]
    else:
        cause = GROUND_PREFIX + ENGLISH_GROUNDS.get(ground, ground)
    return f"{cause}{ARROW}{name}"


def _rewrite(apps, convert):
    Match = apps.get_model("support", "Match")
    changed = []
    rows = Match.objects.select_related("resource").only("reasons", "resource__name")
    for match in rows.iterator(chunk_size=BATCH):
        reasons = [convert(reason, match.resource.name) for reason in match.reasons]
        if reasons != match.reasons:
            match.reasons = reasons
            changed.append(match)
    Match.objects.bulk_update(changed, ["reasons"], batch_size=BATCH)


def forward(apps, schema_editor):
    _rewrite(apps, lambda reason, name: reason_from_text(reason))


def backward(apps, schema_editor):
    _rewrite(apps, text_from_reason)


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0004_notification_kinds"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
