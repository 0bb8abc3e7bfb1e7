from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Recourse core")

    def ready(self) -> None:
        from core import checks, sessions  # noqa: F401  (registers checks and signal handlers)
