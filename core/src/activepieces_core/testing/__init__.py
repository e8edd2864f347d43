"""Local emulator of the Activepieces Projects API, for tests.

```python
from activepieces_core.testing import Emulator
with Emulator(seed=0) as emu:
    emu.url, emu.api_key, emu.state, emu.faults, emu.requests
```
"""

from __future__ import annotations

from .faults import FAULT_KINDS, FaultPlan
from .requestlog import RequestLog, RequestRecord
from .server import Emulator
from .state import EmulatorState, Platform

__all__ = [
    "FAULT_KINDS",
    "Emulator",
    "EmulatorState",
    "FaultPlan",
    "Platform",
    "RequestLog",
    "RequestRecord",
]
