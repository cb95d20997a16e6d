"""Finding and loading a workspace: feedsync.toml, validated with pydantic, plus its secrets.

A workspace is a folder holding ``feedsync.toml``. It is found through ``--workspace``, then the
``FEEDSYNC_WORKSPACE`` environment variable, then the current folder. Secrets never live in
feedsync.toml: they come from ``FEEDSYNC_<CHANNEL>__<KEY>`` environment variables or the
git-ignored ``secrets.toml`` beside it, and are held as :class:`~pydantic.SecretStr`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlite_utils
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from feedsync.errors import ConfigError, register_secret

CONFIG_FILE = "feedsync.toml"
SECRETS_FILE = "secrets.toml"
WORKSPACE_ENV = "FEEDSYNC_WORKSPACE"
SECRET_ENV_PREFIX = "FEEDSYNC_"


def iso_currency(code: str) -> str:
    """``code`` when it is an upper-case ISO 4217 code known to CLDR (babel's maintained list),
    else a ValueError saying what is expected."""
    if not re.fullmatch(r"[A-Z]{3}", code):
        hint = f"; did you mean {code.strip().upper()!r}?" if re.fullmatch(
            r"\s*[A-Za-z]{3}\s*", code) else ""
        raise ValueError(f"must be an upper-case ISO 4217 code like USD{hint}")
    from babel.numbers import list_currencies

    if code not in list_currencies():
        raise ValueError("is not an ISO 4217 currency code (an upper-case code like USD, EUR "
                         "or GBP)")
    return code


def _toml_bool(value: Any) -> Any:
    # pydantic's lax mode would take "yes", 1 or "off" for a switch; a TOML boolean is
    # unambiguous, so nothing else is accepted.
    if not isinstance(value, bool):
        raise ValueError("must be true or false (a TOML boolean, without quotes)")
    return value


Currency = Annotated[str, AfterValidator(iso_currency)]
Switch = Annotated[bool, BeforeValidator(_toml_bool)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkspaceSettings(_Strict):
    """[workspace]: the store's name (shown in reports; the Meta feed's brand when a product
    has none) and its web address (product links derived from the store export, issue #10)."""

    name: str = "feedsync"
    store_url: str | None = None

    @field_validator("store_url")
    @classmethod
    def _store_address(cls, url: str | None) -> str | None:
        if url is None:
            return None
        if not re.fullmatch(r"https?://[^\s/?#]+[^\s?#]*", url):
            raise ValueError("must be the store's web address, e.g. https://shop.example.com")
        return url.rstrip("/")


class CatalogSettings(_Strict):
    """[catalog]: where the database lives and catalog-wide defaults."""

    database: str = "feedsync.db"
    default_currency: Currency = "USD"
    prune_max_share: float = Field(default=0.20, ge=0.0, le=1.0)
    # SKUs for store rows without one (docs/catalog-formats.md, "Rows without a SKU")
    shopify_sku_rule: str = "{handle}[-{option1}][-{option2}][-{option3}]"
    woocommerce_sku_rule: str = "woo-{id}"


class OutputSettings(_Strict):
    """[output]: where feed files and reports are written."""

    dir: str = "out"


class OrdersSettings(_Strict):
    """[orders]: order import and stock reservation (docs/orders.md)."""

    keep_personal_data: Switch = False  # keep buyer names, e-mail, phone, addresses in raw payloads
    lookback_minutes: int = Field(default=30, ge=0)  # re-read overlap before each cursor
    initial_lookback_days: int = Field(default=30, ge=1)  # first pull of a channel
    reserve_location: str | None = None  # reserve here first; else the most available location
    fast_path: Switch = True  # push affected quantities to every listing channel in the same run
    # Time one channel's pull may take per run (rate waits included); the rest is pulled by the
    # next run from the cursor, and `status` says so (issue #16: a 10-minute cron overlapped).
    max_pull_seconds: float = Field(default=240.0, ge=1.0)


class FeeSettings(_Strict):
    """[fees.<channel>]: the fee model ``feedsync report`` uses where the channel does not report
    the fees on its orders (docs/report.md). Rates are shares (0.15 = 15 %); fixed amounts are
    in ``currency`` (default: the catalog's)."""

    referral_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)  # share of the order total
    payment_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)  # payment processing share
    per_order: Decimal = Field(default=Decimal(0), ge=0)  # fixed fee per order
    per_unit: Decimal = Field(default=Decimal(0), ge=0)  # fixed fee per unit sold
    fulfilment_per_order: Decimal = Field(default=Decimal(0), ge=0)  # pick, pack, postage
    fulfilment_per_unit: Decimal = Field(default=Decimal(0), ge=0)
    currency: Currency | None = None


class LocalInventorySettings(_Strict):
    """[local_inventory]: Google local inventory — which catalog location is which store."""

    store_codes: dict[str, str] = Field(default_factory=dict)  # catalog location → store code

    @field_validator("store_codes")
    @classmethod
    def _plain_codes(cls, codes: dict[str, str]) -> dict[str, str]:
        # Business Profile store codes: 1-64 printable characters; they go in a TSV cell and a
        # URL path segment, so no whitespace other than spaces and no slash.
        for location, code in codes.items():
            if not code or len(code) > 64 or any(c in code for c in "\t\r\n/"):
                raise ValueError(f"store code {code!r} of location {location!r} must be 1-64 "
                                 "characters without tabs, line breaks or '/'")
        return codes


class SyncSettings(_Strict):
    """[sync]: bounds of a run's push step (docs/sync.md)."""

    # Time one channel's push may take per run, rate waits included: what is not sent by then
    # stays planned for the next run, and `status` says so (issue #16).
    max_push_seconds: float = Field(default=600.0, ge=1.0)


class FeedSettings(_Strict):
    """[feeds]: building feed files (docs/performance.md, "Multi-process build")."""

    # Processes that map and render the catalog, each a range of SKUs; unset: the machine's
    # cores (at most 8); 1: in the command's own process. `feed build --workers` overrides it.
    workers: int | None = Field(default=None, ge=1)


class ChannelSettings(BaseModel):
    """[channels.<name>]: common keys; adapter-specific keys are validated by the adapter."""

    model_config = ConfigDict(extra="allow")

    enabled: Switch = False
    delivery: Literal["file", "api"] = "file"
    mapping: str | None = None
    account: str = "default"
    adapter: str | None = None  # a dotted path for third-party adapters; default: the name


class Settings(_Strict):
    """The whole of feedsync.toml."""

    workspace: WorkspaceSettings = WorkspaceSettings()
    catalog: CatalogSettings = CatalogSettings()
    output: OutputSettings = OutputSettings()
    currency_rates: dict[str, Decimal] = Field(default_factory=dict)
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    orders: OrdersSettings = OrdersSettings()
    sync: SyncSettings = SyncSettings()
    feeds: FeedSettings = FeedSettings()
    fees: dict[str, FeeSettings] = Field(default_factory=dict)
    local_inventory: LocalInventorySettings = LocalInventorySettings()

    @field_validator("currency_rates")
    @classmethod
    def _positive_rates(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        problems = []
        for code, rate in rates.items():
            try:
                iso_currency(code)
            except ValueError as exc:
                problems.append(f"{code!r} {exc}")
            if rate <= 0:
                problems.append(f"rate for {code} must be positive")
        if problems:
            raise ValueError("; ".join(problems))
        return rates


@dataclass
class Workspace:
    """A loaded workspace: its folder, validated settings and access to its secrets."""

    root: Path
    settings: Settings
    _secrets_file: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        """The workspace's feedsync.toml."""
        return self.root / CONFIG_FILE

    @property
    def db_path(self) -> Path:
        """The SQLite database file (relative paths are relative to the workspace)."""
        return self.root / self.settings.catalog.database

    @property
    def output_dir(self) -> Path:
        """Where feed files and reports go."""
        return self.root / self.settings.output.dir

    def mapping_path(self, channel: str) -> Path:
        """The mapping file of ``channel``: configured, or ``mappings/<channel>.toml``."""
        configured = self.channel(channel).mapping
        return self.root / (configured or f"mappings/{channel}.toml")

    def channel(self, name: str) -> ChannelSettings:
        """Settings of one channel (defaults when feedsync.toml does not mention it)."""
        return self.settings.channels.get(name) or ChannelSettings()

    def enabled_channels(self) -> list[str]:
        """Names of channels with ``enabled = true``, in feedsync.toml order."""
        return [name for name, ch in self.settings.channels.items() if ch.enabled]

    def open_db(self) -> sqlite_utils.Database:
        """Open the workspace database (no component migrations; see feedsync.catalog)."""
        from feedsync.db import open_database

        return open_database(self.db_path)

    def secrets(self, channel: str) -> dict[str, SecretStr]:
        """Secrets of one channel: secrets.toml ``[<channel>]`` overridden by the environment.

        Environment names are ``FEEDSYNC_<CHANNEL>__<KEY>`` (upper case, double underscore);
        keys are returned lower case. Every value is registered for log redaction.
        """
        found: dict[str, SecretStr] = {}
        table = self._load_secrets_file().get(channel, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{self.root / SECRETS_FILE}: [{channel}] must be a table")
        for key, value in table.items():
            found[key.lower()] = SecretStr(str(value))
        prefix = f"{SECRET_ENV_PREFIX}{channel.upper()}__"
        for name, value in os.environ.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                found[name[len(prefix):].lower()] = SecretStr(value)
        for secret in found.values():
            register_secret(secret.get_secret_value())
        return found

    def _load_secrets_file(self) -> dict[str, Any]:
        if self._secrets_file is None:
            path = self.root / SECRETS_FILE
            self._secrets_file = _read_toml(path) if path.exists() else {}
        return self._secrets_file


def find_workspace_root(explicit: str | Path | None = None) -> Path:
    """Resolve the workspace folder: ``explicit``, else $FEEDSYNC_WORKSPACE, else the cwd."""
    chosen = explicit or os.environ.get(WORKSPACE_ENV) or os.getcwd()
    return Path(chosen).expanduser().resolve()


def load_workspace(explicit: str | Path | None = None) -> Workspace:
    """Find and load a workspace, validating feedsync.toml and reporting every problem at once."""
    root = find_workspace_root(explicit)
    path = root / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            f"no {CONFIG_FILE} in {root}: run 'feedsync init {root}' or pass --workspace"
        )
    return Workspace(root=root, settings=parse_settings(_read_toml(path), path,
                                                        channels=True))


def parse_settings(data: dict[str, Any], source: Path, *, channels: bool = False) -> Settings:
    """Validate raw TOML data; raise ConfigError listing each problem as ``file: key.path: why``.

    With ``channels`` (as :func:`load_workspace`, so every command, does) each channel's own
    keys, guardrails and required keys are checked too, through its adapter
    (:mod:`feedsync.config_channels`), and every problem of the file is reported at once.
    """
    settings: Settings | None = None
    problems: list[str] = []
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(source, err) for err in exc.errors()]
    if channels:
        from feedsync.config_channels import channel_problems

        problems.extend(p for p in channel_problems(data.get("channels"), str(source))
                        if p not in problems)
    if problems or settings is None:
        raise ConfigError(
            f"{source}: {len(problems)} problem(s) in the configuration", problems
        ) from None
    return settings


def _describe(source: Path, err: Any) -> str:
    location = ".".join(str(part) for part in err["loc"]) or "(top level)"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key" + _allowed_keys(err["loc"])
    value = err.get("input")
    text = repr(value)
    if len(text) > 80:  # a hostile or binary value is never echoed whole (issue #16)
        text = f"{text[:80]}… ({len(text)} characters)"
    shown = "" if isinstance(value, dict) or err["type"] == "missing" else f" (got {text})"
    return f"{source}: {location}: {message}{shown}"


def _allowed_keys(loc: tuple[Any, ...]) -> str:
    """`` (allowed: a, b)`` for an unknown key of a fixed table, with the closest match."""
    import difflib

    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        annotation = getattr(model.model_fields.get(str(part)), "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    allowed = sorted(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    return f" (allowed: {', '.join(allowed)})" + (f"; did you mean {close[0]!r}?" if close else "")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # a binary or non-UTF-8 file: say where, not a traceback
        line = exc.object[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                          "TOML files must be UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
