"""Download the DCASE Task 2 data sets: fetch, verify, unpack into the layout asdkit reads.

Example:
    from asdkit.download import download, load_table
    print([spec.name for spec in load_table()])
    result = download("dcase2024-dev", "data/")        # -> data/dcase2024-dev/<machine>/{train,test}
    download(["dcase2024-add", "dcase2024-eval"], "data/")  # both into data/dcase2024-eval/
"""
from __future__ import annotations

from .errors import DownloadError
from .runner import NOT_VERIFIED, ArchiveOutcome, DownloadResult, download
from .table import Archive, DatasetSpec, DatasetTable, load_table, parse_table

__all__ = ["Archive", "ArchiveOutcome", "DatasetSpec", "DatasetTable", "DownloadError", "DownloadResult",
           "NOT_VERIFIED", "download", "load_table", "parse_table"]
