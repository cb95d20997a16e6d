"""Benchmark: what a command costs before it does any work (issue #19 target 4: ≤ 0.2 CPU-s).

    python bench/startup.py               # 5 runs of each command
    python bench/startup.py --runs 9

Each command runs as its own process (``python -m feedsync …``); the CPU seconds (user + sys)
and peak RSS are that process's own, read with ``os.wait4``. The floor is ``python -c pass`` from
the same run, so the ratio holds on a loaded machine where wall times do not. The no-op plan runs
in a throw-away workspace: 200 SKUs pushed once to a file channel (``feedsync.testing
.file_channel``), then ``feedsync plan`` with nothing changed.

It also prints which heavy libraries each command imported (``-X importtime``), so a regression
names its cause.

``--layers`` also counts the instructions (valgrind's callgrind: independent of the machine's
load) of the layers a no-op plan stacks up — the interpreter, click, sqlite-utils, pydantic,
feedsync.config's models, the plan's own modules, the whole plan — so the remaining cost is
named by what it is made of.

Bytecode: an installed feedsync has its ``.pyc`` files (pip writes them), so by default the
commands run with a bytecode cache in a temporary ``PYTHONPYCACHEPREFIX`` (warmed by one untimed
run; the tree gets no ``__pycache__``). ``--no-bytecode`` honours ``PYTHONDONTWRITEBYTECODE`` as
set, and every run then compiles feedsync's modules from source (~0.2 CPU-s more per command).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("requests", "urllib3", "tenacity", "regex", "lxml", "pydantic", "jsonschema",
         "google.auth", "sqlite_utils", "numpy", "adapters", "feedsync.adapter",
         "feedsync.mapping.engine", "feedsync.http", "feedsync.sync.push")

CONFIG = """\
[workspace]
name = "bench-startup"

[channels.shop]
enabled = true
delivery = "api"
adapter = "feedsync.testing.file_channel"
state_dir = "state/shop"
"""

MAPPING = """\
[fields]
id = "sku"
title = "title"
price = { rule = "price" }
quantity = { rule = "quantity" }
"""


SEED = """
import sys
from decimal import Decimal
from feedsync.catalog import open_catalog
from feedsync.models import InventoryLevel, Product
catalog = open_catalog(sys.argv[1])
with catalog.db.atomic():
    catalog.upsert_products(Product(sku=f"SKU-{i:04d}", title=f"Product {i}",
                                    price=Decimal("9.99"), currency="USD", status="active")
                            for i in range(200))
    catalog.set_inventory(InventoryLevel(f"SKU-{i:04d}", "default", 5) for i in range(200))
catalog.db.close()
"""


ENV: dict[str, str] = {}  # set by main(): the bytecode cache, or none


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int, int]:
    """(CPU seconds, wall seconds, peak RSS in KiB, exit code) of one process."""
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT), "FEEDSYNC_WORKSPACE": str(cwd)}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, proc.returncode


def heavy_imports(argv: list[str], cwd: Path) -> list[str]:
    """The HEAVY top-level packages a command imports (from ``-X importtime``)."""
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT), "FEEDSYNC_WORKSPACE": str(cwd)}
    proc = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)
    names = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")}
    return [h for h in HEAVY if h in names]


LAYERS = {  # each includes the ones above it
    "python -c pass (floor)": ["-c", "pass"],
    "+ click": ["-c", "import click"],
    "+ sqlite_utils": ["-c", "import feedsync, click, sqlite_utils"],
    "+ pydantic": ["-c", "import feedsync, click, sqlite_utils, pydantic"],
    "+ feedsync.config (models)": ["-c", "import feedsync, click, sqlite_utils, feedsync.config"],
    "+ plan's modules": ["-c", "import feedsync.config, feedsync.catalog, feedsync.cli.main,"
                         " feedsync.cli.sync_cmds, feedsync.config_channels"],
    "feedsync plan (no-op)": ["-m", "feedsync", "plan", "shop"],
}


def instruction_layers(cwd: Path) -> None:
    """Print callgrind's instruction count of each of LAYERS (needs valgrind)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("--layers: valgrind is not installed; skipped")
        return
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT), "FEEDSYNC_WORKSPACE": str(cwd)}
    floor = 0
    print(f"{'layer (instructions, callgrind)':34} {'M instr':>8} {'×floor':>7}")
    for name, args in LAYERS.items():
        proc = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                              text=True, check=False)
        found = re.search(r"Collected : (\d+)", proc.stderr)
        count = int(found.group(1)) if found else 0
        floor = floor or count
        print(f"{name:34} {count / 1e6:8.0f} {count / floor:7.1f}")


def make_workspace(root: Path) -> None:
    """200 SKUs pushed once to a file channel, so the next plan has nothing to do."""
    (root / "mappings").mkdir(parents=True)
    (root / "mappings" / "shop.toml").write_text(MAPPING)
    (root / "feedsync.toml").write_text(CONFIG)
    # In a child process: this one stays small, so the RSS of the commands it starts is theirs.
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", SEED, str(root / "feedsync.db")], check=True, env=env)
    subprocess.run([sys.executable, "-m", "feedsync", "push", "shop"], cwd=root, check=True,
                   env=env, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-bytecode", action="store_true",
                        help="no bytecode cache when PYTHONDONTWRITEBYTECODE is set")
    parser.add_argument("--layers", action="store_true",
                        help="also count the instructions of each import layer (valgrind)")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="fs-startup-") as tmp:
        ws = Path(tmp) / "ws"
        if not args.no_bytecode:
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
            ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        print("bytecode:", "as the environment says" if args.no_bytecode else
              "cached (as installed)")
        make_workspace(ws)
        commands = {
            "floor: python -c pass": [py, "-c", "pass"],
            "ref: python -c 'import click'": [py, "-c", "import click"],
            "feedsync --version": [py, "-m", "feedsync", "--version"],
            "feedsync --help": [py, "-m", "feedsync", "--help"],
            "feedsync plan --help": [py, "-m", "feedsync", "plan", "--help"],
            "feedsync plan (no-op)": [py, "-m", "feedsync", "plan", "shop"],
        }
        results: dict[str, list[tuple[float, float, int, int]]] = {k: [] for k in commands}
        for argv in commands.values():  # warm the bytecode cache (and the OS's file cache)
            run_once(argv, ws)
        for _ in range(args.runs):  # interleaved, so load spikes hit every command alike
            for name, argv in commands.items():
                results[name].append(run_once(argv, ws))
        floor = statistics.median(r[0] for r in results["floor: python -c pass"])
        print(f"{'command':34} {'CPU s':>7} {'wall s':>7} {'RSS MB':>7} {'×floor':>7}  exit")
        for name, runs in results.items():
            cpu = statistics.median(r[0] for r in runs)
            wall = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs) / 1024
            codes = sorted({r[3] for r in runs})
            print(f"{name:34} {cpu:7.3f} {wall:7.3f} {rss:7.1f} {cpu / floor:7.1f}  {codes}")
        print("target: feedsync --help and a no-op plan ≤ 0.200 CPU-s")
        for name in ("feedsync --help", "feedsync plan (no-op)"):
            print(f"{name} imports: {', '.join(heavy_imports(commands[name], ws)) or '-'}")
        if args.layers:
            instruction_layers(ws)


if __name__ == "__main__":
    main()
