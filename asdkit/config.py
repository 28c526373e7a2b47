"""Component specs and run configuration saved with every artifact.

A component is named by ``ComponentSpec(kind, name, options)``; options come from the
CLI as ``key=value`` strings (``--gnn-opt heads=4``) or from Python as a dict.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Iterable, Mapping, TypeVar

from .errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


T = TypeVar("T", bound="DataclassInstance")


def dataclass_from_dict(cls: type[T], data: Mapping[str, Any], owner: str) -> T:
    """Build a settings dataclass from a dict, refusing unknown keys by name."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{owner}: unknown option(s) {', '.join(unknown)} "
                          f"(valid: {', '.join(sorted(known))})")
    return cls(**dict(data))


def parse_value(text: str) -> Any:
    """``4`` -> 4, ``0.1`` -> 0.1, ``true`` -> True, ``null`` -> None, ``[1,2]`` -> list, else str."""
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_option_pairs(pairs: Iterable[str], flag: str = "option") -> dict[str, Any]:
    """Turn ``["heads=4", "dropout=0.2"]`` into ``{"heads": 4, "dropout": 0.2}``."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ConfigError(f"{flag} '{pair}' is not of the form key=value")
        out[key] = parse_value(value)
    return out


@dataclass
class ComponentSpec:
    """Which component of a kind, with which options."""

    kind: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def create(self, *args: Any) -> Any:
        from . import registry

        return registry.create(self.kind, self.name, self.options, *args)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ComponentSpec":
        try:
            return cls(kind=data["kind"], name=data["name"], options=dict(data.get("options", {})))
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"malformed component spec {data!r}") from exc

    @classmethod
    def of(cls, component: Any) -> "ComponentSpec":
        """The spec that rebuilds a component made by :func:`asdkit.registry.create`."""
        return cls(component.kind, component.asdkit_name, dict(component.asdkit_options))
