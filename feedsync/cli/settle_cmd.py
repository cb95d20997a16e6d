"""``feedsync settle CHANNEL SUBMISSION``: a person's verdict on a batch whose answer was lost.

A push whose read-back still cannot tell, hours later, whether a batch arrived ends
needs-a-human (exit 4) naming the submission (feedsync/sync/readback.py, UNDECIDED_AFTER) and
keeps its SKUs held: sending them again could create a duplicate. Once a person has looked at
the channel's own list (Amazon: Seller Central's feed upload status, or getFeeds), this records
what they found: ``--arrived HANDLE`` adopts the channel's submission (polled by the next push),
``--not-arrived`` releases the SKUs to be planned again.
"""

from __future__ import annotations

import click

from feedsync.cli.context import AppContext, pass_app
from feedsync.errors import UsageError


@click.command("settle")
@click.argument("channel")
@click.argument("submission", type=int)
@click.option("--arrived", "handle", metavar="HANDLE", default=None,
              help="The channel holds the batch under this handle (Amazon: its feedId).")
@click.option("--not-arrived", "not_arrived", is_flag=True,
              help="The channel does not hold the batch: plan its SKUs again.")
@click.option("--json", "json_flag", is_flag=True, help="One JSON object on stdout.")
@pass_app
def settle(app: AppContext, channel: str, submission: int, handle: str | None,
           not_arrived: bool, json_flag: bool) -> None:
    """Settle a batch whose answer was lost, after checking the channel: --arrived HANDLE
    adopts it, --not-arrived plans its SKUs again.

    SUBMISSION is the id a push's needs-a-human message and `feedsync status` name.
    """
    from feedsync.sync import readback
    from feedsync.sync.lock import WorkspaceLock, lock_path
    from feedsync.sync.state import ensure_schema

    app.json_output = app.json_output or json_flag
    if (handle is None) == (not not_arrived):
        raise UsageError("say what the channel holds: --arrived HANDLE or --not-arrived")
    account = app.workspace.channel(channel).account
    with WorkspaceLock(lock_path(app.workspace.db_path), "settle"):
        ensure_schema(app.catalog.db)
        message = readback.settle(app.catalog.db, channel, account, submission,
                                  arrived=handle)
    app.emit({"ok": True, "channel": channel, "submission": submission,
              "arrived": handle}, message)
