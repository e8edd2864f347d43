"""The emulator's ids, tokens and timestamps: shaped like upstream's, and a seed's sequence is the
one it always was (tests' expectations follow it), however fast they are drawn."""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone

from activepieces_core._json import dumps, loads
from activepieces_core.testing._ids import ALPHABET, IdGenerator, now_iso, request_id
from activepieces_core.testing.records import json_copy

AP_ID = re.compile(r"^[0-9A-Za-z]{21}$")


def test_a_seed_draws_what_random_choices_and_choice_draw() -> None:
    ids, reference = IdGenerator(7), random.Random(7)
    for _ in range(50):
        assert ids.new_id() == "".join(reference.choices(ALPHABET, k=21))
        assert ids.api_key() == "sk-" + "".join(reference.choices(ALPHABET, k=61))
        assert ids.text(43) == "".join(reference.choice(ALPHABET) for _ in range(43))
        assert ids.choice(("RED", "BLUE")) == reference.choice(("RED", "BLUE"))


def test_request_ids_are_ap_ids_after_req_() -> None:
    drawn = {request_id() for _ in range(500)}
    assert len(drawn) == 500
    assert all(r.startswith("req_") and AP_ID.match(r[4:]) for r in drawn)
    # Every character of the alphabet turns up: the byte mapping covers it all.
    assert set("".join(r[4:] for r in drawn)) == set(ALPHABET)


def test_now_iso_is_utc_to_the_millisecond() -> None:
    before = datetime.now(timezone.utc)
    stamp = now_iso()
    after = datetime.now(timezone.utc)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= moment <= after


def test_json_copy_shares_nothing_mutable() -> None:
    value = {"a": [1, {"b": ["c"]}], "t": ({"d": 1},), "s": "x"}
    copied = json_copy(value)
    assert copied == value
    assert copied["a"] is not value["a"]
    assert copied["a"][1] is not value["a"][1]
    assert copied["t"][0] is not value["t"][0]


def test_dumps_is_compact_json_and_loads_reads_it_back() -> None:
    value = {"é": '\u2028\x00"\\/', "n": [1, 2.5, None, True], "big": 2**70, "f": 1e21}
    text = dumps(value)
    assert text == (
        b'{"\xc3\xa9":"\xe2\x80\xa8\\u0000\\"\\\\/","n":[1,2.5,null,true],'
        b'"big":1180591620717411303424,"f":1e+21}'
    )
    assert loads(text) == value
    assert dumps({1: "non-string key"}) == b'{"1":"non-string key"}'
