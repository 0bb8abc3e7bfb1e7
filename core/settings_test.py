"""Test settings: the real settings with fast hashing, inline tasks and a throwaway keyring."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-any-deployment-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from core.settings import *  # noqa: E402,F403
from core.settings import DATABASES  # noqa: E402

_TMP = tempfile.mkdtemp(prefix="recourse-test-")

PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
MEDIA_ROOT = Path(_TMP) / "media"
RECOURSE_KEYRING_FILE = os.path.join(_TMP, "keyring.json")
RECOURSE_KEYRING = None
RECOURSE_CREATE_KEYRING = True
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# On SQLite, a file database, so the confidentiality tests can read its raw bytes. The suite also
# runs on PostgreSQL (DATABASE_URL; `make test-postgres`), in a test database of its own.
if DATABASES["default"]["ENGINE"] == "core.sqlite":
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_TMP, "test.sqlite3")}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {  # noqa: F405
        "api": "100000/min",
        "login": "1000/min",
        "receipt": "1000/min",
        "submit": "1000/min",
        "signup": "1000/min",
        "evidence": "1000/min",
    },
}
