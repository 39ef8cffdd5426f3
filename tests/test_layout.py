"""Dependencies run one way: taxonomy <- assessments <- teams <- identity <- api. config is
below them all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may not import: anything above it in the chain.
ABOVE = {
    "config": {"taxonomy", "assessments", "teams", "identity", "api"},
    "taxonomy": {"assessments", "teams", "identity", "api"},
    "assessments": {"teams", "identity", "api"},
    "teams": {"identity", "api"},
    "identity": {"api"},
}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(ABOVE))
def test_no_module_imports_an_app_above_its_own(package):
    upward = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & ABOVE[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {name: found for name, found in upward.items() if found} == {}


def test_no_template_of_a_lower_app_names_a_higher_apps_urls():
    for path in (ROOT / "templates" / "taxonomy").rglob("*.html"):
        assert "assessments:" not in path.read_text() and "teams:" not in path.read_text(), path
        assert "api:" not in path.read_text(), path
    for path in (ROOT / "templates" / "assessments").rglob("*.html"):
        assert "teams:" not in path.read_text(), path
    for path in (ROOT / "templates").rglob("*.html"):
        if path.parent.name != "registration":  # the sign-in page offers single sign-on
            assert "identity:" not in path.read_text(), path
