"""The replace route's own error answers (upstream ``project-replace.controller.ts``, bodies
without ``code``) as the client's typed errors: their message names what to fix, item by item,
and a 409's ``retryAfter`` is the wait it carries."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core.errors import (
    PieceInstallError,
    ReplaceInProgressError,
    ReplacePreflightError,
    error_from_response,
)


def test_a_preflight_error_names_its_kind_message_and_fields() -> None:
    item = {
        "kind": "AP_VERSION_MISMATCH",
        "sourceVersion": "99.0.0",
        "destVersion": "0.70.0",
        "message": "Major version mismatch (source major=99, dest major=0)",
    }
    piece = {
        "kind": "PIECE_VERSION_MISMATCH",
        "pieceName": "@activepieces/piece-slack",
        "sourceVersion": "0.2.0",
        "destVersion": "0.1.0",
        "note": None,  # an empty field is left out
    }
    bare = {"kind": "AP_VERSION_MISMATCH", "message": "Cannot parse versions"}
    error = error_from_response(422, {"errors": [item, piece, bare]})
    assert isinstance(error, ReplacePreflightError)
    assert str(error) == (
        "422: replace preflight failed, nothing written: "
        "AP_VERSION_MISMATCH: Major version mismatch (source major=99, dest major=0) "
        "(sourceVersion=99.0.0, destVersion=0.70.0); "
        "PIECE_VERSION_MISMATCH: pieceName=@activepieces/piece-slack, sourceVersion=0.2.0, "
        "destVersion=0.1.0; "
        "AP_VERSION_MISMATCH: Cannot parse versions"
    )


@pytest.mark.parametrize("status", [400, 500])
def test_only_a_422_with_errors_is_a_preflight_failure(status: int) -> None:
    error = error_from_response(status, {"errors": [{"kind": "AP_VERSION_MISMATCH"}]})
    assert not isinstance(error, ReplacePreflightError)


def test_an_install_failure_names_the_piece_first() -> None:
    failure = {
        "pieceName": "@acme/piece-crm",
        "version": "1.0.0",
        "pieceType": "CUSTOM",
        "message": "no such package",
    }
    error = error_from_response(502, {"failures": [failure]})
    assert isinstance(error, PieceInstallError)
    assert str(error) == (
        "502: a required piece could not be installed: "
        "@acme/piece-crm: no such package (pieceName=@acme/piece-crm, version=1.0.0, "
        "pieceType=CUSTOM)"
    )


@pytest.mark.parametrize(
    ("retry_after", "header", "expected"),
    [
        (5, None, 5.0),  # upstream's controller answers retryAfter: 5
        (0.5, None, 0.5),  # a fraction of a second is kept
        (0, None, 0.0),
        (-3, None, 0.0),  # a negative hint is no wait, not a negative one
        (None, "7", 7.0),  # no body hint: the Retry-After header
        (True, "7", 7.0),  # a bool is not a number of seconds
        ("5", None, None),  # neither: the client's own backoff applies
    ],
)
def test_a_409_in_progress_carries_its_retry_after(
    retry_after: Any, header: str | None, expected: float | None
) -> None:
    body: dict[str, Any] = {"error": "REPLACE_IN_PROGRESS"}
    if retry_after is not None:
        body["retryAfter"] = retry_after
    error = error_from_response(409, body, retry_after=header)
    assert isinstance(error, ReplaceInProgressError)
    assert error.retry_after == expected
