"""Audio input: dataset layouts -> :class:`Clip` records, decoding under an :class:`AudioPolicy`.

- :func:`scan_dataset` - read a dataset folder in place (DCASE 2020, 2021-2024,
  evaluation sets with ground truth, or generic) into a :class:`Dataset`
- :func:`load_audio` - one file -> float32 mono waveform
- :func:`iter_audio` - many files, failing or skipping bad ones (``.summary``)
- :func:`signal_reasons` / :class:`SignalRules` - why decoded audio is no usable
  signal (silent, constant, clipped, too short); :class:`SignalCheck` for ``iter_audio``
- :func:`write_clips_csv` / :func:`read_clips_csv` - the run folder's ``clips.csv``
"""
from .batch import AudioBatch, LoadSummary, SkippedFile, iter_audio
from .layouts import AUDIO_EXTENSIONS, Dataset, Problem, detect_layout, scan_dataset
from .load import decode, load_audio
from ..formats.names import LAYOUTS
from .policy import AudioPolicy
from .quality import SignalCheck, SignalRules, signal_reasons
from ..formats.clips_table import Clip, read_clips_csv, write_clips_csv

__all__ = [
    "AUDIO_EXTENSIONS", "AudioBatch", "AudioPolicy", "Clip", "Dataset", "LAYOUTS", "LoadSummary",
    "Problem", "SignalCheck", "SignalRules", "SkippedFile", "decode", "detect_layout", "iter_audio",
    "load_audio", "read_clips_csv", "scan_dataset", "signal_reasons", "write_clips_csv",
]
