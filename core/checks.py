from typing import Any

from django.core.checks import Error, register

from core.crypto.errors import KeyringError
from core.crypto.keyring import load_keyring


@register()
def keyring_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Without a keyring nothing can be sealed or opened: refuse to run rather than fail later."""
    try:
        load_keyring()
    except KeyringError as exc:
        return [
            Error(
                f"Recourse cannot load its keyring: {exc}",
                hint="Create one with `manage.py keyring_init PATH` and set RECOURSE_KEYRING_FILE "
                "to that path (keep the file outside the database, media and repository).",
                id="recourse.E001",
            )
        ]
    return []
