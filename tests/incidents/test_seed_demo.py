import json
import stat
from base64 import b32decode

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import second_factor
from core.models import Role, User
from incidents.models import Report

pytestmark = pytest.mark.django_db

ROLES = {
    "riley": Role.REPORTER,
    "wren": Role.SUPPORT_WORKER,
    "sam": Role.SUPPORT_WORKER,
    "cora": Role.COORDINATOR,
    "ana": Role.ANALYST,
    "admin": Role.ADMINISTRATOR,
}


@pytest.fixture
def dev(settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.BASE_DIR = tmp_path.parent
    return tmp_path / "demo-accounts.json"


def test_seed_demo_creates_every_role_and_writes_the_accounts_file_privately(dev, capsys):
    call_command("seed_demo")
    rows = json.loads(dev.read_text())
    assert {row["username"]: row["role"] for row in rows} == ROLES
    assert stat.S_IMODE(dev.stat().st_mode) == 0o600
    printed = capsys.readouterr().out
    for row in rows:
        user = User.objects.get(username=row["username"])
        assert user.role == row["role"]
        assert user.check_password(row["password"])
        assert row["password"] in printed
    assert Report.objects.filter(reporter__username="riley").count() >= 2


def test_seed_demo_run_twice_keeps_passwords_and_adds_nothing(dev):
    call_command("seed_demo")
    first = json.loads(dev.read_text())
    reports, users = Report.objects.count(), User.objects.count()
    call_command("seed_demo")
    assert json.loads(dev.read_text()) == first
    assert (Report.objects.count(), User.objects.count()) == (reports, users)


def test_seed_demo_resets_a_password_it_no_longer_knows(dev):
    call_command("seed_demo")
    dev.unlink()
    call_command("seed_demo")
    for row in json.loads(dev.read_text()):
        assert User.objects.get(username=row["username"]).check_password(row["password"])


def test_seed_demo_refuses_to_run_with_debug_off(settings, tmp_path):
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()
    assert not (tmp_path / "demo-accounts.json").exists()


def test_the_development_server_command_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        call_command("devserver")


def test_seed_demo_enrols_each_staff_account_and_writes_its_totp_secret(dev):
    call_command("seed_demo")
    rows = {row["username"]: row for row in json.loads(dev.read_text())}
    for username, role in ROLES.items():
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if role == Role.REPORTER:
            assert device is None
            assert "totp_secret" not in rows[username]
        else:
            assert b32decode(rows[username]["totp_secret"]) == device.bin_key


def test_seed_demo_run_twice_keeps_each_totp_secret(dev):
    call_command("seed_demo")
    first = {row["username"]: row.get("totp_secret") for row in json.loads(dev.read_text())}
    call_command("seed_demo")
    second = {row["username"]: row.get("totp_secret") for row in json.loads(dev.read_text())}
    assert first == second
    assert TOTPDevice.objects.filter(user__username="wren").count() == 1


def test_demo_otp_prints_a_code_the_second_factor_accepts(dev, capsys):
    call_command("seed_demo")
    capsys.readouterr()
    call_command("demo_otp", "cora")
    code = capsys.readouterr().out.strip()
    cora = User.objects.get(username="cora")
    assert second_factor.verify(cora, code) is not None


def test_demo_otp_refuses_an_account_without_an_authenticator(dev):
    call_command("seed_demo")
    with pytest.raises(CommandError, match="no authenticator"):
        call_command("demo_otp", "riley")


def test_demo_otp_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("demo_otp", "cora")
