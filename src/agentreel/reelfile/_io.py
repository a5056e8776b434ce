"""Getting reel bytes in and out: paths or binary streams, plain or gzip."""

from __future__ import annotations

import contextlib
import gzip
import os
import secrets
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from agentreel.errors import CorruptReelFile, ReelFileError

Source = str | os.PathLike[str] | BinaryIO

_GZIP_MAGIC = b"\x1f\x8b"


def name_of(target: Source) -> str:
    """How messages name a reel file: its path, or the stream's name if it has one."""
    if isinstance(target, str | os.PathLike):
        return os.fspath(target)
    name = getattr(target, "name", None)
    return name if isinstance(name, str) else "<stream>"


def read_source(source: Source) -> bytes:
    """The whole reel, decompressed if it starts with the gzip magic bytes."""
    name = name_of(source)
    try:
        data = source.read() if not isinstance(source, str | os.PathLike) else _read_path(source)
    except OSError as exc:
        raise ReelFileError(
            name, f"cannot be read ({exc.strerror or exc}); check the path"
        ) from exc
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        # EOFError: the stream stops early; BadGzipFile (an OSError) and
        # zlib.error: the bytes are damaged.
        reason = "it ends early" if isinstance(exc, EOFError) else str(exc).rstrip(".")
        raise CorruptReelFile(
            name,
            f"is gzip-compressed but cannot be decompressed ({reason}); "
            "the file is truncated or damaged, export or copy it again",
        ) from exc


def _read_path(path: str | os.PathLike[str]) -> bytes:
    return Path(path).read_bytes()


class Sink(Protocol):
    """Where reel lines go: a plain stream, or a gzip stream in front of one."""

    def write(self, data: bytes, /) -> int: ...


class CountingWriter:
    """Forwards writes to a binary stream and counts the bytes."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def write(self, data: bytes, /) -> int:
        self.raw.write(data)
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


@contextlib.contextmanager
def open_dest(dest: Source, compress: bool | None) -> Iterator[tuple[Sink, CountingWriter]]:
    """A stream to write reel lines to, and the counter of bytes that reach ``dest``.

    A path is written through a temporary file in the same directory and moved
    into place at the end, so a failed export never leaves half a reel behind
    that looks like a whole one.
    """
    if isinstance(dest, str | os.PathLike):
        path = Path(dest)
        if compress is None:
            compress = path.name.endswith(".gz")
        # Not tempfile.mkstemp: its files are private (0600), and a reel file
        # is made to be shared, so it gets the permissions the umask allows.
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise ReelFileError(
                str(path),
                f"cannot be written ({exc.strerror or exc}); "
                "check that its directory exists and is writable",
            ) from exc
        try:
            with os.fdopen(fd, "wb") as raw:
                counter = CountingWriter(raw)
                with _maybe_gzip(counter, compress) as out:
                    yield out, counter
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    else:
        counter = CountingWriter(dest)
        with _maybe_gzip(counter, bool(compress)) as out:
            yield out, counter
        dest.flush()


@contextlib.contextmanager
def _maybe_gzip(counter: CountingWriter, compress: bool) -> Iterator[Sink]:
    if not compress:
        yield counter
        return
    # No file name and a zero timestamp in the gzip header: the same sessions
    # always compress to the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=counter, mtime=0) as gz:
        yield gz
