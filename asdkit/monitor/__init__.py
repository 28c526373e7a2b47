"""Live monitoring: sliding windows over a stream, scored as they complete (``asdkit monitor``)."""
from .windows import Hysteresis, SlidingWindows

__all__ = ["Hysteresis", "SlidingWindows"]
