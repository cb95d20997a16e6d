"""`feedsync init [DIR]`: write a new workspace from the shipped templates."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import click
from pydantic import ValidationError

from feedsync.cli.context import AppContext, pass_app
from feedsync.config import WorkspaceSettings, iso_currency
from feedsync.errors import UsageError


def workspace_files() -> dict[str, bytes]:
    """Every file a new workspace gets, by relative path, read from the installed package."""
    template = resources.files("feedsync.workspace_template")
    files = {
        "feedsync.toml": template.joinpath("feedsync.toml").read_bytes(),
        "secrets.toml.example": template.joinpath("secrets.toml.example").read_bytes(),
        ".gitignore": template.joinpath("gitignore").read_bytes(),
    }
    mappings = resources.files("feedsync.mappings")
    for entry in sorted(mappings.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            files[f"mappings/{entry.name}"] = entry.read_bytes()
    return files


def with_store(config: bytes, name: str | None, store_url: str | None,
               currency: str | None = None) -> bytes:
    """The template's feedsync.toml with the store's name, web address and currency filled in."""
    text = config.decode("utf-8")
    if currency:
        text = text.replace('default_currency = "USD"', f'default_currency = "{currency}"', 1)
    if name:
        text = text.replace('name = "my-store"', f"name = {_toml_string(name)}", 1)
    if store_url:
        text = text.replace('# store_url = "https://shop.example.com"',
                            f"store_url = {_toml_string(store_url)}", 1)
    return text.encode("utf-8")


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _checked_currency(code: str) -> str:
    try:
        return iso_currency(code.strip().upper())
    except ValueError:
        raise UsageError(f"--currency {code!r}: must be an ISO 4217 currency code like USD, "
                         "EUR or SEK") from None


def _checked_url(url: str) -> str:
    try:
        return WorkspaceSettings(store_url=url.strip()).store_url or ""
    except ValidationError:
        raise UsageError(f"--store-url {url!r}: must be the store's web address, e.g. "
                         "https://shop.example.com") from None


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--store-url", metavar="URL",
              help="The store's web address (product links are derived from it); asked for "
                   "on a terminal when not given.")
@click.option("--currency", metavar="CODE",
              help="The currency of the store's prices (ISO 4217, e.g. USD, EUR, SEK): store "
                   "exports carry none, so imported prices are read in it; asked for on a "
                   "terminal when not given (default USD).")
@click.option("--name", "store_name", metavar="NAME",
              help="The store's name (the Meta feed's brand for products without one).")
@click.option("--sandbox", is_flag=True,
              help="A demo workspace whose channels all talk to the local marketplace sandbox "
                   "(`feedsync sandbox serve`), with sandbox credentials in secrets.toml.")
@click.option("--sandbox-port", type=click.IntRange(1, 65535), default=8765, show_default=True,
              envvar="FEEDSYNC_SANDBOX_PORT",
              help="The port the sandbox will serve on (with --sandbox).")
@pass_app
def init(app: AppContext, directory: Path | None, force: bool, store_url: str | None,
         store_name: str | None, sandbox: bool, sandbox_port: int,
         currency: str | None) -> None:
    """Create a workspace in DIRECTORY (default: the current folder)."""
    target = (directory or Path.cwd()).resolve()
    if sandbox:  # feedsync/sandbox/workspace.py writes it (issue #15)
        from feedsync.cli.sandbox_cmds import init_sandbox

        init_sandbox(app, target, port=sandbox_port, force=force)
        return
    if store_url is None and sys.stdin.isatty() and not app.json_output:
        store_url = click.prompt("Store web address (e.g. https://shop.example.com; "
                                 "Enter to skip)", default="", show_default=False) or None
    if store_url is not None:
        store_url = _checked_url(store_url)
    if currency is None and sys.stdin.isatty() and not app.json_output:
        currency = click.prompt("Currency of the store's prices (ISO 4217, e.g. USD, EUR, SEK)",
                                default="USD")
    currency = _checked_currency(currency or "USD")
    files = workspace_files()
    files["feedsync.toml"] = with_store(files["feedsync.toml"], store_name, store_url, currency)
    existing = [name for name in files if (target / name).exists()]
    if existing and not force:
        raise UsageError(
            f"{target} already has {', '.join(existing)}; use --force to overwrite"
        )
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    hint = "" if store_url else (
        "\nno store web address yet: set [workspace] store_url in feedsync.toml, or Google and "
        "Meta refuse the feed's items for lack of a product link")
    app.emit(
        {"ok": True, "workspace": str(target), "files": sorted(files),
         "store_url": store_url, "currency": currency},
        f"created workspace {target} ({len(files)} files; prices in {currency})\n"
        f"next: feedsync --workspace {target} catalog import YOUR_EXPORT.csv{hint}",
    )
