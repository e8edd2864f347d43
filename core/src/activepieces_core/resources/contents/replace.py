"""``client.projects.replace``: ``POST /v1/projects/:id/replace`` with typed outcomes.

Upstream (``packages/server/api/src/app/ee/projects/project-replace/``: the controller @
098b2e9d7a558433647768b705d684a01a371106, the service @ 03c3239ede00278eaee947155e335c0cae1f8564):

* 200 applied, 207 the same body with ``failed`` items: both return a `ReplaceResult`;
* 409 ``{error: REPLACE_IN_PROGRESS, retryAfter}`` while another replace of the project runs:
  wait ``retryAfter`` seconds (capped by ``backoff_max``) and send again, at most
  ``max_retries`` times, then `ReplaceInProgressError`;
* 422 ``{errors}``: `ReplacePreflightError` (nothing written); 502 ``{failures}``:
  `PieceInstallError` (nothing but pieces touched); 402: `FeatureDisabledError`.

Replace is idempotent: every item is matched by ``externalId`` and the server diffs the body
with the live project first, so the same body sent twice leaves the project as once and the
second answer counts it all unchanged (the service's own note: "recovery is by re-run").
So after an ambiguous failure (timeout, dropped connection, 5xx) the body is simply sent again
under the client's retry policy, as a read is: no read-back is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from activepieces_core._http import Call, Sleep, path_of
from activepieces_core.errors import InvalidStateError, ReplaceInProgressError
from activepieces_core.models import Project
from activepieces_core.models.contents import ProjectState, ReplaceResult
from activepieces_core.resources._base import Op, parse
from activepieces_core.resources.contents._ops import project_id
from activepieces_core.retries import RetryPolicy

__all__ = ["StateLike", "as_state", "replace"]

#: What ``replace`` takes: a `ProjectState`, or a replace body (validated first).
StateLike = ProjectState | Mapping[str, Any]


def as_state(state: StateLike) -> ProjectState:
    """``state`` as a validated `ProjectState` (`InvalidStateError` before any request)."""
    if isinstance(state, ProjectState):
        return state
    if isinstance(state, Mapping):
        return ProjectState.from_body(state)
    raise InvalidStateError(
        f"state must be a ProjectState or a replace body, not {type(state).__name__}"
    )


def replace(project: Project | str, state: StateLike, policy: RetryPolicy) -> Op[ReplaceResult]:
    """Make the project's flows, tables, folders and connection references those of
    ``state`` (see the module docstring for the outcomes and the retry rule)."""
    path = path_of("projects", project_id(project), "replace")
    body = as_state(state).wire_body  # the same state to many projects: encoded once
    waited = 0
    while True:
        try:
            # "read": resent after any transient failure, since replace is idempotent.
            answer = yield Call("POST", path, body=body, retry="read")
        except ReplaceInProgressError as exc:
            waited += 1
            if waited > policy.max_retries:
                raise
            hint = exc.retry_after if exc.retry_after is not None else policy.backoff(waited)
            yield Sleep(min(hint, policy.backoff_max))
            continue
        return parse(ReplaceResult, answer)
