from django.db import migrations, models


class Migration(migrations.Migration):
    """Marks made before the keys were separated were keyed with the raw index key: generation 0.
    `manage.py blind_index_rebuild` brings them to the keyring's current generation; until then
    they match nothing (no false match), and they are not deleted."""

    dependencies = [
        ("incidents", "0002_evidence_stored_bytes"),
    ]

    operations = [
        migrations.AddField(
            model_name="perpetratormark",
            name="index_generation",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
    ]
