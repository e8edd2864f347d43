"""Responses parse the same whatever JSON codec is installed: what a faster codec refuses
and the standard library reads (NaN, a byte-order mark), the client still reads, and
integers beyond 64 bits stay integers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from activepieces_core._json import loads


async def test_metadata_beyond_64_bits_comes_back_as_it_was_sent(api: Any) -> None:
    metadata = {"big": 2**70, "negative": -(2**65), "small": 1, "text": "é\u2028"}
    created = await api.create("Big numbers", external_id="big-numbers", metadata=metadata)
    assert created.metadata == metadata
    assert (await api.get(created.id)).metadata == metadata


@pytest.mark.parametrize(
    "text",
    [
        b'{"n": 1180591620717411303424}',
        b'{"lone": "\\ud800"}',
        b"1e400",
        b'\xef\xbb\xbf{"bom": 1}',
        '{"a": 1, "a": 2}',
        b'[1, 2.5, null, true, "\xc3\xa9"]',
        '{"text": "already decoded"}',
    ],
)
def test_loads_reads_what_the_standard_library_reads(text: bytes | str) -> None:
    assert loads(text) == json.loads(text)


@pytest.mark.parametrize("digits", ["1180591620717411303425", "-36893488147419103233"])
def test_integers_beyond_64_bits_are_read_exactly(digits: str) -> None:
    for text in (f'{{"n": {digits}}}', f'{{"n": {digits}}}'.encode()):
        value = loads(text)["n"]
        assert type(value) is int
        assert value == int(digits)


def test_loads_reads_nan_and_refuses_what_is_not_json() -> None:
    assert math.isnan(loads(b'{"x": NaN}')["x"])
    for bad in (b"not json", b'{"a": 1', b"\xff\xfe"):
        with pytest.raises(ValueError):
            loads(bad)


def test_the_faster_codecs_load_on_first_use_not_with_the_client() -> None:
    script = textwrap.dedent(
        """
        import sys
        from activepieces_core import ActivepiecesClient, AsyncActivepiecesClient
        from activepieces_core._json import dumps, loads
        print(sorted(m for m in ("orjson", "msgspec") if m in sys.modules))
        loads(b"{}")
        dumps({})
        print(sorted(m for m in ("orjson", "msgspec") if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    before, after = done.stdout.splitlines()
    assert before == "[]"
    assert after == "['msgspec', 'orjson']"  # both installed in the test environment
