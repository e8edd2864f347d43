"""Saved plans: the plan file format, its digests and its integrity check.

A saved plan is `Plan.to_dict()` written as JSON (``docs/saved-plans.md`` has the schema).
Format 2 leaves out of each change what reading it back restores anyway (null and empty fields,
the derived ``label``), format 3 also the people of a project change's spec (the tenant's
member changes carry them), format 4 a change's ``diff``, ``data`` or ``observed`` that an
earlier change has too (``shared`` names the two); format 1 (every field spelled out), 2 and
3 files are still read.
Besides the plan itself it carries:

* ``format_version``: `PLAN_FORMAT_VERSION`; a newer one is refused rather than misread;
* ``document_digest``: `document_digest` of the tenant document it was planned from (None when
  the planner was given no document digest), so a pipeline can check that the plan it is about
  to apply belongs to the document that was merged;
* ``digest``: `body_digest` of everything else, so a plan edited by hand (or truncated) is
  refused by `Plan.from_dict` instead of applied.

The digests are ``sha256:<hex>`` over canonical JSON (sorted keys, no whitespace, UTF-8), so
they survive any JSON round trip (files, XCom, Prefect results). They detect edits, they do
not authenticate: anyone who can write the file can recompute them (keep plan artifacts where
only your pipeline writes).

This module imports nothing heavier than `hashlib`/`json`, so `results` can use it freely.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any

from activepieces_core.errors import InvalidRequestError

if TYPE_CHECKING:
    from activepieces_core.tenants.loaders import TenantDocument
    from activepieces_core.tenants.spec import TenantSpec

__all__ = [
    "DIGEST_KEY",
    "PLAN_FORMAT_VERSION",
    "InvalidPlanError",
    "body_digest",
    "canonical_json",
    "canonical_parts",
    "document_digest",
    "is_saved_plan",
    "seal",
    "sealed_text",
    "verify_sealed",
    "verify_sealed_text",
    "write_sealed",
]

#: Version of the saved-plan format this package writes and the newest it reads (4: a value
#: many changes share written once; 3, once per change, project specs without their people;
#: 2, with them, and 1, every field of every change, are read as well).
PLAN_FORMAT_VERSION = 4
#: The key of the body digest in a saved plan.
DIGEST_KEY = "digest"
_PREFIX = "sha256:"


class InvalidPlanError(InvalidRequestError):
    """A saved plan cannot be trusted (edited by hand, truncated, or from a newer version).

    Nothing was sent. Plan again and save the new plan instead of editing the old one.
    """


def canonical_json(data: Any) -> bytes:
    """``data`` as canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _sha256(data: Any) -> str:
    return _PREFIX + hashlib.sha256(canonical_json(data)).hexdigest()


def document_digest(document: TenantDocument | Iterable[TenantSpec]) -> str:
    """Digest of a tenant document (a `TenantDocument`, or its tenant rows alone).

    Taken over the validated rows in order (defaults merged, pieces normalised), the
    declared piece sets and the content of the templates the rows name, so YAML, JSON and CSV spellings of the same tenants, comments and
    whitespace all give the same digest.
    """
    tenants: Iterable[TenantSpec]
    piece_sets: Iterable[Any] = ()
    templates: Mapping[str, Any] = {}
    if isinstance(document, Iterable):
        tenants = document
    else:  # a TenantDocument (not imported at run time: loaders is heavier than this module)
        tenants, piece_sets = document.tenants, document.piece_sets
        templates = document.templates
    # The canonical JSON of {"piece_sets": [...], "templates": {...}, "tenants": [...]} (keys
    # in sorted order), hashed a row at a time: the rows as one list of dicts, then as one
    # string, were ~200 MB at 100,000 tenants, taken when a plan is written out, at its largest.
    sha = hashlib.sha256()
    sets = [piece_set.model_dump(mode="json") for piece_set in piece_sets]
    sha.update(b'{"piece_sets":' + canonical_json(sets) + b",")
    if templates:  # a template's content is part of the document (a document without keeps
        # the digest it always had)
        body = {name: state.to_body() for name, state in sorted(templates.items())}
        sha.update(b'"templates":' + canonical_json(body) + b",")
    sha.update(b'"tenants":[')
    for index, spec in enumerate(tenants):
        sha.update((b"," if index else b"") + canonical_json(spec.model_dump(mode="json")))
    sha.update(b"]}")
    return _PREFIX + sha.hexdigest()


def body_digest(data: Mapping[str, Any]) -> str:
    """Digest of a saved plan's body: every key except ``digest`` itself."""
    return _sha256({k: v for k, v in data.items() if k != DIGEST_KEY})


def seal(data: dict[str, Any]) -> dict[str, Any]:
    """Add the body digest to a plan dict (in place) and return it."""
    data.pop(DIGEST_KEY, None)
    data[DIGEST_KEY] = body_digest(data)
    return data


def is_saved_plan(data: Any) -> bool:
    """True when ``data`` looks like a saved plan rather than a tenant document."""
    return isinstance(data, Mapping) and "format_version" in data and "changes" in data


def verify_sealed(data: Mapping[str, Any]) -> None:
    """Raise `InvalidPlanError` unless ``data`` is an intact saved plan this version can read."""
    if not isinstance(data, Mapping):
        raise InvalidPlanError(f"a saved plan is a JSON object, not {type(data).__name__}")
    _check_version(data)
    recorded = data.get(DIGEST_KEY)
    if not isinstance(recorded, str):
        raise InvalidPlanError("the plan has no digest: save plans with Plan.to_dict()")
    try:
        actual = body_digest(data)
    except (TypeError, ValueError) as exc:  # not JSON-shaped: cannot be a saved plan
        raise InvalidPlanError(f"the plan is not JSON data: {exc}") from exc
    if actual != recorded:
        raise InvalidPlanError(
            "the plan's digest does not match its content: it was edited or damaged after it "
            "was saved; plan again instead of editing a saved plan"
        )


def _check_version(data: Mapping[str, Any]) -> None:
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidPlanError("not a saved plan: no integer 'format_version'")
    if version > PLAN_FORMAT_VERSION:
        raise InvalidPlanError(
            f"the plan has format_version {version}; this version of activepieces-core reads "
            f"up to {PLAN_FORMAT_VERSION} (upgrade it, or plan again)"
        )


def sealed_text(data: Mapping[str, Any]) -> str:
    """A sealed plan dict as the text to save: canonical JSON, so that `verify_sealed_text`
    checks it over its bytes instead of serialising the parsed plan again."""
    return canonical_json(data).decode("utf-8") + "\n"


def write_sealed(
    out: IO[str], changes: Iterable[Mapping[str, Any]], rest: Mapping[str, Any]
) -> str:
    """Write a saved plan to ``out`` exactly as `sealed_text` would, one change at a time.

    ``changes`` yields each change's dict (made as it is written), ``rest`` holds every other
    key but the digest, serialised once every change is written (so a value may be filled in
    as the changes are made: format 4's ``shared``). Returns the digest. Only one change's dict exists at a time: the
    whole plan as one dict, then as one text, was most of the memory a 100,000-tenant
    ``plan --out`` took. The digest sorts after ``changes`` and before every other key, so
    the rest (small) is serialised first and hashed after the changes, before it is written.
    """
    if any(key <= DIGEST_KEY for key in rest):  # then the digest could not follow the changes
        raise ValueError(f"write_sealed: every key of 'rest' must sort after {DIGEST_KEY!r}")

    def text(value: Any) -> str:
        return canonical_json(value).decode("utf-8")

    sha = hashlib.sha256()
    head = '{"changes":['
    out.write(head)
    sha.update(head.encode("utf-8"))
    for index, change in enumerate(changes):
        chunk = ("," if index else "") + text(change)
        out.write(chunk)
        sha.update(chunk.encode("utf-8"))
    tail = "]" + "".join(f",{text(key)}:{text(rest[key])}" for key in sorted(rest)) + "}"
    sha.update(tail.encode("utf-8"))
    digest = _PREFIX + sha.hexdigest()
    out.write(f'],"{DIGEST_KEY}":"{digest}"' + tail[1:] + "\n")
    return digest


#: How every canonical saved plan starts: ``changes`` sorts first.
_CANONICAL_HEAD = '{"changes":['
#: The top-level digest member of canonical text (its last match: it follows the changes, and
#: a quote inside a JSON string is escaped, so no string value can spell it).
_DIGEST_MEMBER = re.compile(r',"digest":"(sha256:[0-9a-f]{64})"')
#: The same, for a plan's bytes (as `tenants apply PLAN.json` reads the file).
_DIGEST_MEMBER_BYTES = re.compile(_DIGEST_MEMBER.pattern.encode())
#: Characters hashed per step when checking text (so no second copy of the whole text exists).
_HASH_CHUNK = 1 << 24


def _canonical_digest(text: str | bytes, start: int, end: int, stop: int) -> str:
    """The digest of ``text[:stop]`` without ``text[start:end]`` (the digest member): bytes
    hashed where they are, text encoded a chunk at a time."""
    sha = hashlib.sha256()
    view = memoryview(text) if isinstance(text, bytes) else None
    for lo, hi in ((0, start), (end, stop)):
        if view is not None:
            sha.update(view[lo:hi])
            continue
        for at in range(lo, hi, _HASH_CHUNK):
            sha.update(str(text[at : min(at + _HASH_CHUNK, hi)]).encode("utf-8"))
    return _PREFIX + sha.hexdigest()


def _digest_member(text: str | bytes, stop: int) -> tuple[int, int, str] | None:
    """Where the top-level digest member of canonical ``text[:stop]`` is, and its digest."""
    if isinstance(text, bytes):
        at = text.rfind(b',"digest":"sha256:', 0, stop)
        found_bytes = _DIGEST_MEMBER_BYTES.match(text, max(0, at), stop)
        if found_bytes is None:
            return None
        return found_bytes.start(), found_bytes.end(), found_bytes.group(1).decode("ascii")
    found = _DIGEST_MEMBER.match(text, max(0, text.rfind(',"digest":"sha256:', 0, stop)), stop)
    return None if found is None else (found.start(), found.end(), found.group(1))


def canonical_parts(text: str | bytes) -> tuple[dict[str, Any], list[Any]] | None:
    """A canonical saved plan's text (as `write_sealed` writes it; or its UTF-8 bytes, as read
    from a file), verified, as its keys but ``changes`` and the list of its changes (parsed,
    not validated: only the caller holds them, so it can let each go once built); None for
    any other text (indented, reordered, edited, not a
    plan), which the caller checks in full (`verify_sealed_text`).

    Verified before it is parsed: the text without its digest member must hash to that digest
    (one pass of SHA-256, the check `verify_sealed_text` makes), and its ``format_version``
    must be one this package reads. Parsed once, by `pydantic_core.from_json` with its string
    cache: the kinds, actions, keys and ids a plan repeats on every change come out as one
    string each (a tenth less memory than `json.loads`, and faster). A caller that builds each
    change's model as it takes it never holds the plan as dicts and as models at once. Bytes
    are neither decoded nor encoded to be hashed (a third of a second at 100,000 tenants).
    """
    # The text without its final newlines, as offsets: `rstrip` would copy the whole text
    # (124 MB at 100,000 tenants) while the caller still holds it.
    newline, head = ("\n", _CANONICAL_HEAD) if isinstance(text, str) else (b"\n", b'{"changes":[')
    stop = len(text)
    while stop and text[stop - 1 : stop] == newline:
        stop -= 1
    if not text.startswith(head):  # type: ignore[arg-type]  # both str, or both bytes
        return None
    member = _digest_member(text, stop)
    if member is None:
        return None
    start, end, recorded = member
    if _canonical_digest(text, start, end, stop) != recorded:
        return None
    from pydantic_core import from_json  # what pydantic parses JSON with: no import cost here

    try:
        data = from_json(text, allow_inf_nan=False, cache_strings="all")
    except ValueError as exc:  # bytes that are not UTF-8 too
        raise InvalidPlanError(f"the plan is not JSON data: {exc}") from exc
    changes = data.pop("changes", None) if isinstance(data, dict) else None
    if not isinstance(changes, list):
        raise InvalidPlanError("the plan's changes are not a list")
    _check_version(data)
    return data, changes


def verify_sealed_text(text: str, data: Any) -> None:
    """`verify_sealed` of ``data``, parsed from ``text``, with a shortcut for canonical text.

    A plan saved by `sealed_text` is its body's canonical JSON with the ``digest`` member put
    in: the text without that member hashes to the digest, so the check is one pass of
    SHA-256 over bytes already read (a 100,000-tenant plan is ~200 MB of JSON: serialising it
    again took longer than parsing it). Any other text (indented, keys in another order,
    edited) takes the full check over ``data``: the shortcut never refuses anything itself, and
    accepts only what the full check accepts (short of a digest computed on purpose over
    non-canonical text: digests detect edits, they do not authenticate).
    """
    recorded = data.get(DIGEST_KEY) if isinstance(data, Mapping) else None
    if isinstance(recorded, str):
        member = f',"{DIGEST_KEY}":"{recorded}"'
        at = text.rfind(member)  # the top-level key: it follows the changes in sorted order
        if at >= 0:
            body = text[:at] + text[at + len(member) :]
            digest = hashlib.sha256(body.rstrip("\n").encode("utf-8")).hexdigest()
            if _PREFIX + digest == recorded:
                _check_version(data)
                return
    verify_sealed(data)
