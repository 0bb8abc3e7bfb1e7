"""Each numbered security property has its own test file here, named after it, and
docs/security.md lists them all: a property without a test that can fail does not hold."""

import ast
import re
from pathlib import Path

HERE = Path(__file__).parent
DOC = HERE.parents[1] / "docs" / "security.md"
PROPERTIES = range(1, 25)
FILE_NAME = re.compile(r"test_p(\d\d)(?:_to_p(\d\d))?_\w+\.py")


def _test_count(path: Path) -> int:
    tree = ast.parse(path.read_text())
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    )


def _files_by_property() -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    for path in sorted(HERE.glob("test_p[0-9]*.py")):
        match = FILE_NAME.fullmatch(path.name)
        assert match, f"{path.name} is not named test_pNN_… or test_pNN_to_pMM_…"
        first = int(match.group(1))
        last = int(match.group(2) or first)
        for number in range(first, last + 1):
            found.setdefault(number, []).append(path)
    return found


def test_every_property_has_a_test_file_named_after_it_with_tests_in_it():
    found = _files_by_property()
    assert set(found) == set(PROPERTIES)
    for number, paths in found.items():
        assert all(_test_count(path) > 0 for path in paths), number


def test_the_security_doc_lists_every_property_with_files_that_exist():
    rows = {}
    for line in DOC.read_text().splitlines():
        match = re.match(r"\|\s*(\d+)\s*\|[^|]*\|(.*)\|\s*$", line)
        if match:
            rows[int(match.group(1))] = re.findall(r"`(test_p[\w.]+\.py)`", match.group(2))
    assert set(rows) == set(PROPERTIES)
    found = _files_by_property()
    for number, names in rows.items():
        assert names, number
        assert {HERE / name for name in names} <= set(found[number]), number
