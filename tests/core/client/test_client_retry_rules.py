"""The retry and resend rules one by one (`activepieces_core.retries`), on the errors the client
really builds: which failure is repeated, which create may be resent, which write is looked
up first. Fast, so the mutation run (bench/mutation.py) can afford them per mutant."""

from __future__ import annotations

from typing import Any

import pytest

from activepieces_core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    UnexpectedResponseError,
    error_from_response,
)
from activepieces_core.retries import (
    RetryPolicy,
    is_ambiguous_write,
    is_retryable,
    is_safe_to_resend,
)


def status(code: int, body: Any = None, retry_after: str | None = None) -> APIError:
    return error_from_response(code, body, retry_after=retry_after)


REFUSED = APIConnectionError("refused", may_have_reached_server=False)
DROPPED = APIConnectionError("dropped", may_have_reached_server=True)
TIMED_OUT = APITimeoutError("timed out", may_have_reached_server=True)
UNREADABLE = UnexpectedResponseError("not JSON", status_code=200)
CONFLICT = status(409, {"code": "PROJECT_EXTERNAL_ID_ALREADY_EXISTS"})  # the identity is taken

# (error, retried for an idempotent write, retried for a read, safe to resend a create,
#  ambiguous write: look before writing again)
CASES = [
    ("refused", REFUSED, True, True, True, True),
    ("dropped", DROPPED, True, True, False, True),
    ("timed out", TIMED_OUT, True, True, False, True),
    ("unreadable 200", UNREADABLE, False, False, False, True),
    ("429", status(429), True, True, True, True),
    ("500", status(500), False, True, False, True),
    ("502", status(502), True, True, False, True),
    ("503", status(503), True, True, False, True),
    ("504", status(504), True, True, False, True),
    ("501", status(501), False, False, False, True),
    ("400", status(400), False, False, False, False),
    ("401", status(401), False, False, False, False),
    ("403", status(403), False, False, False, False),
    ("404", status(404), False, False, False, False),
    ("409 taken", CONFLICT, False, False, False, True),
    ("409 validation", status(409, {"code": "VALIDATION"}), False, False, False, False),
    ("499", status(499), False, False, False, False),
    ("not an API error", ValueError("x"), False, False, False, False),
]


@pytest.mark.parametrize(
    ("error", "write", "read", "resend", "ambiguous"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_failure_meets_its_rules(
    error: BaseException, write: bool, read: bool, resend: bool, ambiguous: bool
) -> None:
    assert is_retryable(error) is write
    assert is_retryable(error, read=False) is write
    assert is_retryable(error, read=True) is read
    assert is_safe_to_resend(error) is resend
    assert is_ambiguous_write(error) is ambiguous


def test_backoff_is_full_jitter_under_a_doubling_ceiling() -> None:
    top = RetryPolicy(backoff_base=0.5, backoff_max=3.0, rng=lambda: 1.0)
    assert [top.backoff(n) for n in (0, 1, 2, 3, 4, 5)] == [0.5, 0.5, 1.0, 2.0, 3.0, 3.0]
    half = RetryPolicy(backoff_base=0.5, backoff_max=3.0, rng=lambda: 0.5)
    assert [half.backoff(n) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert RetryPolicy(rng=lambda: 0.0).backoff(3) == 0.0


def test_retry_after_is_honoured_up_to_the_ceiling() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=10.0, rng=lambda: 1.0)
    assert policy.wait_for(1, status(429, retry_after="7")) == 7.0
    assert policy.wait_for(1, status(503, retry_after="2")) == 2.0
    assert policy.wait_for(1, status(429, retry_after="60")) == 10.0  # capped
    assert policy.wait_for(2, status(429)) == 1.0  # no hint: the backoff
    assert policy.wait_for(3, status(404, retry_after="7")) == 2.0  # only 429 and 5xx hint
    assert policy.wait_for(1, DROPPED) == 0.5
    assert policy.wait_for(1, None) == 0.5


@pytest.mark.parametrize(
    ("mode", "error", "attempts"),
    [
        ("read", status(500), 3),
        ("idempotent", status(500), 1),
        ("idempotent", status(503), 3),
        ("create", status(503), 1),
        ("create", REFUSED, 3),
        ("create", status(429), 3),
        ("read", status(404), 1),
    ],
)
def test_each_mode_repeats_what_it_may(mode: Any, error: APIError, attempts: int) -> None:
    """``max_retries`` more attempts for what the mode may repeat, none for the rest."""
    policy = RetryPolicy(max_retries=2, backoff_base=0, backoff_max=0)
    made: list[int] = []
    waited: list[float] = []

    def fail_every_time() -> None:
        for attempt in policy.retrying(mode, waited.append):
            with attempt:
                made.append(attempt.retry_state.attempt_number)
                raise error

    with pytest.raises(type(error)):
        fail_every_time()
    assert made == list(range(1, attempts + 1))
    assert waited == [0.0] * (attempts - 1)


@pytest.mark.parametrize(
    ("mode", "error", "attempts"),
    [("read", status(500), 3), ("idempotent", status(500), 1), ("create", status(429), 3)],
)
async def test_call_and_acall_number_and_space_attempts_as_the_controller_does(
    mode: Any, error: APIError, attempts: int
) -> None:
    """The first attempt runs outside tenacity; the attempts, the waits (each attempt's own
    backoff) and the error raised are the same as with one controller throughout."""
    policy = RetryPolicy(max_retries=2, backoff_base=1, backoff_max=10, rng=lambda: 1.0)
    expected_waits = [policy.backoff(n) for n in range(1, attempts)]
    made: list[int] = []
    waited: list[float] = []

    def send(attempt: int) -> None:
        made.append(attempt)
        raise error

    async def asend(attempt: int) -> None:
        send(attempt)

    async def asleep(seconds: float) -> None:
        waited.append(seconds)

    with pytest.raises(type(error)):
        policy.call(mode, waited.append, send)
    assert (made, waited) == (list(range(1, attempts + 1)), expected_waits)
    made.clear()
    waited.clear()
    with pytest.raises(type(error)):
        await policy.acall(mode, asleep, asend)
    assert (made, waited) == (list(range(1, attempts + 1)), expected_waits)
    # A later attempt that succeeds returns its result; nothing more is sent.
    outcomes: list[Any] = [error, "done"]

    def flaky(attempt: int) -> Any:
        outcome = outcomes[attempt - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    if attempts > 1:
        assert policy.call(mode, waited.append, flaky) == "done"


def test_a_policy_is_its_numbers_whatever_its_random_source() -> None:
    """Two policies with the same limits are equal (a client's config compares by value);
    the injected ``rng`` is a test seam, not part of what the policy is."""
    assert RetryPolicy(rng=lambda: 0.0) == RetryPolicy(rng=lambda: 1.0)
    assert RetryPolicy(max_retries=1) != RetryPolicy(max_retries=2)
