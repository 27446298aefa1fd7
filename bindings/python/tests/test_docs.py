"""The Python examples in the docs run (from the repository root, as the docs say)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO

DOCS = [REPO / "docs" / "python.md", REPO / "docs" / "planning.md", REPO / "bindings" / "python" / "README.md"]


def blocks() -> list[object]:
    out = []
    for doc in DOCS:
        for i, code in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)):
            out.append(pytest.param(doc, code, id=f"{doc.relative_to(REPO)}#{i}"))
    return out


@pytest.mark.parametrize(("doc", "code"), blocks())
def test_doc_example_runs(doc: Path, code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    exec(compile(code, str(doc), "exec"), {"__name__": "__doc_example__"})
    capsys.readouterr()


def test_every_doc_has_an_example() -> None:
    assert {p.values[0] for p in blocks()} == set(DOCS)  # type: ignore[attr-defined]
