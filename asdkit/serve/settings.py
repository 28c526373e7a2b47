"""The options of ``asdkit serve``, checked once: a bad value is a one-line ConfigError."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigError

BAD_SIGNAL_MODES = ("refuse", "flag")


@dataclass(frozen=True)
class ServeSettings:
    """How the service batches, what it accepts and what it refuses.

    - ``max_batch``, ``max_wait_ms``: a batch closes when it holds ``max_batch`` clips
      or when its first clip has waited ``max_wait_ms`` for others to arrive.
    - ``batching``: False scores every clip alone (``max_batch`` 1, no wait).
    - ``max_seconds``: longest clip accepted (413 beyond); ``max_body_mb``: largest
      request body (413 beyond); ``read_timeout_s``: longest wait for a body (408).
    - ``strict``: refuse clips whose sample rate is not the model's (422), as the
      model's own strict audio policy does; otherwise they are resampled.
    - ``on_bad_signal``: ``refuse`` silent/constant/clipped/too short clips (422) or
      ``flag`` them (scored, decision forced to anomalous, reasons listed).
    - ``max_files``: most files in one multipart request.
    """

    max_batch: int = 32
    max_wait_ms: float = 5.0
    batching: bool = True
    max_seconds: float = 60.0
    max_body_mb: float = 32.0
    read_timeout_s: float = 30.0
    strict: bool = False
    on_bad_signal: str = "refuse"
    max_files: int = 64

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ConfigError(f"--max-batch must be >= 1, got {self.max_batch}")
        if not self.max_wait_ms >= 0:
            raise ConfigError(f"--max-wait-ms must be >= 0, got {self.max_wait_ms}")
        if not self.max_seconds > 0:
            raise ConfigError(f"--max-seconds must be > 0, got {self.max_seconds}")
        if not self.max_body_mb > 0:
            raise ConfigError(f"--max-body-mb must be > 0, got {self.max_body_mb}")
        if not self.read_timeout_s > 0:
            raise ConfigError(f"--read-timeout must be > 0, got {self.read_timeout_s}")
        if self.on_bad_signal not in BAD_SIGNAL_MODES:
            raise ConfigError(f"--on-bad-signal must be one of {', '.join(BAD_SIGNAL_MODES)}, "
                              f"got '{self.on_bad_signal}'")
        if self.max_files < 1:
            raise ConfigError(f"max_files must be >= 1, got {self.max_files}")

    @property
    def batch_limit(self) -> int:
        """Clips per backbone forward: 1 without batching."""
        return self.max_batch if self.batching else 1

    @property
    def wait_seconds(self) -> float:
        return self.max_wait_ms / 1000.0 if self.batching else 0.0

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "max_body_bytes": self.max_body_bytes}
