"""Start-up stays cheap (issue #19 point 4): which modules `feedsync --help` and a no-op
`feedsync plan` import, never a time.

The cost itself is measured by bench/startup.py against its floor (`python -c pass`).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.utils import make_default_short_help

from feedsync.cli.main import cli
from tests.conftest import REPO_ROOT

# What a command's module pulls in; `--help` and `--version` need none of it.
HEAVY = ("requests", "urllib3", "lxml", "pydantic", "jsonschema", "google.auth", "sqlite_utils",
         "numpy", "feedsync.adapter", "feedsync.http", "feedsync.catalog", "feedsync.config",
         "feedsync.mapping", "feedsync.sync", "feedsync.orders", "feedsync.sandbox")

PROBE = """
import json, sys
from feedsync.cli.main import cli
try:
    cli(sys.argv[1:], prog_name="feedsync")
except SystemExit:
    pass
json.dump(sorted(sys.modules), sys.stderr)
"""


def _modules_after(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True)
    return set(json.loads(proc.stderr.splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_and_version_import_no_command_module(args: tuple[str, ...]) -> None:
    modules = _modules_after(*args)
    assert _heavy(modules) == []
    assert not [m for m in modules if m.startswith("adapters")]


def test_a_command_imports_only_its_own_area() -> None:
    modules = _modules_after("init", "--help")
    assert "feedsync.cli.init_cmd" in modules
    assert "feedsync.cli.sandbox_cmds" not in modules
    assert "feedsync.cli.sync_cmds" not in modules


def test_the_command_table_says_what_each_command_says() -> None:
    """The sentences --help prints unimported are the commands' own (no drift)."""
    ctx = click.Context(cli)
    for name, entry in type(cli).lazy_commands.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert command.name == name
        for limit in (45, 60, 80, 1000):
            assert make_default_short_help(entry.summary, limit) == \
                command.get_short_help_str(limit), (name, limit)


def test_help_lists_every_command_as_loaded_commands_would() -> None:
    lazy_help = subprocess.run([sys.executable, "-m", "feedsync", "--help"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout
    ctx = click.Context(cli, info_name="feedsync", **cli.context_settings)
    for name in cli.list_commands(ctx):
        cli.get_command(ctx, name)  # every command loaded now
    assert cli.get_help(ctx).strip() == lazy_help.strip()


def test_opening_the_catalog_does_not_import_numpy(tmp_path: Path) -> None:
    """sqlite-utils would import numpy/pandas for their column types; feedsync hides them."""
    code = ("import sys; from feedsync.catalog import open_catalog; "
            f"open_catalog({str(tmp_path / 'c.db')!r}).count(); "
            "import sqlite_utils.db as d; "
            "print(d.np is None, 'numpy' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "False", "False"]


# --- a no-op `feedsync plan` ------------------------------------------------------------------
# What planning an unchanged catalog must not import: the adapter kit and an adapter, the HTTP
# stack, the mapping engine (and its regex/transform modules), the push path, the contract suite.
NOT_FOR_PLAN = ("requests", "urllib3", "tenacity", "lxml", "jsonschema", "google.auth", "numpy",
                "regex", "feedsync.adapter", "feedsync.adapter_factory", "feedsync.http",
                "feedsync.mapping.engine", "feedsync.mapping.compile", "feedsync.sync.push",
                "feedsync.sync.runner", "feedsync.orders", "feedsync.feeds",
                "feedsync.testing.contract", "feedsync.testing.fakes",
                "feedsync.testing.file_channel.adapter")

FILE_CHANNEL = """\
[workspace]
name = "startup-test"

[channels.shop]
enabled = true
delivery = "api"
adapter = "feedsync.testing.file_channel"
state_dir = "state/shop"
"""

GOOGLE_API = """\
[workspace]
name = "startup-test"

[channels.google]
enabled = true
delivery = "api"
merchant_id = "123456"
data_source = "789"
feed_label = "US"
"""

SHOP_MAPPING = """\
[fields]
id = "sku"
title = "title"
price = { rule = "price" }
quantity = { rule = "quantity" }
"""


def _feedsync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "feedsync", "--workspace", str(root), *args],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def _plan_imports(root: Path, channel: str) -> set[str]:
    return _modules_after("--workspace", str(root), "plan", channel)


def _not_for_plan(modules: set[str]) -> list[str]:
    hits = [m for m in modules if any(m == h or m.startswith(h + ".") for h in NOT_FOR_PLAN)]
    return sorted(hits + [m for m in modules if m.startswith("feedsync.adapters.")
                          and not m.endswith((".config", ".schema", ".render"))
                          and m.count(".") > 2])


def _pushed_file_channel(root: Path, skus: int = 20) -> None:
    from feedsync.catalog import open_catalog
    from feedsync.models import InventoryLevel, Product, ProductStatus

    (root / "mappings").mkdir(parents=True)
    (root / "mappings" / "shop.toml").write_text(SHOP_MAPPING)
    (root / "feedsync.toml").write_text(FILE_CHANNEL)
    catalog = open_catalog(root / "feedsync.db")
    with catalog.db.atomic():
        catalog.upsert_products(Product(sku=f"SKU-{i:03d}", title=f"Product {i}",
                                        price=Decimal("9.99"), currency="USD",
                                        status=ProductStatus.ACTIVE)
                                for i in range(skus))
        catalog.set_inventory(InventoryLevel(f"SKU-{i:03d}", "default", 5) for i in range(skus))
    catalog.db.close()
    pushed = _feedsync(root, "push", "shop")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr


def test_a_no_op_plan_imports_neither_adapter_nor_http_nor_mapping_engine(tmp_path: Path) -> None:
    """The bench's case (bench/startup.py): SKUs pushed, nothing changed since."""
    root = tmp_path / "ws"
    _pushed_file_channel(root)
    planned = _feedsync(root, "plan", "shop")
    assert planned.returncode == 0, planned.stderr
    assert "0 to create, 0 to update, 0 price/quantity only, 0 to delete; 20 unchanged" \
        in planned.stdout
    modules = _plan_imports(root, "shop")
    assert "feedsync.sync.plan" in modules and "feedsync.testing.file_channel.config" in modules
    assert _not_for_plan(modules) == []


def test_a_built_in_channel_is_checked_through_its_config_module_only(tmp_path: Path) -> None:
    """Google with delivery = "api": its settings are checked (config.py), its adapter, client
    and the HTTP stack are not imported; the mapping compiles on the first plan only."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feedsync.toml").write_text(GOOGLE_API)
    shutil.copytree(REPO_ROOT / "mappings", root / "mappings")
    first = _feedsync(root, "plan", "google")  # no mark yet: compiles and records the check
    assert first.returncode == 0, first.stderr
    modules = _plan_imports(root, "google")
    assert "feedsync.adapters.google.config" in modules
    assert _not_for_plan(modules) == []


def test_a_broken_mapping_still_fails_a_plan_with_nothing_to_render(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _pushed_file_channel(root, skus=3)
    mapping = root / "mappings" / "shop.toml"
    mapping.write_text(SHOP_MAPPING + 'colour = "no_such_column"\n')
    broken = _feedsync(root, "plan", "shop")
    assert broken.returncode == 4, broken.stdout + broken.stderr
    assert "shop.toml:6: fields.colour: 'colour' is not a fake field" in broken.stdout


def test_a_mark_checked_by_other_code_compiles_the_mapping_again(tmp_path: Path) -> None:
    """Same mapping bytes, but the last check ran on other code (an upgrade): compile now."""
    from feedsync.catalog import open_catalog
    from feedsync.config import load_workspace
    from feedsync.sync.channels import DeferredMapper, bind_channel, mapping_code_version
    from feedsync.sync.plan import build_plan

    root = tmp_path / "ws"
    _pushed_file_channel(root, skus=3)
    workspace = load_workspace(root)
    catalog = open_catalog(root / "feedsync.db")
    try:
        def plan_once() -> DeferredMapper:
            binding = bind_channel(workspace, catalog.db, "shop", defer_mapping=True)
            build_plan(binding, catalog).close()
            assert isinstance(binding.mapper, DeferredMapper)
            return binding.mapper

        assert plan_once().loaded is False  # the push's plan checked it on this code
        catalog.db.execute("UPDATE sync_marks SET mapping_checked = 'older code'")
        assert plan_once().loaded is True
        assert catalog.db.execute("SELECT mapping_checked FROM sync_marks").fetchone()[0] \
            == mapping_code_version()
        assert plan_once().loaded is False
        catalog.db.execute("UPDATE sync_marks SET render_version = 'other'")
        assert plan_once().loaded is True  # a full plan (changed version) compiles too
    finally:
        catalog.db.close()


@pytest.mark.parametrize("channel", ["amazon", "ebay", "etsy", "facebook", "google", "walmart"])
@pytest.mark.parametrize("variant", ["plain", "store_and_rates"])
def test_the_deferred_version_is_the_channel_mappers(tmp_path: Path, channel: str,
                                                    variant: str) -> None:
    """DeferredMapper.version mirrors ChannelMapper's digest (feedsync/mapping/engine.py)."""
    from feedsync.config import load_workspace
    from feedsync.mapping.engine import ChannelMapper
    from feedsync.sync.channels import DeferredMapper

    root = tmp_path / "ws"
    shutil.copytree(REPO_ROOT / "mappings", root / "mappings")
    config = '[workspace]\nname = "shop"\n'
    if variant == "store_and_rates":
        config = ('[workspace]\nname = "Other shop"\nstore_url = "https://shop.example.com"\n'
                  '[catalog]\ndefault_currency = "GBP"\n'
                  '[currency_rates]\nEUR = "0.92"\nUSD = "1.27"\n')
        path = root / "mappings" / f"{channel}.toml"
        text = path.read_text()
        if channel == "google":  # converts prices (the digest mixes the target's rate in)
            assert '\n# currency = "EUR"' in text
            path.write_text(text.replace('\n# currency = "EUR"', '\ncurrency = "EUR"', 1))
    (root / "feedsync.toml").write_text(config)
    workspace = load_workspace(root)
    deferred = DeferredMapper(workspace, channel)
    assert deferred.version == ChannelMapper.for_workspace(workspace, channel).version
    assert deferred.loaded is False


@pytest.mark.parametrize("channel", ["amazon", "ebay", "etsy", "facebook", "google", "walmart"])
def test_a_channels_config_module_declares_its_adapters_config(channel: str) -> None:
    from feedsync.registry import adapter_class, channel_config

    assert channel_config(channel) is adapter_class(channel).Config


def test_a_package_without_config_module_falls_back_to_the_adapter() -> None:
    from feedsync.registry import adapter_class, channel_config

    assert channel_config("x", "feedsync.testing.fake") is \
        adapter_class("x", "feedsync.testing.fake").Config
    with pytest.raises(Exception) as caught:
        channel_config("x", "no_such_package.anywhere")
    with pytest.raises(Exception) as expected:
        adapter_class("x", "no_such_package.anywhere")
    assert str(caught.value) == str(expected.value)


def test_a_config_module_without_an_adapter_config_falls_back(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """A package's ``config`` module that is not the adapter layout's (no CONFIG, or a CONFIG
    that is no AdapterConfig) is ignored: the adapter's Config checks the settings."""
    from feedsync.registry import channel_config
    from feedsync.testing.fake.adapter import FakeAdapter

    for name, text in (("noconfig", "SETTINGS = 1\n"), ("strayconfig", "CONFIG = dict\n")):
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "config.py").write_text(text)
        (package / "adapter.py").write_text(
            "from feedsync.testing.fake.adapter import FakeAdapter as ADAPTER\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert channel_config("x", "noconfig") is FakeAdapter.Config
    assert channel_config("x", "strayconfig") is FakeAdapter.Config


def test_the_sync_marks_migration_keeps_existing_marks(tmp_path: Path) -> None:
    """A workspace planned before migration v2 keeps its mark; its mapping is checked once."""
    from feedsync.db import open_database
    from feedsync.sync import dirty
    from feedsync.sync.state import _V1, COMPONENT

    path = tmp_path / "old.db"
    db = open_database(path)
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT, version INTEGER,"
               " applied_at TEXT)")
    for statement in _V1.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO schema_migrations VALUES (?, 1, '2026-01-01T00:00:00Z')",
               [COMPONENT])
    db.execute("INSERT INTO sync_marks VALUES ('shop', 'default', 7, 'v', '2026-01-01')")
    db.conn.commit()
    from feedsync.sync.state import ensure_schema

    ensure_schema(db)
    assert dirty.read_mark(db, "shop", "default") == dirty.Mark(7, "v", None)
    db.close()
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM sync_marks").fetchone()[0] == 1
