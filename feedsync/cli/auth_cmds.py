"""`feedsync auth CHANNEL`: obtain a channel's first OAuth tokens interactively.

A channel that needs it ships ``<package>.authorize`` with ``AUTHORIZE(workspace, config,
show=…, ask=…)`` (Etsy: OAuth 2.0 with PKCE, see adapters/etsy/authorize.py); the command finds
it through the registry, so the CLI never imports a concrete adapter. Tokens are stored in the
workspace database, never printed.
"""

from __future__ import annotations

import click

from feedsync.adapter_factory import adapter_settings
from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import UsageError
from feedsync.registry import optional_channel_module


@click.command("auth")
@click.argument("channel")
@pass_app
def auth(app: AppContext, channel: str) -> None:
    """Authorise feedsync on CHANNEL's marketplace (prints a link, asks for the redirect)."""
    workspace = app.workspace
    settings = workspace.channel(channel)
    module = optional_channel_module(channel, "authorize", settings.adapter)
    if module is None:
        raise UsageError(f"{channel} needs no interactive authorisation: put its credentials "
                         "in secrets.toml (see docs/channels/)")
    config = adapter_settings(workspace, channel)
    result = module.AUTHORIZE(workspace, config, show=lambda text: click.echo(text, err=True),
                              ask=lambda prompt: click.prompt(prompt, err=True))
    shop = (f"shop {result.shop_name} (id {result.shop_id}): set channels.{channel}.shop_id = "
            f"{result.shop_id} in feedsync.toml" if result.shop_id else
            "the shop id could not be read; set channels.etsy.shop_id yourself")
    app.emit({"channel": channel, "stored": result.stored, "user_id": result.user_id,
              "shop_id": result.shop_id, "shop_name": result.shop_name},
             f"{channel}: authorised; the refresh token is stored in the workspace database "
             f"(never printed). {shop}")
