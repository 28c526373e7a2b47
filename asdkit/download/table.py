"""The table of downloadable data sets: which archives make a set, and how to check them.

The built-in table is ``datasets.json`` beside this module; :func:`load_table` also
reads any file of the same format (``asdkit download --table PATH``), which is how
the tests serve small archives from 127.0.0.1 and how a mirror can be used::

    {"format": 1, "datasets": {"NAME": {
        "description": "...", "folder": "NAME", "layout": "dcase2021",
        "archives": [{"file": "dev_fan.zip", "url": "https://...", "size": 123 or null,
                      "checksum": "md5:<32 hex>" or "sha256:<64 hex>" or null}]}}}

``folder`` is where the set unpacks below the download folder (several sets may
share one: a year's additional training and evaluation sets do). Other keys
(``record``, ``urls_from``, ``checksums_from``, ``unpacks``, ``notes``) document
where the entries came from and are shown, not interpreted.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from ..errors import ConfigError

#: checksum algorithm -> hex digits of its digest.
ALGORITHMS = {"md5": 32, "sha256": 64}
#: archive kinds by file-name ending; the first that fits wins.
ARCHIVE_KINDS = ((".zip", "zip"), (".tar.gz", "tar"), (".tgz", "tar"), (".tar", "tar"))
_DATASET_KEYS = {"description", "folder", "layout", "archives", "record", "urls_from", "checksums_from",
                 "unpacks", "notes"}
_ARCHIVE_KEYS = {"file", "url", "size", "checksum"}


@dataclass(frozen=True)
class Archive:
    """One file to fetch: where from, how big (when known), and its published digest."""

    file: str
    url: str
    size: int | None = None
    algorithm: str | None = None  # "md5" / "sha256"; None: no checksum published
    digest: str | None = None  # lower-case hex

    @property
    def kind(self) -> str:
        """``zip`` or ``tar`` (gzip or plain), from the file name."""
        name = self.file.lower()
        return next(kind for ending, kind in ARCHIVE_KINDS if name.endswith(ending))

    @property
    def host(self) -> str:
        return re.sub(r"^[a-z]+://", "", self.url).split("/", 1)[0]


@dataclass(frozen=True)
class DatasetSpec:
    """A named data set: its archives and the folder they unpack into."""

    name: str
    description: str
    folder: str
    layout: str
    archives: tuple[Archive, ...]
    info: dict[str, str] = field(default_factory=dict)  # record, urls_from, checksums_from, ...

    @property
    def total_size(self) -> int | None:
        """Bytes to download, or None when any archive's size is unknown."""
        sizes = [a.size for a in self.archives]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)

    @property
    def n_checksums(self) -> int:
        return sum(a.digest is not None for a in self.archives)


@dataclass(frozen=True)
class DatasetTable:
    """Data sets by name, and where the table was read from (for messages)."""

    datasets: dict[str, DatasetSpec]
    source: str = "asdkit's table"

    def get(self, name: str) -> DatasetSpec:
        spec = self.datasets.get(name)
        if spec is None:
            raise ConfigError(f"unknown data set '{name}' in {self.source} (known: {', '.join(self.datasets)}; "
                              "see asdkit download --list)")
        return spec

    def __iter__(self):
        return iter(self.datasets.values())


def _parse_checksum(value: Any, where: str) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    algorithm, _, digest = str(value).partition(":")
    algorithm, digest = algorithm.strip().lower(), digest.strip().lower()
    if algorithm not in ALGORITHMS:
        raise ConfigError(f"{where}: checksum '{value}' must be 'md5:<hex>' or 'sha256:<hex>' (or null)")
    if not re.fullmatch(rf"[0-9a-f]{{{ALGORITHMS[algorithm]}}}", digest):
        raise ConfigError(f"{where}: checksum '{value}' is not {ALGORITHMS[algorithm]} hex digits")
    return algorithm, digest


def _plain_name(value: Any, where: str, what: str) -> str:
    """A file or folder name that stays below the download folder."""
    text = str(value or "")
    if not text or text in (".", "..") or "/" in text or "\\" in text or PurePosixPath(text).is_absolute():
        raise ConfigError(f"{where}: {what} '{text}' must be a plain name (no '/', not '..')")
    return text


def _parse_archive(item: Any, where: str) -> Archive:
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where}: an archive must be an object with file, url, size, checksum")
    unknown = sorted(set(item) - _ARCHIVE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (valid: {', '.join(sorted(_ARCHIVE_KEYS))})")
    file = _plain_name(item.get("file"), where, "file")
    if not any(file.lower().endswith(ending) for ending, _ in ARCHIVE_KINDS):
        raise ConfigError(f"{where}: {file}: not an archive asdkit unpacks (.zip, .tar.gz, .tgz, .tar)")
    url = str(item.get("url") or "")
    if not re.match(r"^https?://[^/]+", url):
        raise ConfigError(f"{where}: url '{url}' must start with http:// or https://")
    size = item.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ConfigError(f"{where}: size must be a number of bytes or null, not {size!r}")
    algorithm, digest = _parse_checksum(item.get("checksum"), where)
    return Archive(file=file, url=url, size=size, algorithm=algorithm, digest=digest)


def _parse_dataset(name: str, entry: Any, source: str) -> DatasetSpec:
    where = f"{source}: data set '{name}'"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(entry) - _DATASET_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (valid: {', '.join(sorted(_DATASET_KEYS))})")
    items = entry.get("archives")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: 'archives' must be a non-empty list")
    archives = tuple(_parse_archive(item, f"{where}, archive {i + 1}") for i, item in enumerate(items))
    files = [a.file for a in archives]
    if len(set(files)) != len(files):
        raise ConfigError(f"{where}: two archives share the file name "
                          f"'{next(f for f in files if files.count(f) > 1)}'")
    info = {k: str(entry[k]) for k in ("record", "urls_from", "checksums_from", "unpacks", "notes")
            if entry.get(k) is not None}
    return DatasetSpec(name=name, description=str(entry.get("description", "")),
                       folder=_plain_name(entry.get("folder", name), where, "folder"),
                       layout=str(entry.get("layout", "auto")), archives=archives, info=info)


def parse_table(data: Any, source: str = "table") -> DatasetTable:
    """A :class:`DatasetTable` from the decoded JSON; :class:`ConfigError` naming
    ``source`` and the entry for anything malformed."""
    if not isinstance(data, Mapping) or not isinstance(data.get("datasets"), Mapping):
        raise ConfigError(f"{source}: not a data-set table (expected an object with a 'datasets' object)")
    if data.get("format", 1) != 1:
        raise ConfigError(f"{source}: table format {data.get('format')!r} is not one asdkit reads (1)")
    datasets = {str(name): _parse_dataset(str(name), entry, source) for name, entry in data["datasets"].items()}
    if not datasets:
        raise ConfigError(f"{source}: the table lists no data sets")
    return DatasetTable(datasets=datasets, source=source)


def load_table(table: DatasetTable | Mapping | str | os.PathLike | None = None) -> DatasetTable:
    """The built-in table (``None``), a table object as is, a decoded mapping, or a
    JSON file at a path."""
    if isinstance(table, DatasetTable):
        return table
    if isinstance(table, Mapping):
        return parse_table(table, "table")
    if table is None:
        text = resources.files("asdkit.download").joinpath("datasets.json").read_text(encoding="utf-8")
        return parse_table(json.loads(text), "asdkit's table")
    path = Path(table)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--table {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--table {path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--table {path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_table(data, str(path))
