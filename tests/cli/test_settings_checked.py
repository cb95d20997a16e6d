"""Issue #17 points 2 and 3: every setting of feedsync.toml is checked before anything runs,
every problem at once with its key path and the allowed values; channels that are not built
are not offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from feedsync.config import CatalogSettings
from feedsync.config_channels import COMMON_KEYS
from feedsync.registry import adapter_class, builtin_channels
from tests.cli.conftest import append_config, one_json, run
from tests.conftest import REPO_ROOT


def allowed(model: type[BaseModel], without: frozenset[str] = frozenset()) -> str:
    """The keys a table accepts, as the message lists them (the models grow)."""
    return ", ".join(sorted(k for k in model.model_fields if k not in without))


def amazon_config() -> type[BaseModel]:
    return adapter_class("amazon").Config


BAD = '''
[channels.amazon]
enabled = true
delivery = "api"
region = "MARS"
marketplace_idz = ["ATVPDKIKX0DER"]

[channels.amazon.guardrails]
max_delete_share = "lots"
'''


@pytest.mark.parametrize("command", [["status"], ["validate"], ["plan"], ["catalog", "stats"],
                                     ["feed", "build", "google"]])
def test_every_problem_is_named_before_any_command_runs(example: Path,
                                                        command: list[str]) -> None:
    config = example / "feedsync.toml"
    config.write_text(config.read_text().replace(
        'prune_max_share = 0.20', 'prune_max_share = 0.20\ndefualt_currency = "EUR"') + BAD)
    result = run(example, "--json", *command)
    assert result.exit_code == 4
    data = one_json(result)
    assert data["exit_code"] == 4 and data["kind"] == "ConfigError"
    assert data["error"] == f"{config}: 6 problem(s) in the configuration"
    assert data["problems"] == [
        f"{config}: catalog.defualt_currency: unknown key (allowed: {allowed(CatalogSettings)});"
        " did you mean 'default_currency'? (got 'EUR')",
        f"{config}: channels.amazon.guardrails.max_delete_share: Input should be a valid "
        "number, unable to parse string as a number (got 'lots')",
        f"{config}: channels.amazon.region: Input should be 'NA', 'EU' or 'FE' (got 'MARS')",
        f"{config}: channels.amazon.marketplace_idz: unknown key (allowed: "
        f"{', '.join(sorted({*amazon_config().model_fields, *COMMON_KEYS, 'guardrails'}))});"
        " did you mean "
        "'marketplace_id' or 'marketplace_ids'?",
        f"{config}: channels.amazon.seller_id: required for an enabled channel with delivery ="
        " 'api' (Merchant token (Seller Central → Account))",
        f"{config}: channels.amazon.marketplace_ids: required for an enabled channel with "
        "delivery = 'api' (e.g. ATVPDKIKX0DER (amazon.com))",
    ]
    assert not (example / "out").exists(), "nothing ran"


def test_text_output_lists_every_problem_on_stderr(example: Path) -> None:
    append_config(example, '[channels.amazon]\nenabled = true\ndelivery = "api"\n')
    result = run(example, "plan", "amazon")
    assert result.exit_code == 4 and result.stdout == ""
    config = example / "feedsync.toml"
    assert result.stderr.splitlines() == [
        f"error: {config}: 2 problem(s) in the configuration",
        f"  - {config}: channels.amazon.seller_id: required for an enabled channel with "
        "delivery = 'api' (Merchant token (Seller Central → Account))",
        f"  - {config}: channels.amazon.marketplace_ids: required for an enabled channel with "
        "delivery = 'api' (e.g. ATVPDKIKX0DER (amazon.com))",
    ]


def test_an_unbuilt_channel_is_a_config_error_naming_what_exists(example: Path) -> None:
    append_config(example, "[channels.nosuchshop]\nenabled = true\n")
    result = run(example, "--json", "status")
    data = one_json(result)
    known = ", ".join(builtin_channels())
    assert result.exit_code == 4
    assert data["problems"] == [
        f"{example / 'feedsync.toml'}: channels.nosuchshop: unknown channel 'nosuchshop': "
        f"built-in channels are {known}; a third-party adapter registers in the "
        "'feedsync.adapters' entry-point group or sets channels.nosuchshop.adapter"]


def test_a_disabled_table_for_a_channel_not_built_yet_is_allowed(example: Path) -> None:
    append_config(example, "[channels.nosuchshop]\nenabled = false\n")
    assert run(example, "status").exit_code == 0


def test_builtin_channels_are_the_adapter_packages() -> None:
    # Derived from the packages, never a hard-coded list: a package without adapter.py is
    # not offered.
    found = builtin_channels()
    assert {"google", "facebook", "amazon"} <= set(found)
    for name in found:
        assert (REPO_ROOT / "adapters" / name / "adapter.py").is_file()


def test_the_readme_offers_only_built_channels() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    line = next(ln for ln in readme.split("\n\n") if "Built in:" in ln)
    named = {word.strip("`,()") for word in line.split() if word.startswith("`")
             and word.strip("`,()").isalpha() and word.strip("`,()").islower()}
    offered = named & {"google", "facebook", "amazon", "ebay", "etsy", "walmart"}
    assert offered and offered <= set(builtin_channels()), offered
