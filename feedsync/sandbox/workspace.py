"""`feedsync init --sandbox DIR`: a workspace whose channels all talk to the local sandbox.

Every channel that has both an adapter and a sandbox module is enabled over its API and pointed
at ``http://127.0.0.1:PORT/<channel>`` through its base-URL keys; the sandbox credentials go to
``secrets.toml`` (git-ignored) and the sandbox's own state file is created in ``.sandbox/``
with the accounts it provisioned (Google's service account key, …). ``feedsync sandbox serve``
run in the workspace finds its port and state file in ``.sandbox/sandbox.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedsync.sandbox.app import SandboxApp
from feedsync.sandbox.registry import load_all
from feedsync.sandbox.server import LOOPBACK, build_app

DEFAULT_PORT = 8765
SANDBOX_DIR = ".sandbox"
SETTINGS_FILE = "sandbox.json"
STATE_FILE = "state.db"
STORE_NAME = "Sandbox Store"
STORE_URL = "https://shop.example.com"


# The demo's fee models for `feedsync report` (docs/report.md), from each marketplace's
# published standard rates (most categories, US), plus an example fulfilment cost of the
# merchant's own. eBay reports its fees on every order (totalMarketplaceFee) and Google's free
# listings charge none, so neither needs a model.
FEES_NOTE = ("\n# Fee models used by `feedsync report` where a channel does not report its fees "
             "on the order\n# (docs/report.md). Standard US rates; adjust to your categories.\n\n")
_FULFILMENT = {"fulfilment_per_order": "4.50", "fulfilment_per_unit": "0.50"}
FEE_MODELS: dict[str, dict[str, str]] = {
    # Amazon referral fee, most categories 15 %: https://sell.amazon.com/pricing
    "amazon": {"referral_rate": "0.15", **_FULFILMENT},
    # Etsy transaction fee 6.5 %, payment processing 3 % + 0.25:
    # https://www.etsy.com/legal/fees/
    "etsy": {"referral_rate": "0.065", "payment_rate": "0.03", "per_order": "0.25",
             **_FULFILMENT},
    # Walmart referral fee, most categories 15 %: https://marketplace.walmart.com/referral-fees/
    "walmart": {"referral_rate": "0.15", **_FULFILMENT},
    # Meta checkout selling fee 5 % per shipment:
    # https://www.facebook.com/business/help/223106851902109
    "facebook": {"referral_rate": "0.05", **_FULFILMENT},
    "ebay": dict(_FULFILMENT),
}


class WorkspaceExists(Exception):
    """The target already has files the sandbox workspace would overwrite."""


@dataclass
class SandboxWorkspace:
    """What was written."""

    path: Path
    base_url: str
    state: Path
    channels: list[str]
    not_emulated: list[str] = field(default_factory=list)  # adapters without a sandbox module


def sandbox_settings(workspace: Path) -> dict[str, Any] | None:
    """``.sandbox/sandbox.json`` of a sandbox workspace ({"port", "state"}), if any."""
    path = workspace / SANDBOX_DIR / SETTINGS_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def toml_value(value: Any) -> str:
    """One TOML value (strings, booleans, numbers, lists of those)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_table(name: str, values: Mapping[str, Any]) -> str:
    """``[name]`` and its keys."""
    lines = [f"[{name}]"] + [f"{key} = {toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def _store(config: str) -> str:
    """The template's [workspace] with the demo store's name and web address."""
    config = re.sub(r'(?m)^name = .*$', f"name = {toml_value(STORE_NAME)}", config, count=1)
    config = re.sub(r'(?m)^#? ?store_url = .*$', f"store_url = {toml_value(STORE_URL)}",
                    config, count=1)
    if "store_url =" not in config:
        config = config.replace("[workspace]\n", f"[workspace]\nstore_url = "
                                f"{toml_value(STORE_URL)}\n", 1)
    return config.rstrip() + "\n"


def write_sandbox_workspace(target: Path, *, port: int = DEFAULT_PORT, force: bool = False,
                            app: SandboxApp | None = None) -> SandboxWorkspace:
    """Write the workspace (template files, channel tables, secrets, sandbox state).

    With ``app`` (a sandbox already bound, as in tests), its marketplaces, address and state
    file are used; otherwise the state file is ``DIR/.sandbox/state.db``, served on ``port``.
    """
    from feedsync.cli.init_cmd import workspace_files
    from feedsync.registry import builtin_channels

    files = workspace_files()
    names = ["feedsync.toml", "secrets.toml", f"{SANDBOX_DIR}/{SETTINGS_FILE}"]
    existing = [n for n in [*files, *names] if (target / n).exists()]
    if existing and not force:
        raise WorkspaceExists(f"{target} already has {', '.join(sorted(set(existing)))}; "
                              "use --force to overwrite")
    adapters = builtin_channels()
    markets = {n: m for n, m in (app.markets if app else load_all(adapters)).items()
               if n in adapters}
    base_url = app.base_url if app else f"http://{LOOPBACK}:{port}"
    state = app.store.path if app else target / SANDBOX_DIR / STATE_FILE
    if force and app is None and state.exists():
        for stale in (state, state.with_name(STATE_FILE + "-wal"),
                      state.with_name(STATE_FILE + "-shm")):
            stale.unlink(missing_ok=True)
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    head = _store(files["feedsync.toml"].decode("utf-8").split("[channels.", 1)[0])
    tables = [toml_table(f"channels.{name}", market.workspace_settings(f"{base_url}/{name}"))
              for name, market in sorted(markets.items())]
    fees = [toml_table(f"fees.{name}", FEE_MODELS[name])
            for name in sorted(markets) if name in FEE_MODELS]
    (target / "feedsync.toml").write_text(
        head + "\n# Every channel below talks to the local sandbox (feedsync sandbox serve).\n\n"
        + "\n".join(tables) + FEES_NOTE + "\n".join(fees), encoding="utf-8")
    provider = app or build_app(state, markets=markets)
    provider.base_url = base_url
    secrets: list[str] = []
    try:
        for name, market in sorted(markets.items()):
            with provider.store.transaction() as db:
                values = market.provision(provider.exchange(name, db), target)
            if values:
                secrets.append(toml_table(name, values))
    finally:
        if app is None:
            provider.store.close()
    secrets_file = target / "secrets.toml"
    secrets_file.write_text("# Sandbox credentials: they only open the local sandbox.\n\n"
                            + "\n".join(secrets), encoding="utf-8")
    secrets_file.chmod(0o600)
    (target / SANDBOX_DIR).mkdir(parents=True, exist_ok=True)
    (target / SANDBOX_DIR / SETTINGS_FILE).write_text(
        json.dumps({"port": int(base_url.rsplit(":", 1)[1]),
                    "state": str(state) if app else STATE_FILE}, indent=2) + "\n",
        encoding="utf-8")
    with (target / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write(f"\n# the local marketplace sandbox\n{SANDBOX_DIR}/\nsandbox-*.json\n")
    return SandboxWorkspace(target, base_url, state, sorted(markets),
                            [n for n in adapters if n not in markets])
