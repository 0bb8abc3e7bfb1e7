from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Recourse core"

    def ready(self) -> None:
        from core import checks, sessions  # noqa: F401  (registers checks and signal handlers)
