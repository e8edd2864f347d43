"""The key scan the deployment tests rely on finds the key in every form it looks for."""

from __future__ import annotations

import base64
from pathlib import Path

from deploy_support import key_hits

KEY = "sk-DEPLOYTESTscanMe0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"


def test_key_scan_finds_raw_stripped_and_base64_keys(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "clean.log").write_text("sk-*** masked, nothing to see\n")
    (tmp_path / "logs" / "raw.log").write_text(f"Authorization: Bearer {KEY}\n")
    (tmp_path / "stripped.txt").write_text(KEY.removeprefix("sk-"))
    for shift in range(3):
        encoded = base64.b64encode(b"x" * shift + f"{KEY}:".encode())
        (tmp_path / f"basic{shift}.log").write_bytes(b"Basic " + encoded)
    (tmp_path / "airflow.db").write_bytes(b"\x00SQLite\x00" + KEY.encode() + b"\x00")
    # pg_dump writes a bytea column (a pickled Celery result, say) as hex
    (tmp_path / "airflow.sql").write_text(f"COPY t (v) FROM stdin;\n\\\\x{KEY.encode().hex()}\n")

    hits = key_hits(tmp_path, KEY)

    assert set(hits) == {
        "logs/raw.log",
        "stripped.txt",
        "basic0.log",
        "basic1.log",
        "basic2.log",
        "airflow.db",
        "airflow.sql",
    }
    assert key_hits(tmp_path / "logs", "sk-someOtherKey0123456789") == {}
