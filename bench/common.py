"""What the benches share: their own block of docs/performance.md, and cleaning up after them.
Import only after django.setup() (bench.settings)."""

import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection

from bench.settings import BENCH_DIR

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def write_block(name: str, text: str) -> None:
    """Replace the bench's `<!-- name:start/end -->` block in docs/performance.md, or append it:
    the rest of the page belongs to bench/case_list.py (which rewrites it whole) and the others."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if start in doc and end in doc.split(start, 1)[1]:
        before, rest = doc.split(start, 1)
        after = rest.split(end, 1)[1]
    else:
        before, after = doc.rstrip("\n") + "\n\n", "\n"
    DOC.write_text(f"{before}{start}\n{text.rstrip()}\n{end}{after}", encoding="utf-8")


def remove_temporary_folders() -> None:
    """The throwaway database (bench.settings) and the throwaway keyring folder the test settings
    create on first use (core.settings_test), both made by this process."""
    connection.close()
    shutil.rmtree(BENCH_DIR)
    keyring_dir = Path(settings.RECOURSE_KEYRING_FILE or "").parent
    if keyring_dir.name.startswith("recourse-test-"):
        shutil.rmtree(keyring_dir, ignore_errors=True)
