"""The code blocks of the documentation pages, as the docs test runs them.

A page's fenced ``python`` and ``bash`` blocks run in order, in one working directory, against
one emulator started for that page. An HTML comment on the line before a fence (invisible on
the site) says how a block is treated:

- ``<!-- docs-test: skip REASON -->``: not run (a real deployment, a long-running server); the
  reason is required and names where the same thing is tested.
- ``<!-- docs-test: imports-only -->``: only the block's imports run (they must resolve).
- ``<!-- docs-test: client -->``: a snippet that uses ``client`` runs after
  ``client = ActivepiecesClient.from_env()`` (:data:`CLIENT_PRELUDE`).
- ``<!-- docs-test: file NAME -->`` before a ``yaml``/``json``/``csv``/``text`` block: written to
  ``NAME`` in the working directory, for the blocks after it.
- ``<!-- docs-test: setup NAME ... -->``: the emulator is prepared by :data:`SETUPS` ``[NAME]``
  before the block runs (projects the example reads, a platform flag).

Placeholders the pages show (``https://ap.example.com``, ``sk-...``) become the emulator's
URL and key; ``ACTIVEPIECES_URL`` and ``ACTIVEPIECES_API_KEY`` are set to them too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs"
RUNNABLE = {"python", "bash"}
FILE_LANGS = {"yaml", "json", "csv", "text"}

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<info>[^`\n]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<what>[a-z-]+)\s*(?P<arg>.*?)\s*-->\s*$")
_DIRECTIVES = {"skip", "imports-only", "file", "setup", "client"}
#: What a ``client`` block runs first.
CLIENT_PRELUDE = (
    "from activepieces_core import ActivepiecesClient\nclient = ActivepiecesClient.from_env()\n"
)


@dataclass(frozen=True)
class Block:
    """One fenced block of a page."""

    page: str
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    directive: str | None = None
    arg: str = ""

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def blocks(path: Path) -> Iterator[Block]:
    """The fenced blocks of ``path`` with the directive on the line before each, if any."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(DOCS).as_posix()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        lang = opening["info"].strip().split(" ")[0].strip("{}.").lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        directive, arg = None, ""
        previous = lines[i - 1] if i > 0 else ""
        found = _DIRECTIVE.match(previous)
        if found is not None:
            directive, arg = found["what"], found["arg"]
            if directive not in _DIRECTIVES:
                raise ValueError(f"docs/{page}:{i}: unknown docs-test directive {directive!r}")
        yield Block(page, i + 1, lang, "\n".join(body) + "\n", directive, arg)
        i = j + 1


def pages() -> list[Path]:
    """Every page written by hand (the API reference pages hold no examples)."""
    return sorted(p for p in DOCS.rglob("*.md") if "reference" not in p.relative_to(DOCS).parts)


def with_emulator(code: str, url: str, key: str) -> str:
    """The block with the pages' placeholders replaced by the emulator's address and key."""
    base = url.removesuffix("/api/v1")
    code = code.replace("https://ap.example.com/api/v1", url)
    code = code.replace("https://ap.example.com", base)
    return code.replace("sk-...", key)


def _projects(emu: Any) -> None:
    """The projects the client and contents examples read."""
    emu.state.add_project("Acme Corp", external_id="acme")
    emu.state.add_project("Template", external_id="template")


def _piece_sets(emu: Any) -> None:
    emu.state.configure_platform(manage_pieces_enabled=True)


def _contents(emu: Any) -> None:
    emu.state.configure_platform(environments_enabled=True)
    _projects(emu)


#: Emulator set-ups a block can ask for with ``<!-- docs-test: setup NAME ... -->``.
SETUPS: dict[str, Callable[[Any], None]] = {
    "projects": _projects,
    "piece-sets": _piece_sets,
    "contents": _contents,
}
