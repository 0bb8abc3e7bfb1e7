"""Task and e-mail settings: the ORM broker by default, Redis when REDIS_URL is set."""

import json

from tests.core.test_settings import SECRET, _run

SHOW = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "q": settings.Q_CLUSTER,
    "cache": settings.CACHES["default"]["BACKEND"],
    "email": settings.EMAIL_BACKEND,
}))
"""


def _settings(tmp_path, **env):
    result = _run(tmp_path, ["-c", SHOW], DJANGO_SECRET_KEY=SECRET, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_redis_the_broker_is_the_database_and_retry_outlasts_timeout(tmp_path):
    shown = _settings(tmp_path)
    assert shown["q"]["orm"] == "default"
    assert "redis" not in shown["q"]
    assert shown["q"]["retry"] > shown["q"]["timeout"]
    assert shown["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert shown["email"] == "django.core.mail.backends.smtp.EmailBackend"


def test_redis_url_switches_the_broker_and_the_cache_to_redis(tmp_path):
    shown = _settings(tmp_path, REDIS_URL="redis://127.0.0.1:6390/2")
    assert shown["q"]["redis"] == "redis://127.0.0.1:6390/2"
    assert "orm" not in shown["q"]
    assert shown["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_development_prints_e_mail_to_the_console(tmp_path):
    shown = _settings(tmp_path, DJANGO_DEBUG="1")
    assert shown["email"] == "django.core.mail.backends.console.EmailBackend"
