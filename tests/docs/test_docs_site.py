"""The documentation site builds strictly, and its API reference covers the public surface.

``mkdocs build --strict`` fails on a broken link or anchor, a page left out of the nav, a
reference that does not resolve and a docstring griffe cannot parse. The reference must hold
every public class and function of the three packages: a new public module that no reference
page renders fails here, naming it. The build is the session's ``docs_site`` (tests/conftest.py),
which the browser test serves too.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "activepieces_core": ROOT / "core" / "src",
    "activepieces_provider": ROOT / "airflow_provider" / "src",
    "prefect_activepieces": ROOT / "prefect_collection" / "src",
}


def _inventory(site: Path) -> set[str]:
    """Names in the site's ``objects.inv`` (Sphinx inventory v2: 4 header lines, then zlib)."""
    raw = (site / "objects.inv").read_bytes()
    body = raw.split(b"\n", 4)[4]
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines()}


def _public_modules(module: griffe.Module) -> list[griffe.Module]:
    found = [module]
    for member in module.modules.values():
        if not member.name.startswith("_"):
            found += _public_modules(member)
    return found


def public_api() -> dict[str, str]:
    """Every public class and function defined in a public module: path -> its module."""
    api: dict[str, str] = {}
    for package, src in SOURCES.items():
        root = griffe.load(package, search_paths=[str(src)], resolve_aliases=False)
        assert isinstance(root, griffe.Module)
        for module in _public_modules(root):
            for member in module.members.values():
                if member.is_alias or not member.is_public:
                    continue
                if member.kind in (griffe.Kind.CLASS, griffe.Kind.FUNCTION):
                    api[member.path] = module.path
    return api


def test_site_builds_strictly(docs_site: Path) -> None:
    for page in ("index.html", "piece-sets-guide/index.html", "reference/tenants/index.html"):
        assert (docs_site / page).is_file(), page
    assert (docs_site / "search" / "search_index.json").is_file()


def test_reference_holds_every_public_class_and_function(docs_site: Path) -> None:
    documented = _inventory(docs_site)
    api = public_api()
    assert len(api) > 200, f"only {len(api)} public names found: is the walk broken?"
    missing = sorted(
        f"{path} (module {module})" for path, module in api.items() if path not in documented
    )
    assert not missing, (
        "not in the API reference (add the module to a docs/reference page):\n" + "\n".join(missing)
    )


def test_reference_pages_show_docstrings(docs_site: Path) -> None:
    html = (docs_site / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    assert "activepieces_core.client.ActivepiecesClient" in html
    assert "from_env" in html
    assert "ACTIVEPIECES_API_KEY" in html
