"""Publishing a file atomically: a temporary file beside the target, fsync, then rename.

Google and Meta fetch feeds on their own schedule, so the file at the published path must
always be a whole feed: the old one or the new one, never half of either. The new feed is
written to a temporary file in the same folder (a rename is atomic only within one file
system), flushed and fsync'ed, then moved over the target with :func:`os.replace`, and the
folder is fsync'ed so the rename itself survives a power cut. A crash before the rename leaves
the old feed untouched; the orphaned temporary file is swept by the next build: its name carries
the writer's pid, so a temporary file whose writer is gone (``kill -9``) is removed at once, and
any other one once it is :data:`STALE_AFTER_SECONDS` old (issue #16: 12 killed builds left 179 MB
that only an hours-old sweep removed).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

TEMP_SUFFIX = ".tmp"
STALE_AFTER_SECONDS = 6 * 3600
GZIP_LEVEL = 6  # fixed: the same input must give the same bytes


def temp_prefix(target: Path) -> str:
    """Prefix of the temporary files written for ``target`` (hidden, next to it)."""
    return f".{target.name}."


def _writer_gone(name: str, prefix: str) -> bool:
    """Whether the temp file ``name`` (``<prefix><pid>-<random>.tmp``) has a dead writer."""
    pid_text, dash, _ = name[len(prefix):].partition("-")
    if not (dash and pid_text.isdigit()):
        return False  # not written by this version: only the age rule applies
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False
    return False


def sweep_stale_temps(target: Path, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove temporary files a crashed run left for ``target``; returns what was removed."""
    removed: list[Path] = []
    folder = target.parent
    if not folder.is_dir():
        return removed
    prefix = temp_prefix(target)
    cutoff = time.time() - older_than
    for candidate in folder.iterdir():
        name = candidate.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        with contextlib.suppress(FileNotFoundError):
            if _writer_gone(name, prefix) or candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                removed.append(candidate)
    return removed


class _CountingHasher:
    """A write-only binary stream that hashes and counts the bytes passing to ``raw``."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()

    # io.TextIOWrapper and gzip look for these on the stream they wrap.
    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self.raw.closed


def _default_mode() -> int:
    # mkstemp creates 0600; a published feed is read by whatever serves it, so use the mode a
    # normal new file would get (0666 minus the umask). os.umask can only be read by setting it.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_folder(folder: Path) -> None:
    """fsync a directory so a rename inside it is durable (a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicFile:
    """Write ``target`` atomically; optionally gzip-compressed, reproducibly.

    Use as a context manager; write to :attr:`stream`, then call :meth:`commit`. Leaving the
    block without committing (an exception, a refused publish gate) discards the new file.
    :attr:`sha256` and :attr:`size` describe the bytes on disk once committed.
    """

    def __init__(self, target: Path, *, compress: bool = False) -> None:
        self.target = Path(target)
        self.compress = compress
        self.committed = False
        self.sha256: str | None = None
        self.size = 0
        self._temp: Path | None = None
        self._raw: BinaryIO | None = None
        self._hasher: _CountingHasher | None = None
        self._gzip: gzip.GzipFile | None = None
        self.stream: BinaryIO = cast(BinaryIO, None)

    def __enter__(self) -> AtomicFile:
        folder = self.target.parent
        folder.mkdir(parents=True, exist_ok=True)
        sweep_stale_temps(self.target)
        fd, name = tempfile.mkstemp(prefix=f"{temp_prefix(self.target)}{os.getpid()}-",
                                    suffix=TEMP_SUFFIX, dir=folder)
        self._temp = Path(name)
        self._raw = os.fdopen(fd, "wb", buffering=1 << 20)
        self._hasher = _CountingHasher(self._raw)
        if self.compress:
            # mtime=0 and an empty name keep the gzip header free of time and path.
            self._gzip = gzip.GzipFile(filename="", mode="wb", compresslevel=GZIP_LEVEL,
                                       fileobj=self._hasher, mtime=0)
            self.stream = cast(BinaryIO, self._gzip)
        else:
            self.stream = cast(BinaryIO, self._hasher)
        return self

    def commit(self) -> None:
        """Finish the file, make it durable and move it over the target."""
        assert self._raw is not None and self._temp is not None and self._hasher is not None
        if self._gzip is not None:
            self._gzip.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        mode = (self.target.stat().st_mode & 0o7777) if self.target.exists() else _default_mode()
        os.chmod(self._temp, mode)
        os.replace(self._temp, self.target)
        fsync_folder(self.target.parent)
        self.sha256 = self._hasher.digest.hexdigest()
        self.size = self._hasher.size
        self.committed = True

    def discard(self) -> None:
        """Drop the temporary file; the target is left exactly as it was."""
        if self._gzip is not None:
            with contextlib.suppress(Exception):
                self._gzip.close()
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
        if self._temp is not None:
            with contextlib.suppress(FileNotFoundError):
                self._temp.unlink()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.committed:
            self.discard()


def open_feed_for_reading(path: Path) -> BinaryIO:
    """Open a published feed for reading, decompressing it if it is gzip (by magic bytes)."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")
