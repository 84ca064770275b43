"""The layering ARCHITECTURE.md agrees on, read from the source: every import statement, at any depth of a module.

The project package (newsblog/) wires the processes together and imports no app; the reading side (articles/)
never reaches into the ingest pipeline (feeds/ingest/); untrusted/ (the sanitize policy both sides use) imports
no app at all. Apps use the project package only for settings and the process-wide metrics.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("articles", "feeds", "operations")
# The metric objects are made once per process, before Django's set-up (newsblog/metrics/__init__.py says why).
PROJECT_MODULES_APPS_MAY_USE = ("newsblog.settings", "newsblog.metrics")


def imported_modules(path: Path, root: Path) -> set[str]:
    """Every name a file imports, spelled in full: "from a.b import c" is a.b.c, whether c is a module or not."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(f"{package}.") for package in packages)


def imports_from(package: str, *, into: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """ "file: name" for each import, in the package's Python files, of a name under one of `into`."""
    lines = []
    for path in sorted((root / package).rglob("*.py")):
        for module in sorted(imported_modules(path, root)):
            if under(module, into):
                lines.append(f"{path.relative_to(root)}: {module}")
    return lines


def test_the_project_package_imports_no_app():
    assert imports_from("newsblog", into=(*APPS, "untrusted")) == []


def test_the_reading_side_never_imports_the_ingest_pipeline():
    assert imports_from("articles", into=("feeds.ingest",)) == []


def test_the_sanitize_policy_both_sides_use_imports_no_app_and_not_the_project():
    assert imports_from("untrusted", into=(*APPS, "newsblog")) == []


def test_apps_use_the_project_package_for_settings_and_metrics_only():
    for app in APPS:
        used = imports_from(app, into=("newsblog",))
        assert [line for line in used if not under(line.split(": ")[1], PROJECT_MODULES_APPS_MAY_USE)] == [], app


def test_the_checks_see_late_and_relative_imports_too(tmp_path):
    """A layering test that cannot fail is no test: imports inside functions and relative ones are found."""
    package = tmp_path / "newsblog"
    package.mkdir()
    (package / "late.py").write_text("def view():\n    from articles.popularity import trending\n    return trending\n")
    (tmp_path / "articles" / "popularity").mkdir(parents=True)
    near = tmp_path / "articles" / "popularity" / "near.py"
    near.write_text("from ..models import Article\nfrom . import counter\nimport feeds.ingest.parse\n")
    assert imports_from("newsblog", into=APPS, root=tmp_path) == ["newsblog/late.py: articles.popularity.trending"]
    assert imports_from("articles", into=("feeds.ingest",), root=tmp_path) == [
        "articles/popularity/near.py: feeds.ingest.parse"
    ]
    assert imported_modules(near, tmp_path) == {
        "articles.models.Article",
        "articles.popularity.counter",
        "feeds.ingest.parse",
    }
