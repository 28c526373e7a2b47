"""Where a monitor's sound comes from: stdin (raw PCM or WAV), a watched folder, a microphone.

Streams (stdin, microphone) deliver :class:`Block`\\ s of ``(frames, channels)`` float32
samples, each stamped with the moment it was received (``time.perf_counter``). A
producer (a reader thread, or the audio driver's callback) stamps and queues them as
they arrive, so the monitor's delay counts the time a block waits while the previous
windows are being scored. The queue is bounded: a consumer that falls far behind
blocks the reader (the writer of a pipe then waits) instead of growing memory.

A watched folder delivers :class:`Clip`\\ s instead: each new audio file (created, or
moved in, e.g. renamed from a temporary name) is read once it has stopped growing (same
size and modification time for ``settle`` seconds) and is scored as one clip, exactly
as ``asdkit score`` scores a file — recorders that drop fixed-length files get the
score of each file, not of windows straddling two recordings. A file rewritten later
is scored again; files present before the watch started are left alone.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

import numpy as np

from ..errors import ConfigError, InputError
from .pcm import WAV_MAGIC, FrameReader, PcmFormat, raw_format, read_wav_header

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
_READ_BYTES = 1 << 16
_QUEUE_BLOCKS = 256


@dataclass(frozen=True)
class Block:
    """Consecutive samples of a stream, ``(frames, channels)``, and when they arrived."""

    samples: np.ndarray
    received: float


@dataclass(frozen=True)
class Clip:
    """One complete file of a watched folder."""

    name: str
    samples: np.ndarray
    rate: int
    received: float


@dataclass(frozen=True)
class _End:
    error: BaseException | None = None


class QueuedStream:
    """A stream whose producer queues :class:`Block`\\ s; :meth:`batches` drains them."""

    def __init__(self, fmt: PcmFormat, description: str) -> None:
        self.format = fmt
        self.description = description
        self._queue: queue.Queue[Block | _End] = queue.Queue(_QUEUE_BLOCKS)
        self._stop = threading.Event()

    @property
    def rate(self) -> int:
        return self.format.rate

    def put(self, samples: np.ndarray) -> None:
        if samples.shape[0]:
            self._queue.put(Block(samples, time.perf_counter()))

    def finish(self, error: BaseException | None = None) -> None:
        self._queue.put(_End(error))

    def batches(self) -> Iterator[list[Block]]:
        """Every block available at once, as one list (a consumer that fell behind catches
        up in one batch); ends with the stream, re-raising a producer's error."""
        self.start()
        try:
            while True:
                try:
                    # a timeout keeps the wait interruptible by Ctrl-C
                    items = [self._queue.get(timeout=0.25)]
                except queue.Empty:
                    continue
                while True:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                blocks = [item for item in items if isinstance(item, Block)]
                if blocks:
                    yield blocks
                ends = [item for item in items if isinstance(item, _End)]
                if ends:
                    if ends[0].error is not None:
                        raise ends[0].error
                    return
        finally:
            self.close()

    def start(self) -> None:
        """Start producing (subclasses)."""

    def close(self) -> None:
        self._stop.set()


class StdinStream(QueuedStream):
    """Raw PCM or a WAV stream read from a binary file object by a reader thread."""

    def __init__(self, stream: BinaryIO, fmt: PcmFormat, description: str, first: bytes = b"",
                 limit: int | None = None, warn: Callable[[str], None] | None = None) -> None:
        super().__init__(fmt, description)
        self._stream = stream
        self._first = first
        self._frames = FrameReader(fmt, limit)
        self._warn = warn
        self._thread = threading.Thread(target=self._read, name="asdkit-stdin", daemon=True)

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def _read(self) -> None:
        # read1 returns what a pipe holds now instead of waiting for a full buffer
        read = getattr(self._stream, "read1", self._stream.read)
        try:
            self.put(self._frames.feed(self._first))
            while not self._frames.done and not self._stop.is_set():
                data = read(_READ_BYTES)
                if not data:
                    break
                self.put(self._frames.feed(data))
        except OSError as exc:
            self.finish(InputError(f"{self.description}: read failed ({exc.strerror or exc})"))
            return
        if self._frames.leftover and self._warn is not None:
            self._warn(f"{self.description}: {self._frames.leftover} trailing byte(s) of an incomplete "
                       "frame ignored")
        self.finish()


def open_stdin(stream: BinaryIO, fmt_name: str, rate: int, channels: int,
               warn: Callable[[str], None] | None = None) -> StdinStream:
    """Stdin as a stream: a WAV stream when it starts with ``RIFF`` (its header then gives
    the format; ``fmt_name``/``rate``/``channels`` are ignored), raw PCM otherwise."""
    magic = b""
    while len(magic) < len(WAV_MAGIC):
        part = stream.read(len(WAV_MAGIC) - len(magic))
        if not part:
            break
        magic += part
    if not magic:
        raise InputError("stdin: empty stream (no samples)")
    if magic == WAV_MAGIC:
        fmt, limit = read_wav_header(stream, magic, "stdin")
        return StdinStream(stream, fmt, f"stdin (WAV {fmt.describe()})", limit=limit, warn=warn)
    fmt = raw_format(fmt_name, rate, channels)
    return StdinStream(stream, fmt, f"stdin (raw {fmt.describe()})", first=magic, warn=warn)


class MicStream(QueuedStream):
    """A microphone through sounddevice (PortAudio); the driver's callback queues blocks."""

    def __init__(self, device: int | None, rate: int, channels: int, warn: Callable[[str], None],
                 block_seconds: float = 0.05) -> None:
        sd = _import_sounddevice()
        name = "default input" if device is None else f"input device {device}"
        super().__init__(PcmFormat("float", 32, channels, rate), f"microphone ({name}, {rate} Hz x{channels})")
        self._warn = warn
        self._overflowed = False
        try:
            self._stream = sd.InputStream(samplerate=rate, channels=channels, device=device, dtype="float32",
                                          blocksize=max(1, int(rate * block_seconds)), callback=self._callback)
        except Exception as exc:  # PortAudioError, ValueError: an unknown device or an unsupported rate
            raise InputError(f"microphone ({name}): {str(exc).splitlines()[0] if str(exc) else exc!r}") from None

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:  # noqa: ARG002 - PortAudio's signature
        if status and not self._overflowed:
            self._overflowed = True  # once: the driver reports every lost block
            self._warn(f"{self.description}: {status} (samples were lost; the monitor is too slow?)")
        try:
            self._queue.put_nowait(Block(indata.copy(), time.perf_counter()))
        except queue.Full:
            pass  # the consumer is far behind; dropping is what a live input must do

    def start(self) -> None:
        self._stream.start()

    def close(self) -> None:
        super().close()
        self._stream.stop()
        self._stream.close()


def _import_sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise ConfigError("microphone input needs the optional sounddevice package: "
                          "pip install 'asdkit[mic]'") from None
    except OSError as exc:  # the module imports, the PortAudio library does not load
        raise ConfigError(f"microphone input: sounddevice cannot load PortAudio ({exc})") from None
    return sounddevice


class FolderWatch:
    """New audio files of ``folder``, each yielded as a :class:`Clip` once complete."""

    def __init__(self, folder: Path, warn: Callable[[str], None], settle: float = 0.5,
                 poll: float = 0.1) -> None:
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder to watch")
        if settle < 0:
            raise ConfigError(f"--settle must be >= 0 seconds, got {settle}")
        self.folder = folder
        self.description = f"folder {folder}"
        self.settle = settle
        self.poll = poll
        self._warn = warn
        self._lock = threading.Lock()
        self._noticed: set[Path] = set()

    def notice(self, path: str | bytes) -> None:
        """A file was created, written or moved in (called from the watchdog thread)."""
        target = Path(path.decode() if isinstance(path, bytes) else path)
        if target.suffix.lower() in AUDIO_SUFFIXES and not target.name.startswith("."):
            with self._lock:
                self._noticed.add(target)

    def clips(self, on_ready: Callable[[], None] | None = None) -> Iterator[Clip]:
        """Watch until interrupted; ``on_ready`` once the watch is in place."""
        observer = _observer(self)
        observer.start()
        try:
            if on_ready is not None:
                on_ready()
            yield from self._settled_files()
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _settled_files(self) -> Iterator[Clip]:
        # path -> (size, mtime_ns, since when unchanged)
        watching: dict[Path, tuple[int, int, float]] = {}
        while True:
            time.sleep(self.poll)
            with self._lock:
                for path in self._noticed:
                    watching.pop(path, None)  # written again: wait for it to settle anew
                    watching[path] = (-1, -1, time.perf_counter())
                self._noticed.clear()
            for path, (size, mtime, since) in list(watching.items()):
                now = time.perf_counter()
                try:
                    stat = path.stat()
                except OSError:
                    del watching[path]  # removed or renamed away before it settled
                    continue
                if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                    watching[path] = (stat.st_size, stat.st_mtime_ns, now)
                elif stat.st_size > 0 and now - since >= self.settle:
                    del watching[path]
                    clip = self._read(path)
                    if clip is not None:
                        yield clip

    def _read(self, path: Path) -> Clip | None:
        from ..audio.load import decode

        try:
            samples, rate = decode(path)
        except InputError as exc:
            self._warn(str(exc))
            return None
        return Clip(path.name, samples, rate, time.perf_counter())


def _observer(watch: FolderWatch) -> Any:
    try:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:
        raise ConfigError("watching a folder needs the optional watchdog package: "
                          "pip install 'asdkit[monitor]'") from None

    class Handler(FileSystemEventHandler):
        def on_created(self, event: Any) -> None:
            if not event.is_directory:
                watch.notice(event.src_path)

        def on_modified(self, event: Any) -> None:
            if not event.is_directory:
                watch.notice(event.src_path)

        def on_moved(self, event: Any) -> None:
            if not event.is_directory:
                watch.notice(event.dest_path)

    observer = Observer()
    observer.schedule(Handler(), str(watch.folder), recursive=False)
    return observer
