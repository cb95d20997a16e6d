"""Building a channel's feed from the workspace: mapping engine → format → published file.

This is what ``feedsync feed build`` and ``bench/feeds.py`` call. The channel's formats come
from its package (``FEED_FORMATS``); the records from the mapping engine, streamed in SKU order;
the gate's limit from ``max_feed_drop_share`` under ``[channels.<name>.guardrails]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from feedsync.adapter_factory import adapter_settings
from feedsync.catalog import Catalog
from feedsync.config import Workspace
from feedsync.errors import ConfigError, UsageError
from feedsync.feeds.base import FeedFormat, FeedInfo
from feedsync.feeds.build import FeedResult, build_feed, publish_feed
from feedsync.feeds.parallel import (
    FeedJob,
    ParallelFill,
    ProgressSink,
    database_file,
    sku_ranges,
    worker_count,
)
from feedsync.mapping.record import MappedRecord
from feedsync.registry import channel_feed
from feedsync.sync.guardrails import load_guardrails

# [channels.<name>.guardrails] holds every "refuse unless --force" limit of a channel; the sync
# engine validates the table as a whole (feedsync.sync.guardrails), this key is the feed gate's.
GUARDRAILS_KEY = "guardrails"


def feed_format(workspace: Workspace, channel: str, name: str | None) -> FeedFormat:
    """The channel's format called ``name`` (default: the first the channel lists)."""
    settings = workspace.channel(channel)
    formats = channel_feed(channel, settings.adapter)
    if not formats:
        raise ConfigError(f"channel {channel!r} declares no feed formats")
    if name is None:
        return next(iter(formats.values()))
    if name not in formats:
        raise UsageError(
            f"{channel} has no feed format {name!r}; it has: {', '.join(formats)}"
        )
    return formats[name]


def max_drop_share(workspace: Workspace, channel: str) -> float:
    """The publish gate's limit for ``channel``: ``[channels.<name>.guardrails]
    max_feed_drop_share``, a share of the previous feed's items (default 0.30).

    The whole guardrails table is validated, as ``feedsync sync`` does, so a typo in it is
    reported by whichever command reads it first.
    """
    extra = workspace.channel(channel).model_extra or {}
    rails = load_guardrails(channel, extra.get(GUARDRAILS_KEY), str(workspace.config_path))
    return float(rails.max_feed_drop_share)


def default_target(workspace: Workspace, channel: str, fmt: FeedFormat, compress: bool) -> Path:
    """``<output dir>/<channel>.<extension>``, plus ``.gz`` when compressed."""
    name = f"{channel}.{fmt.extension}" + (".gz" if compress else "")
    return workspace.output_dir / name


def feed_info(workspace: Workspace, channel: str) -> FeedInfo:
    """Feed-level metadata: the workspace's name and the channel's settings (validated once with
    its adapter's ``Config``); the link is taken from the first item."""
    name = workspace.settings.workspace.name
    return FeedInfo(channel=channel, title=name,
                    description=f"{name}: product feed for {channel}",
                    settings=adapter_settings(workspace, channel))


def build_channel_feed(
    workspace: Workspace,
    catalog: Catalog,
    channel: str,
    *,
    now: datetime,
    format_name: str | None = None,
    target: Path | None = None,
    compress: bool = False,
    force: bool = False,
    progress: ProgressSink | None = None,
    workers: int | None = None,
    min_skus_per_worker: int | None = None,
) -> FeedResult:
    """Map the catalog for ``channel`` and publish its feed; see :func:`build_feed`.

    ``now`` is the moment sale dates are evaluated at (pass a fixed one for reproducible
    files). ``progress`` counts the records (a progress line on a terminal). ``workers``: how
    many processes map and render the catalog by SKU range (default: ``[feeds] workers``, else
    the machine's cores, at most 8; 1 = this process only); the bytes are the same whatever the
    number
    (feedsync/feeds/parallel.py). A catalog with fewer than ``min_skus_per_worker`` SKUs per
    worker (default :data:`~feedsync.feeds.parallel.MIN_SKUS_PER_WORKER`) is built by fewer
    processes.
    """
    from feedsync.mapping.engine import ChannelMapper

    fmt = feed_format(workspace, channel, format_name)
    limit = max_drop_share(workspace, channel)
    mapper = ChannelMapper.for_workspace(workspace, channel)
    target = target or default_target(workspace, channel, fmt, compress)
    info = feed_info(workspace, channel)
    if workers is None:
        workers = workspace.settings.feeds.workers
    processes = worker_count(catalog, workers, min_per_worker=min_skus_per_worker)
    database = database_file(catalog) if processes > 1 else None
    if database is not None:
        job = FeedJob(mapper=mapper, fmt=fmt, schema=mapper.schema, info=info, columns=None,
                      database=database, now=now)
        fill = ParallelFill(job, catalog, sku_ranges(catalog, processes), target, progress)
        return publish_feed(fill, schema=mapper.schema, fmt=fmt, target=target, info=info,
                            compress=compress, force=force, max_drop=limit)
    records: Iterable[MappedRecord] = mapper.map_catalog(catalog, now=now)
    if progress is not None:
        records = progress.wrap(records)
    return build_feed(
        records,
        schema=mapper.schema,
        fmt=fmt,
        target=target,
        info=info,
        compress=compress,
        force=force,
        max_drop=limit,
    )
