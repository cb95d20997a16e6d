"""A feed built by several worker processes is the one-process feed, byte for byte.

The catalog is the golden catalog (tests/feeds/golden_catalog.py) plus generated SKUs that
exercise everything a worker must carry back exactly: drafts (excluded by the shipped mappings'
status filter), catalog exclusions, SKUs without link or image (errors: left out), more images
than Google's 10 (a warning), control characters and line breaks (writer notes), overrides and
untracked stock — more than 20 of each left-out kind, so the samples ("the first 20 in SKU
order") are cut across workers. Builds through the shipped Google and Meta mappings and formats.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import signal
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from feedsync.catalog import Catalog
from feedsync.cli.main import cli
from feedsync.config import Workspace, load_workspace
from feedsync.feeds import channel as channel_module
from feedsync.feeds import parallel
from feedsync.feeds.build import FeedResult, publish_feed
from feedsync.feeds.channel import build_channel_feed, feed_format, feed_info
from feedsync.feeds.delimited import DelimitedFormat, DelimitedWriter
from feedsync.feeds.parallel import (
    FeedJob,
    ParallelFill,
    WorkerFailed,
    database_file,
    sku_ranges,
    worker_count,
)
from feedsync.feeds.rss import RssWriter
from feedsync.mapping.engine import ChannelMapper
from feedsync.mapping.stream import SkuRange
from feedsync.models import InventoryLevel, Product, ProductStatus
from tests.feeds import golden_catalog

AS_OF = golden_catalog.AS_OF
FORMATS = [("google", "xml"), ("google", "tsv"), ("facebook", "csv"), ("facebook", "xml")]


def _product(sku: str, kind: int, index: int) -> Product:
    slug = sku.lower()
    values: dict[str, Any] = {
        "sku": sku, "title": f"Camp Chair {index}", "price": Decimal("39.90") + index,
        "currency": "USD", "description": f"Folding chair no. {index} & a cup holder.",
        "brand": "Example Outdoor", "gtin": "4006381333931", "condition": "new",
        "category": "Sports > Outdoor", "link": f"https://shop.example.com/products/{slug}",
        "images": [f"https://cdn.example.com/{slug}/1.jpg"],
    }
    if kind == 1:
        values["status"] = ProductStatus.DRAFT  # excluded by the mapping's filter
    elif kind == 2:
        values["link"], values["images"] = None, []  # errors: left out
    elif kind == 3:
        values["images"] = [f"https://cdn.example.com/{slug}/{n}.jpg" for n in range(14)]
    return Product(**values)


def load_catalog(catalog: Catalog) -> None:
    """The golden catalog plus 150 generated SKUs (see the module docstring)."""
    golden_catalog.load(catalog)
    extra = [_product(f"P-{i:03d}", i % 5, i) for i in range(150)]
    # SKUs sorting before every other one that are all left out: a first range without items
    extra += [_product(f"A-DRAFT-{i}", 1, i) for i in range(3)]
    extra += [_product(f"A-ERR-{i}", 2, i) for i in range(3)]
    catalog.upsert_products(extra)
    catalog.set_inventory(InventoryLevel(p.sku, "main", i % 7) for i, p in enumerate(extra))
    for i in range(0, 150, 11):
        catalog.exclude(f"P-{i:03d}", "google", "not for Google")
    for i in range(0, 150, 13):
        catalog.set_override(f"P-{i:03d}", "google", "title", f"Override {i}")
        catalog.set_override(f"P-{i:03d}", "facebook", "title", f"Override {i}")
    catalog.set_stock_tracking([], [f"P-{i:03d}" for i in range(0, 150, 17)])
    for i in range(4, 150, 5):  # the mapping cleans descriptions; an override is sent as is
        for channel in ("google", "facebook"):
            catalog.set_override(f"P-{i:03d}", channel, "description",
                                 f"Bell \x07 inside,\nand a second line ({i})")


@pytest.fixture
def loaded(workspace: Path, catalog: Catalog) -> tuple[Workspace, Catalog]:
    load_catalog(catalog)
    return load_workspace(workspace), catalog


def one_process(loaded: tuple[Workspace, Catalog], channel: str, fmt: str, target: Path,
                compress: bool = False) -> FeedResult:
    ws, cat = loaded
    return build_channel_feed(ws, cat, channel, now=AS_OF, format_name=fmt, target=target,
                              compress=compress, workers=1)


def with_ranges(loaded: tuple[Workspace, Catalog], channel: str, fmt: str, target: Path,
                ranges: list[SkuRange], compress: bool = False,
                progress: Any = None) -> FeedResult:
    """The multi-process build with the SKU ranges given (not the quantiles)."""
    ws, cat = loaded
    feed = feed_format(ws, channel, fmt)
    mapper = ChannelMapper.for_workspace(ws, channel)
    info = feed_info(ws, channel)
    database = database_file(cat)
    assert database is not None
    job = FeedJob(mapper=mapper, fmt=feed, schema=mapper.schema, info=info, columns=None,
                  database=database, now=AS_OF)
    fill = ParallelFill(job, cat, ranges, target, progress)
    return publish_feed(fill, schema=mapper.schema, fmt=feed, target=target, info=info,
                        compress=compress)


def same_result(single: FeedResult, multi: FeedResult) -> None:
    assert multi.path.read_bytes() == single.path.read_bytes()
    assert multi.sha256 == single.sha256 and multi.size == single.size
    for name in ("published", "items", "skipped", "skipped_sample", "excluded",
                 "excluded_sample", "with_warnings"):
        assert getattr(multi, name) == getattr(single, name), name
    assert multi.notes.as_dict() == single.notes.as_dict()
    assert multi.gate == single.gate


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# SKU ranges of very different sizes: the first holds only left-out SKUs (the RSS header then
# takes its link from the second range's first item), one is empty.
UNEVEN: list[SkuRange] = [(None, "B"), ("B", "P-010"), ("P-010", "P-010"), ("P-010", None)]


@pytest.mark.parametrize(("channel", "fmt"), FORMATS)
def test_two_and_three_processes_write_the_one_process_bytes(
        loaded: tuple[Workspace, Catalog], tmp_path: Path, channel: str, fmt: str) -> None:
    ws, cat = loaded
    assert worker_count(cat, 3, min_per_worker=1) == 3  # really in several processes
    single = one_process(loaded, channel, fmt, tmp_path / "one" / f"feed.{fmt}")
    assert single.items > 50 and single.skipped > 20 and single.excluded > 20
    assert single.with_warnings > 0
    for workers in (2, 3):
        multi = build_channel_feed(ws, cat, channel, now=AS_OF, format_name=fmt,
                                   target=tmp_path / f"w{workers}" / f"feed.{fmt}",
                                   workers=workers, min_skus_per_worker=1)
        same_result(single, multi)
    uneven = with_ranges(loaded, channel, fmt, tmp_path / "uneven" / f"feed.{fmt}", UNEVEN)
    same_result(single, uneven)
    assert leftovers(tmp_path / "uneven") == []


def test_the_writer_notes_cross_workers(loaded: tuple[Workspace, Catalog],
                                        tmp_path: Path) -> None:
    single = one_process(loaded, "facebook", "csv", tmp_path / "one.csv")
    assert set(single.notes.counts) >= {"line_breaks_replaced", "control_characters_removed"}
    many = with_ranges(loaded, "facebook", "csv", tmp_path / "many.csv",
                       [(None, "P-020"), ("P-020", "P-060"), ("P-060", None)])
    assert many.notes.as_dict() == single.notes.as_dict()


@pytest.mark.parametrize(("channel", "fmt"), [("google", "xml"), ("facebook", "csv")])
def test_gzip_is_identical_too(loaded: tuple[Workspace, Catalog], tmp_path: Path,
                               channel: str, fmt: str) -> None:
    single = one_process(loaded, channel, fmt, tmp_path / "one.gz", compress=True)
    multi = with_ranges(loaded, channel, fmt, tmp_path / "multi.gz", UNEVEN, compress=True)
    same_result(single, multi)
    plain = one_process(loaded, channel, fmt, tmp_path / "plain")
    assert gzip.decompress(multi.path.read_bytes()) == plain.path.read_bytes()


def test_sku_ranges_hold_about_equal_counts_and_cover_every_sku(
        loaded: tuple[Workspace, Catalog]) -> None:
    _, cat = loaded
    skus = [row[0] for row in cat.db.execute("SELECT sku FROM products ORDER BY sku")]
    for parts in (2, 3, 7):
        ranges = sku_ranges(cat, parts)
        assert len(ranges) == parts and ranges[0][0] is None and ranges[-1][1] is None
        sizes = [sum(1 for s in skus if (lo is None or s >= lo) and (hi is None or s < hi))
                 for lo, hi in ranges]
        assert sum(sizes) == len(skus)
        assert max(sizes) - min(sizes) <= 1
    # more parts than SKUs: fewer ranges, never an empty one
    assert len(sku_ranges(cat, len(skus) + 5)) == len(skus)


def test_small_catalogs_and_workers_1_stay_in_one_process(
        loaded: tuple[Workspace, Catalog]) -> None:
    _, cat = loaded
    count = cat.count()
    assert worker_count(cat, 1, min_per_worker=1) == 1
    assert worker_count(cat, 4, min_per_worker=count) == 1  # not 2 × the minimum
    assert worker_count(cat, 4, min_per_worker=count // 2) == 2
    assert worker_count(cat, None) == 1  # under MIN_SKUS_PER_WORKER
    cat.db.execute("BEGIN")
    try:  # workers could not see an open transaction's rows
        assert worker_count(cat, 4, min_per_worker=1) == 1
    finally:
        cat.db.execute("ROLLBACK")


def test_progress_counts_every_sku_and_is_closed(loaded: tuple[Workspace, Catalog],
                                                 tmp_path: Path) -> None:
    class Sink:
        def __init__(self) -> None:
            self.count, self.closed = 0, False

        def wrap(self, items: Any) -> Any:
            raise AssertionError("the parallel build counts chunks, it wraps nothing")

        def advance(self, n: int = 1) -> None:
            self.count += n

        def close(self) -> None:
            self.closed = True

    sink = Sink()
    with_ranges(loaded, "google", "xml", tmp_path / "feed.xml", UNEVEN, progress=sink)
    assert sink.count == loaded[1].count() and sink.closed


def _no_workers_left() -> bool:
    return not multiprocessing.active_children()


def test_a_failing_worker_fails_the_build_and_keeps_the_previous_feed(
        loaded: tuple[Workspace, Catalog], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "google.xml"
    one_process(loaded, "google", "xml", target)
    before = target.read_bytes()
    render = RssWriter.render

    def broken(self: RssWriter, record: Any) -> bytes:
        if record.sku == "P-073":
            raise ValueError("disk said no")
        return render(self, record)

    monkeypatch.setattr(RssWriter, "render", broken)  # the forked workers inherit it
    with pytest.raises(WorkerFailed) as caught:
        with_ranges(loaded, "google", "xml", target, UNEVEN)
    message = str(caught.value)
    assert "worker 4 of 4" in message and "'P-010'" in message
    assert "ValueError: disk said no" in message and "unchanged" in message
    assert target.read_bytes() == before
    assert leftovers(target.parent) == []
    assert _no_workers_left()


def test_a_worker_that_dies_fails_the_build_cleanly(loaded: tuple[Workspace, Catalog],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "facebook.csv"
    one_process(loaded, "facebook", "csv", target)
    before = target.read_bytes()
    render = DelimitedWriter.render

    def killed(self: DelimitedWriter, record: Any) -> bytes:
        if record.sku == "MUG-01":
            os._exit(9)  # as the OOM killer would
        return render(self, record)

    monkeypatch.setattr(DelimitedWriter, "render", killed)
    with pytest.raises(WorkerFailed, match=r"ended unexpectedly \(exit code 9\)"):
        with_ranges(loaded, "facebook", "csv", target, UNEVEN)
    assert target.read_bytes() == before
    assert leftovers(target.parent) == []
    assert _no_workers_left()


def test_ctrl_c_stops_the_workers_and_publishes_nothing(loaded: tuple[Workspace, Catalog],
                                                        tmp_path: Path) -> None:
    target = tmp_path / "out" / "google.xml"
    one_process(loaded, "google", "xml", target)
    before = target.read_bytes()

    class Interrupting:
        def wrap(self, items: Any) -> Any:
            return items

        def advance(self, n: int = 1) -> None:
            raise KeyboardInterrupt

        def close(self) -> None:
            pass

    with pytest.raises(KeyboardInterrupt):
        with_ranges(loaded, "google", "xml", target, UNEVEN, progress=Interrupting())
    assert target.read_bytes() == before
    assert leftovers(target.parent) == []
    assert _no_workers_left()


def test_a_format_that_numbers_its_items_is_written_in_one_pass(
        loaded: tuple[Workspace, Catalog], tmp_path: Path) -> None:
    class Numbered(DelimitedFormat):
        """Stands in for Amazon's JSON_LISTINGS_FEED, whose messages are numbered 1..n."""

        def open(self, *args: Any, **kwargs: Any) -> DelimitedWriter:
            writer = super().open(*args, **kwargs)
            writer.splittable = False
            return writer

    ws, cat = loaded
    numbered = Numbered(name="csv", delimiter=",", quote_all=True)
    mapper = ChannelMapper.for_workspace(ws, "facebook")
    info = feed_info(ws, "facebook")
    database = database_file(cat)
    assert database is not None
    job = FeedJob(mapper=mapper, fmt=numbered, schema=mapper.schema, info=info, columns=None,
                  database=database, now=AS_OF)
    fill = ParallelFill(job, cat, UNEVEN, tmp_path / "n.csv")
    multi = publish_feed(fill, schema=mapper.schema, fmt=numbered, target=tmp_path / "n.csv",
                         info=info)
    same_result(one_process(loaded, "facebook", "csv", tmp_path / "one.csv"), multi)


def test_feed_build_workers_option(runner: CliRunner, workspace: Path, catalog: Catalog,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    load_catalog(catalog)
    monkeypatch.setattr(parallel, "MIN_SKUS_PER_WORKER", 1)
    fills: list[int] = []

    class Spy(ParallelFill):
        def __call__(self, writer: Any, tally: Any) -> None:
            fills.append(len(self.ranges))
            super().__call__(writer, tally)

    monkeypatch.setattr(channel_module, "ParallelFill", Spy)
    digests = {}
    for workers in ("1", "2"):
        result = runner.invoke(cli, ["--workspace", str(workspace), "--json", "feed", "build",
                                     "google", "--gzip", "--workers", workers,
                                     "--as-of", AS_OF.isoformat()])
        assert result.exit_code == 0, result.output
        feed = json.loads(result.output)["feeds"][0]
        assert feed["published"] and feed["skipped"] > 20
        digests[workers] = feed["sha256"]
    assert fills == [2]  # --workers 1 built in the command's own process
    assert digests["1"] == digests["2"]
    result = runner.invoke(cli, ["--workspace", str(workspace), "feed", "build", "google",
                                 "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output


def test_feeds_workers_in_feedsync_toml(runner: CliRunner, workspace: Path, catalog: Catalog,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    load_catalog(catalog)
    monkeypatch.setattr(parallel, "MIN_SKUS_PER_WORKER", 1)
    used: list[int | None] = []
    count = parallel.worker_count

    def spy(catalog: Catalog, requested: int | None, min_per_worker: int | None = None) -> int:
        used.append(requested)
        return count(catalog, requested, min_per_worker)

    monkeypatch.setattr(channel_module, "worker_count", spy)
    config = workspace / "feedsync.toml"
    config.write_text(config.read_text() + "\n[feeds]\nworkers = 3\n")
    args = ["--workspace", str(workspace), "feed", "build", "google"]
    assert runner.invoke(cli, args).exit_code == 0
    assert runner.invoke(cli, [*args, "--workers", "2"]).exit_code == 0
    assert used == [3, 2]  # the option wins over the file
    config.write_text(config.read_text().replace("workers = 3", "workers = 0"))
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 4 and "feeds.workers" in result.output


def test_a_worker_that_cannot_start_fails_the_build_cleanly(
        loaded: tuple[Workspace, Catalog], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "google.xml"
    one_process(loaded, "google", "xml", target)
    before = target.read_bytes()
    process_class = type(multiprocessing.get_context("fork").Process())
    start = process_class.start
    started: list[object] = []

    def limited(self: Any) -> None:
        if started:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        started.append(self)
        start(self)

    monkeypatch.setattr(process_class, "start", limited)
    with pytest.raises(WorkerFailed, match=r"worker 2 of 4 .* could not be started"):
        with_ranges(loaded, "google", "xml", target, UNEVEN)
    assert target.read_bytes() == before
    assert leftovers(target.parent) == []
    assert _no_workers_left()


def _running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_end_when_the_build_process_is_killed(loaded: tuple[Workspace, Catalog],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    render = RssWriter.render

    def slow(self: RssWriter, record: Any) -> bytes:
        time.sleep(0.2)  # a build that is still running when it is killed (~20 s per worker)
        return render(self, record)

    monkeypatch.setattr(RssWriter, "render", slow)
    monkeypatch.setattr(parallel, "CHUNK_SKUS", 1)  # a report after every SKU
    target = tmp_path / "out" / "google.xml"
    context = multiprocessing.get_context("fork")
    ranges: list[SkuRange] = [(None, "P-010"), ("P-010", None)]  # both render for seconds
    builder = context.Process(target=with_ranges, args=(loaded, "google", "xml", target, ranges))
    builder.start()
    assert builder.pid is not None
    workers: list[int] = []
    for _ in range(100):  # until the builder has started its workers
        workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                   and _parent_of(int(p.name)) == builder.pid]
        if len(workers) == len(ranges):
            break
        time.sleep(0.05)
    assert len(workers) == len(ranges)
    os.kill(builder.pid, signal.SIGKILL)  # as kill -9 or the OOM killer would
    builder.join()
    deadline = time.monotonic() + 5  # the next report fails: far sooner than the range's end
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)  # no orphan maps on for nobody


def _parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
