"""A gateway that echoes the request (``502_echo``): the client's error shows ``***``, never the
API key, in every form an error travels in (message, str, repr, args, pickle)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from activepieces_core.errors import APIStatusError, ServerError
from activepieces_core.testing.faults import ECHO_KIND


def assert_scrubbed(error: APIStatusError, key: str) -> None:
    """The error names what happened, with ``***`` where the gateway quoted the key."""
    assert error.status_code == 502
    assert "authorization: Bearer ***" in error.message
    assert error.body is not None  # the body is kept (scrubbed), not dropped
    assert error.body["statusCode"] == 502
    assert "authorization: Bearer ***" in error.body["message"]
    forms = [error.message, str(error), repr(error), repr(error.args), repr(error.body)]
    forms.append(str(pickle.loads(pickle.dumps(error))))
    forms.append(repr(pickle.dumps(error)))
    for form in forms:
        assert key not in form
        assert key[3:15] not in form


async def test_an_echoed_authorization_header_is_scrubbed(make_api: Any, emu: Any) -> None:
    api = make_api(max_retries=0)
    emu.faults.script("list", 1, ECHO_KIND)
    with pytest.raises(ServerError) as info:
        await api.list()
    assert_scrubbed(info.value, emu.api_key)
    assert "upstream refused GET /api/v1/projects" in info.value.message


async def test_the_key_echoed_in_a_query_string_is_scrubbed_too(make_api: Any, emu: Any) -> None:
    """The whole message is scrubbed, not only the header's form: a key that reached a query
    (here: looked up as an external id) is quoted in the request line."""
    api = make_api(max_retries=0)
    emu.faults.script("list", 1, ECHO_KIND)
    with pytest.raises(ServerError) as info:
        await api.get_by_external_id(emu.api_key)
    assert_scrubbed(info.value, emu.api_key)
    assert "externalId=***" in info.value.message


async def test_retried_echoes_surface_scrubbed(make_api: Any, emu: Any, sleeps: Any) -> None:
    """A read retries a 502; the error of its last attempt is the one raised, scrubbed."""
    api = make_api(max_retries=2)
    emu.faults.set("list", rate=1.0, kinds=[ECHO_KIND])
    with pytest.raises(ServerError) as info:
        await api.list()
    assert emu.requests.count(route="list") == 3
    assert len(sleeps) == 2
    assert_scrubbed(info.value, emu.api_key)
