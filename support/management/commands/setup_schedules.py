from typing import Any

from django.core.management.base import BaseCommand
from django_q.models import Schedule

SCHEDULES = [
    {
        "name": "escalation sweep",
        "func": "support.tasks.escalation_sweep",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        "name": "statistics refresh",
        "func": "insights.tasks.extract_sync",
        "schedule_type": Schedule.HOURLY,
    },
]


class Command(BaseCommand):
    help = "Create or update the recurring tasks (idempotent: run it on every deploy)."

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in SCHEDULES:
            values = {key: value for key, value in spec.items() if key != "name"}
            _schedule, created = Schedule.objects.update_or_create(
                name=spec["name"], defaults={**values, "repeats": -1}
            )
            self.stdout.write(f"{'Created' if created else 'Kept'} schedule: {spec['name']}.")
