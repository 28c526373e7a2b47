"""``asdkit download``: fetch DCASE Task 2 data sets into the layout asdkit reads."""
from __future__ import annotations

from pathlib import Path

import click

from .app import AppState, err, out, pass_state


def _size(n: int | None) -> str:
    """``1234567`` -> ``1.2 MB`` (decimal units, as Zenodo shows sizes)."""
    if n is None:
        return "unknown"
    if n < 1000:
        return f"{n} B"
    value, unit = n / 1000, "KB"
    for bigger in ("MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.1f} {unit}"


def _print_table(table_source: str | None) -> None:
    from rich.table import Table

    from ..download import load_table

    table = load_table(table_source)
    view = Table(title=f"data sets ({table.source})")
    for column in ("name", "description", "archives", "size", "checksums", "unpacks into"):
        view.add_column(column)
    for spec in table:
        algorithms = sorted({a.algorithm for a in spec.archives if a.algorithm})
        checks = (f"{'/'.join(algorithms)} {spec.n_checksums}/{len(spec.archives)}" if spec.n_checksums
                  else "none published")
        view.add_row(spec.name, spec.description, str(len(spec.archives)), _size(spec.total_size), checks,
                     f"DIR/{spec.folder}")
    out.print(view)


@click.command("download")
@click.argument("datasets", nargs=-1, metavar="DATASET...")
@click.argument("directory", required=False, metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--list", "list_only", is_flag=True, help="List the data sets asdkit can download, and exit.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=4, show_default=True,
              help="Archives downloaded at the same time.")
@click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True,
              help="Retries per archive after a connection error, timeout or HTTP 5xx (waits 1, 2, 4, ... s).")
@click.option("--keep-archives", is_flag=True,
              help="Keep the verified archives in DIR/.asdkit-download/ after unpacking.")
@click.option("--force", is_flag=True, help="Download and unpack again, even what is already done.")
@click.option("--table", "table_path", type=click.Path(dir_okay=False, path_type=str),
              envvar="ASDKIT_DOWNLOAD_TABLE", show_envvar=True,
              help="A JSON table of data sets to use instead of asdkit's (a mirror, or tests).")
@pass_state
def command(state: AppState, datasets: tuple[str, ...], directory: Path | None, list_only: bool, jobs: int,
            retries: int, keep_archives: bool, force: bool, table_path: str | None) -> None:
    """Download a DCASE Task 2 data set, verify its checksums and unpack it.

    DATASET is a name from --list (dcase2020-dev ... dcase2024-eval); several may
    be given. Each unpacks into DIR/<folder>/<machine>/{train,test}; a year's
    additional training set (-add) unpacks beside its evaluation set (-eval), in
    DIR/dcaseYYYY-eval. Archives download in parallel and resume after an
    interruption (HTTP range requests); each is checked against the MD5/SHA-256
    published for it (where the table has none, it says so) and unpacked only when
    it matches. What is already done is skipped, so running the command again
    finishes an interrupted download. Prints the unpacked folders on stdout.

    \b
    Example:
      asdkit download --list
      asdkit download dcase2024-dev data/
      asdkit download dcase2024-add dcase2024-eval data/ --jobs 8
      asdkit info data/dcase2024-dev
    """
    if list_only:
        _print_table(table_path)
        return
    if directory is None or not datasets:
        raise click.UsageError("give DATASET... DIR (the data set names, then the folder to download into); "
                               "asdkit download --list shows the names")
    from ..download import download

    result = download(list(datasets), directory, table=table_path, jobs=jobs, retries=retries,
                      keep_archives=keep_archives, force=force, progress=state.progress)
    for name, folder in result.folders.items():
        mine = [a for a in result.archives if a.dataset == name]
        counts = {s: sum(a.status == s for a in mine) for s in ("downloaded", "unpacked", "skipped")}
        verified = sum(a.verified for a in mine)
        err.print(f"{name}: {counts['downloaded']} downloaded, {counts['unpacked']} unpacked from kept "
                  f"archives, {counts['skipped']} already done; {verified}/{len(mine)} verified "
                  f"against a published checksum -> {folder}", markup=False, highlight=False)
    for folder in dict.fromkeys(result.folders.values()):
        click.echo(str(folder))
