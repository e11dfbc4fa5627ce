"""The README, CONTRIBUTING and docs/ point only at files in the repository.

A reader sent to a file that is not there (a path renamed in a refactor, a note kept outside the
repository) is lost; so every backticked path that starts at a top-level folder of the repository
must exist, and nothing may send the reader out of it (``../shared/``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").glob("*.md")])
# Top-level entries of the repository a path may start from (a backticked `var/` or `file://` is
# not a repository path).
TOP_LEVEL = {p.name for p in ROOT.iterdir() if not p.name.startswith(".") or p.name == ".ci"} - {".venv"}
# Paths the docs name that are made when the project runs, never committed.
GENERATED = {"tests/browser/screenshots"}
FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
BACKTICKED = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
# A placeholder or a glob: the path is checked up to the segment before it.
PLACEHOLDER = re.compile(r"[<>{}*?…\[\]]")


def _paths(text: str) -> list[str]:
    text = FENCED.sub("", text)
    found = [m.group(1) for m in BACKTICKED.finditer(text)]
    found += [m.group(1) for m in LINK.finditer(text) if "://" not in m.group(1)]
    paths = []
    for token in found:
        token = token.rstrip(".,;:)")
        first = token.split("/", 1)[0]
        if "/" in token and first in TOP_LEVEL:
            paths.append(token)
    return paths


def _exists(path: str) -> bool:
    segments = path.rstrip("/").split("/")
    for i, segment in enumerate(segments):
        if PLACEHOLDER.search(segment):
            segments = segments[:i]
            break
    kept = "/".join(segments)
    if any(kept == g or kept.startswith(g + "/") for g in GENERATED):
        return True
    return (ROOT / kept).exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_points_only_inside_the_repository(doc: Path) -> None:
    """No ``../shared/`` (or any other ``../``) path: everything a reader needs is in the repo."""
    text = doc.read_text(encoding="utf-8")
    assert "../shared/" not in text
    assert not re.search(r"`\.\./", text), "a backticked path leaves the repository"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_a_doc_names_exists(doc: Path) -> None:
    """`valuation/engine/terms.py` and its like exist; `tests/<area>/` is checked up to `tests/`."""
    missing = sorted({p for p in _paths(doc.read_text(encoding="utf-8")) if not _exists(p)})
    assert not missing, f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_the_checker_sees_a_missing_path() -> None:
    """The parser finds backticked paths and links, and tells a missing one from a placeholder."""
    paths = _paths("See `valuation/engine/terms.py`, `tests/<area>/`, [x](docs/nowhere.md), `/api/x/`.")
    assert paths == ["valuation/engine/terms.py", "tests/<area>/", "docs/nowhere.md"]
    assert _exists("valuation/engine/terms.py") and _exists("tests/<area>/")
    assert not _exists("docs/nowhere.md")


def test_the_docs_exist() -> None:
    assert (ROOT / "docs" / "domain.md").is_file()
    assert (ROOT / "docs" / "architecture.md").is_file()
