"""The one error a download raises: a network, HTTP, checksum, archive or disk problem."""
from __future__ import annotations

from ..errors import AsdkitError


class DownloadError(AsdkitError):
    """A download or unpack failed; ``str(err)`` is one line naming the archive or host.

    Not :class:`~asdkit.errors.InputError`: the cause is usually the network or the
    disk, not data the user gave. The CLI prints it as ``error: ...`` and exits 1."""
