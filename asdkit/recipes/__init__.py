"""DCASE Task 2 protocols of 2020-2024 as one data-driven recipe (``asdkit recipe``)."""
from .years import PROTOCOLS, Protocol, protocol

__all__ = ["PROTOCOLS", "Protocol", "protocol"]
