"""The statistical extract: coarse dimensions only, for reports whose reporter consented. No
foreign key or id leads back to a report; the writer finds its own row by a keyed hash."""

from django.db import models


class ExtractRecord(models.Model):
    key = models.CharField(max_length=64, unique=True)  # HMAC of the report id; see services
    month = models.CharField(max_length=7, db_index=True)  # "2026-03"
    quarter = models.CharField(max_length=7)  # "2026-Q1"
    region = models.CharField(max_length=32)
    role = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"extract {self.month} {self.region}"


class ExtractValue(models.Model):
    """One value of one dimension of a record; multi-valued dimensions have one row per value."""

    record = models.ForeignKey(ExtractRecord, on_delete=models.CASCADE, related_name="values")
    dimension = models.CharField(max_length=24)
    value = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record", "dimension", "value"], name="extract_value_once"
            )
        ]
        indexes = [models.Index(fields=["dimension", "value", "record"])]

    def __str__(self) -> str:
        return f"{self.dimension}={self.value}"


class Aggregate(models.Model):
    """Counts of one dimension's values per month, region and role, kept in step with the
    extract by the writer, so the overview reads a few hundred rows, not the whole extract."""

    month = models.CharField(max_length=7)
    region = models.CharField(max_length=32)
    role = models.CharField(max_length=32)
    dimension = models.CharField(max_length=24)
    value = models.CharField(max_length=40)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "month", "region", "role", "value"], name="aggregate_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.dimension}={self.value}: {self.count}"


class PrivacyLedger(models.Model):
    """Differential privacy: the budget spent on releases about one period (a month)."""

    period = models.CharField(max_length=7, unique=True)
    spent = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.period}: ε {self.spent}"


class NoisyRelease(models.Model):
    """A released noisy table, served again for the same question, never redrawn."""

    query_key = models.CharField(max_length=64, unique=True)
    epsilon = models.FloatField()
    cells = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.query_key[:12]
