"""Publishing: atomic replace (also across a crash), the publish gate, gzip, determinism."""

from __future__ import annotations

import gzip
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedsync.feeds.atomic import AtomicFile, sweep_stale_temps
from feedsync.feeds.base import FeedFormat
from feedsync.feeds.build import build_feed
from feedsync.feeds.gate import check_publish, previous_feed, read_state, state_path
from feedsync.mapping.record import MappedRecord
from feedsync.registry import channel_feed
from tests.conftest import REPO_ROOT
from tests.feeds.helpers import INFO, SCHEMA, erroneous, excluded, many

FORMATS = {
    "google-xml": channel_feed("google")["xml"],
    "google-tsv": channel_feed("google")["tsv"],
    "meta-csv": channel_feed("facebook")["csv"],
    "meta-xml": channel_feed("facebook")["xml"],
}


def publish(target: Path, records: Iterator[MappedRecord] | list[MappedRecord],
            fmt: FeedFormat = FORMATS["google-xml"], **options: object):  # type: ignore[no-untyped-def]
    return build_feed(records, schema=SCHEMA, fmt=fmt, target=target, info=INFO,
                      **options)  # type: ignore[arg-type]


def temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- atomic replace ----------------------------------------------------------------------


def test_an_exception_mid_write_leaves_the_old_feed_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "google.xml"
    assert publish(target, many(10)).published
    before = target.read_bytes()

    def failing() -> Iterator[MappedRecord]:
        yield from many(5, start=100)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        publish(target, failing())
    assert target.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_a_killed_process_leaves_the_old_feed_whole(tmp_path: Path) -> None:
    target = tmp_path / "google.xml"
    assert publish(target, many(10)).published
    before = target.read_bytes()
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from pathlib import Path
        from feedsync.feeds.build import build_feed
        from feedsync.registry import channel_feed
        from tests.feeds.helpers import INFO, SCHEMA, many

        def dying():
            for i, rec in enumerate(many(50_000)):
                if i == 20_000:
                    os.kill(os.getpid(), signal.SIGKILL)
                yield rec

        build_feed(dying(), schema=SCHEMA, fmt=channel_feed("google")["xml"],
                   target=Path({str(target)!r}), info=INFO)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=False)
    assert proc.returncode == -9
    assert target.read_bytes() == before  # the platform still fetches the whole old feed
    leftovers = temp_files(tmp_path)
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0
    # The next build sweeps what the crash left at once: its writer is dead (issue #16).
    assert sweep_stale_temps(target, older_than=3600) == leftovers
    assert temp_files(tmp_path) == []


def test_new_files_get_a_normal_mode_and_replaced_files_keep_theirs(tmp_path: Path) -> None:
    target = tmp_path / "feed.xml"
    publish(target, many(3))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    target.chmod(0o640)
    publish(target, many(3))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_atomic_file_discards_when_not_committed(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_text("old")
    with AtomicFile(target) as out:
        out.stream.write(b"new")
    assert target.read_text() == "old"
    assert temp_files(tmp_path) == []


# --- publish gate ------------------------------------------------------------------------


@pytest.mark.parametrize(("items", "previous", "allowed"), [
    (10, None, True),  # first publish
    (1, None, True),
    (0, None, False),  # never publish an empty feed by accident
    (0, 10, False),
    (7, 10, True),  # exactly 30 % gone: allowed
    (6, 10, False),  # 40 % gone: refused
    (15, 10, True),
])
def test_gate_rules(items: int, previous: int | None, allowed: bool) -> None:
    decision = check_publish(items, previous)
    assert decision.allowed is allowed
    assert (decision.reason is None) is allowed
    forced = check_publish(items, previous, force=True)
    assert forced.allowed and forced.forced is (not allowed)


def test_gate_limit_is_configurable() -> None:
    assert not check_publish(89, 100, max_drop=0.10).allowed
    assert check_publish(90, 100, max_drop=0.10).allowed
    assert check_publish(1, 100, max_drop=1.0).allowed


def test_a_collapsed_feed_is_refused_and_the_old_one_kept(tmp_path: Path) -> None:
    target = tmp_path / "google.xml"
    assert publish(target, many(10)).published
    before = target.read_bytes()
    result = publish(target, [*many(6), erroneous("E-1"), excluded("X-1")])
    assert not result.published
    assert (result.items, result.skipped, result.excluded) == (6, 1, 1)
    assert result.gate.previous == 10 and result.previous_source == "state"
    assert "from 10 to 6" in (result.gate.reason or "")
    assert target.read_bytes() == before
    assert read_state(target).items == 10  # type: ignore[union-attr]
    assert temp_files(tmp_path) == []

    forced = publish(target, many(6), force=True)
    assert forced.published and forced.gate.forced
    assert read_state(target).items == 6  # type: ignore[union-attr]


def test_an_empty_feed_is_refused_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "google.xml"
    result = publish(target, [erroneous("E-1")])
    assert not result.published and not target.exists()
    assert publish(target, [], force=True).published
    assert target.exists()


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_without_a_state_file_the_published_feed_is_counted(tmp_path: Path, name: str,
                                                             compress: bool) -> None:
    fmt = FORMATS[name]
    target = tmp_path / f"feed.{fmt.extension}"
    publish(target, many(10), fmt, compress=compress)
    state_path(target).unlink()
    previous = previous_feed(target, fmt)
    assert (previous.items, previous.source) == (10, "counted")
    assert not publish(target, many(5), fmt, compress=compress).published


def test_a_feed_replaced_by_hand_is_counted_not_trusted_from_state(tmp_path: Path) -> None:
    fmt = FORMATS["meta-csv"]
    target = tmp_path / "facebook.csv"
    publish(target, many(10), fmt)
    target.write_text("id,title\nA,a\nB,b\n")
    previous = previous_feed(target, fmt)
    assert (previous.items, previous.source) == (2, "counted")


def test_an_unreadable_previous_feed_does_not_block_a_good_one(tmp_path: Path) -> None:
    fmt = FORMATS["google-xml"]
    target = tmp_path / "google.xml"
    target.write_bytes(b"<rss><channel><item>")  # truncated by someone else's tool
    previous = previous_feed(target, fmt)
    assert previous.items is None and previous.source == "unreadable"
    assert previous.problem
    assert publish(target, many(3), fmt).published


# --- gzip and determinism ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_builds_are_byte_for_byte_reproducible(tmp_path: Path, name: str) -> None:
    fmt = FORMATS[name]
    records = [*many(5), erroneous("E"), excluded("X")]
    for compress in (False, True):
        first, second = tmp_path / f"a.{name}", tmp_path / f"b.{name}"
        publish(first, iter(records), fmt, compress=compress)
        publish(second, iter(records), fmt, compress=compress)
        assert first.read_bytes() == second.read_bytes()
        first.unlink()
        second.unlink()


def test_gzip_is_reproducible_and_holds_the_plain_feed(tmp_path: Path) -> None:
    plain, packed = tmp_path / "google.xml", tmp_path / "google.xml.gz"
    publish(plain, many(20))
    result = publish(packed, many(20), compress=True)
    raw = packed.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[4:8] == b"\x00\x00\x00\x00"  # MTIME: no timestamp in the file
    assert raw[3] & 0x08 == 0  # FNAME flag unset: no file name in the header either
    assert gzip.decompress(raw) == plain.read_bytes()
    assert result.size == len(raw) and read_state(packed).gzip  # type: ignore[union-attr]


def test_an_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    from feedsync.errors import FeedsyncError

    target = tmp_path / "google.xml"
    target.mkdir()  # a folder where the feed should go
    with pytest.raises(FeedsyncError, match=r"test: cannot write the feed .*google\.xml"):
        publish(target, many(3))
    assert target.is_dir() and temp_files(tmp_path) == []
