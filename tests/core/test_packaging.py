"""`pip install .` installs a site that works: the wheel holds every app's templates, static files
and data, not only its Python modules."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "incidents", "support", "insights", "api")
SHIPPED = ("templates", "static", "data")


def _tracked_files() -> set[str]:
    """Every file of an app's templates, static or data folder the repository holds."""
    listed = subprocess.run(  # noqa: S603
        ["git", "ls-files", *APPS],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {name for name in listed if Path(name).parts[1] in SHIPPED}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # noqa: S603  (our own interpreter, offline, without dependencies)
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("recourse-*.whl")
    with zipfile.ZipFile(built) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_template_static_file_and_data_file(wheel):
    expected = _tracked_files()

    assert any("/templates/" in name for name in expected)  # the control: there are some
    assert any("/static/" in name for name in expected)
    assert "support/data/resources.json" in expected
    assert sorted(expected - wheel) == []


def test_the_wheel_holds_no_tests_benches_or_local_state(wheel):
    top_level = {name.split("/", 1)[0] for name in wheel}

    assert not top_level & {"tests", "bench", "var", "docs", "deploy", "scripts"}
