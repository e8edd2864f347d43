"""The archive store's write on a local directory: atomic (a temporary file beside the archive,
renamed over it) and, when the write fails, nothing half written left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activepieces_core.models.contents import ProjectState
from activepieces_core.tenants.archive import (
    ArchiveStore,
    InvalidArchiveError,
    TenantArchive,
    archive_name,
)
from activepieces_core.tenants.archive.store import ArchiveError
from activepieces_core.tenants.saved import body_digest


def _archive(external_id: str) -> TenantArchive:
    state = ProjectState(source_activepieces_version="0.70.0").to_body(copy_flows=False)
    return TenantArchive(
        tenant={"external_id": external_id},
        project={"id": "p-1", "externalId": external_id},
        state=state,
        platform_url="http://platform.example/api",
    )


def test_a_written_archive_reads_back_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = ArchiveStore(tmp_path)
    written = store.write(_archive("acme"))
    assert written.location == f"{tmp_path}/{archive_name('acme')}"
    assert store.read("acme").external_id == "acme"
    assert sorted(p.name for p in tmp_path.iterdir()) == [archive_name("acme")]


def test_a_store_on_a_given_file_system_writes_under_its_root_and_shows_its_url() -> None:
    """`ArchiveStore.on_filesystem`: the file system given (e.g. an orchestrator's, carrying a
    connection's credentials) is the one written to; locations read as the URL given."""
    from fsspec.implementations.memory import MemoryFileSystem

    fs = MemoryFileSystem()
    store = ArchiveStore.on_filesystem(fs, "/tenants-x/archives/", url="conn://bucket/archives/")
    written = store.write(_archive("acme"))
    assert written.location == f"conn://bucket/archives/{archive_name('acme')}"
    assert fs.exists(f"/tenants-x/archives/{archive_name('acme')}")
    assert store.read("acme").external_id == "acme"


def test_a_failed_rename_removes_its_temporary_file(tmp_path: Path) -> None:
    """The rename over the archive's name fails (a non-empty directory holds it): the write
    raises `ArchiveError`, and the temporary file it wrote is gone."""
    blocker = tmp_path / archive_name("acme")
    blocker.mkdir()
    (blocker / "keep").write_text("x")
    with pytest.raises(ArchiveError, match="archive not written to"):
        ArchiveStore(tmp_path).write(_archive("acme"))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("version", [None, "1", True, 1.0])
def test_an_archive_without_an_integer_format_version_is_refused(version: object) -> None:
    data = _archive("acme").to_dict()
    if version is None:
        del data["format_version"]
    else:
        data["format_version"] = version
    raw = json.dumps(data).encode("utf-8")
    with pytest.raises(InvalidArchiveError, match="no integer format_version: not an archive"):
        TenantArchive.decode(raw, source="a.json")


def test_an_edited_archive_is_refused_by_its_digest(tmp_path: Path) -> None:
    """Valid JSON, the recorded digest kept, one field changed by hand: refused on read."""
    store = ArchiveStore(tmp_path)
    store.write(_archive("acme"))
    path = tmp_path / archive_name("acme")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["project"]["id"] = "p-2"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidArchiveError, match="digest does not match its content"):
        store.read("acme")


@pytest.mark.parametrize(
    ("field", "value"),
    [("tenant", {"display_name": "no external id"}), ("state", {"flows": "not a list"})],
)
def test_a_whole_archive_with_an_invalid_row_or_body_is_refused(field: str, value: object) -> None:
    """Its digest matches (written that way), but the tenant row or the replace body would not
    restore: `InvalidArchiveError`, not a validation error from deep inside."""
    data = _archive("acme").to_dict()
    data[field] = value
    data["digest"] = body_digest(data)
    with pytest.raises(InvalidArchiveError, match=r"a\.json: not a valid archive"):
        TenantArchive.decode(json.dumps(data).encode("utf-8"), source="a.json")
