"""Local emulator of the Activepieces Projects API, for tests.

```python
from activepieces_core.testing import Emulator
with Emulator(seed=0) as emu:
    emu.url, emu.api_key, emu.state, emu.faults, emu.requests
    emu.state.sign_up("ops@acme.example")  # people: invitations accepted by an API key
    emu.state.people.members(project_id)   # become memberships on sign-up (see `.people`)
```
The server parts (uvicorn, starlette) load on first use, so importing this package, e.g. for
the pytest plugin, stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .faults import FAULT_KINDS, FaultPlan
from .piece_sets import PIECE_CATALOG
from .requestlog import RequestLog, RequestRecord

if TYPE_CHECKING:
    from .records import Platform
    from .server import Emulator
    from .state import EmulatorState

_LAZY = {"Emulator": ".server", "EmulatorState": ".state", "Platform": ".records"}

__all__ = [
    "FAULT_KINDS",
    "PIECE_CATALOG",
    "Emulator",
    "EmulatorState",
    "FaultPlan",
    "Platform",
    "RequestLog",
    "RequestRecord",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
