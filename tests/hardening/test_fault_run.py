"""The fault run (issue #16): 20 % injected 429/5xx/dropped/lost answers across push, orders,
acknowledge and ship on every channel the sandbox emulates (feedsync/sandbox, seeded).

Afterwards every SKU is live or rejected with its reason, no order is missing or duplicated
(stock reserved once per ordered unit), no shipment or create-like call was processed twice, and
the calls stay within 1.5x the fault-free day plus one retry per fault. The same scenario with
figures is `python bench/fault_run.py`; here the cron gap and Amazon's read-back settle window
are shortened so the test takes about a minute.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from feedsync.adapters.amazon import readback as amazon_readback

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fault_run", REPO_ROOT / "bench" /
                                                  "fault_run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fault_run"] = module
    spec.loader.exec_module(module)
    return module


def test_a_day_with_20_percent_faults_keeps_every_invariant(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run = bench()
    monkeypatch.setattr(run, "CRON_GAP", 6.0)
    monkeypatch.setattr(amazon_readback, "SETTLE_SECONDS", 5.0)
    with run.day(11, [], 2) as clean:
        pass
    faults = [f"*:{kind}:0.05" for kind in ("429", "5xx", "drop", "lost")]
    with run.day(11, faults, 2) as faulty:
        pass
    ok = run.report(clean, faulty)
    table = capsys.readouterr().out
    assert sum(faulty.faults.values()) > 0, "no fault was injected"
    assert all(not lost for lost in faulty.lost_orders.values()), table
    assert faulty.reserved_ok and clean.reserved_ok, table
    assert not any(faulty.unsettled.values()), table
    assert not any(faulty.double_shipped.values()), table
    assert all(status.endswith(":confirmed") for status in faulty.ship_results), table
    assert ok, table
