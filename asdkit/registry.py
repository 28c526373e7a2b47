"""Entry-point discovery of components, lazy loading, and errors naming the culprit.

Discovery reads installed distributions' metadata only: listing components imports
nothing (not even torch). A component's module is imported the first time it is used.
A plugin that fails to import or does not satisfy its contract gives a
:class:`PluginError` naming its distribution and entry point, without breaking the
other plugins. :func:`availability` tells, still without importing, whether a
component could load: its module exists and the requirements of the extras its entry
point names (``name = "module:Class [extra]"``) are installed.

Names match ignoring case, ``-`` and ``_`` (``SAGE-GAT`` finds ``sage_gat``).
"""
from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.metadata as md
import importlib.util
import inspect
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Iterable

from .errors import PluginError

#: kind -> entry-point group (the contracts each kind must satisfy: :data:`asdkit.api.CONTRACTS`)
GROUPS: dict[str, str] = {
    "backbone": "asdkit.backbones",
    "graph_layer": "asdkit.graph_layers",
    "scorer": "asdkit.scorers",
    "knn": "asdkit.knn",
    "loss": "asdkit.losses",
}
KINDS: tuple[str, ...] = tuple(GROUPS)


def normalize(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


@dataclass(frozen=True)
class ComponentInfo:
    """What discovery knows about a component without importing it."""

    kind: str
    name: str
    value: str  # "module:attr"
    distribution: str
    version: str
    extras: tuple[str, ...] = ()  # extras the entry point declares it needs

    @property
    def origin(self) -> str:
        return f"entry point '{self.name} = {self.value}' of distribution '{self.distribution}'"


def _path_key() -> tuple[tuple[str, int], ...]:
    """What installed metadata depends on: the search path and each folder's mtime
    (installing or removing a distribution adds or deletes an entry in its folder)."""
    key = []
    for entry in sys.path:
        try:
            key.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            key.append((entry, -1))
    return tuple(key)


@functools.lru_cache(maxsize=4)
def _scan(path_key: tuple[tuple[str, int], ...]) -> dict[str, list[Any]]:  # noqa: ARG001 - the cache key
    """Every asdkit entry point, by group, in one pass over the installed distributions
    (one pass instead of one ``md.entry_points(group=...)`` per group: the pass is what
    costs)."""
    wanted = set(GROUPS.values())
    by_group: dict[str, list[Any]] = {group: [] for group in wanted}
    for dist in md.distributions():
        for ep in dist.entry_points:
            if ep.group in wanted:
                by_group[ep.group].append(ep)
    return by_group


def _entry_points(group: str) -> Iterable[Any]:
    """Installed entry points of one group (tests replace this with fakes)."""
    return _scan(_path_key()).get(group, [])


_dist_identities: dict[int, tuple[Any, str, str]] = {}


def _dist_identity(dist: Any) -> tuple[str, str]:
    """(name, version) of an entry point's distribution; each distribution's METADATA is
    parsed once (``dist.name`` and ``dist.version`` parse it on every access)."""
    if dist is None:
        return "unknown", "?"
    cached = _dist_identities.get(id(dist))
    if cached is None or cached[0] is not dist:
        metadata = getattr(dist, "metadata", None)
        name = (metadata["Name"] if metadata is not None and "Name" in metadata else None) or \
            getattr(dist, "name", None) or "unknown"
        version = (metadata["Version"] if metadata is not None and "Version" in metadata else None) or \
            getattr(dist, "version", None) or "?"
        cached = (dist, str(name), str(version))
        _dist_identities[id(dist)] = cached
    return cached[1], cached[2]


def _check_kind(kind: str) -> None:
    if kind not in GROUPS:
        raise PluginError(f"unknown component kind '{kind}' (valid: {', '.join(KINDS)})")


def discover(kind: str) -> list[ComponentInfo]:
    """Every registered component of a kind, sorted by name; imports nothing."""
    _check_kind(kind)
    seen: dict[tuple[str, str, str], ComponentInfo] = {}
    for ep in _entry_points(GROUPS[kind]):
        dist_name, version = _dist_identity(getattr(ep, "dist", None))
        value = ep.value.split("[")[0].strip()  # "module:attr [extra]" -> "module:attr"
        info = ComponentInfo(kind, ep.name, value, dist_name, version, tuple(getattr(ep, "extras", ()) or ()))
        # The same distribution can appear twice on sys.path (editable installs).
        seen.setdefault((normalize(ep.name), ep.value, dist_name), info)
    return sorted(seen.values(), key=lambda i: (normalize(i.name), i.distribution))


def _claimants(kind: str, name: str) -> list[ComponentInfo]:
    key = normalize(name)
    return [i for i in discover(kind) if normalize(i.name) == key]


def _claimed_twice(kind: str, name: str, claimants: list[ComponentInfo]) -> str:
    who = " and ".join(i.origin for i in claimants)
    return f"{kind.replace('_', ' ')} name '{name}' is claimed twice: by {who}"


def find(kind: str, name: str) -> ComponentInfo:
    """The one component a name refers to; errors list valid choices or both claimants."""
    found = _claimants(kind, name)
    if not found:
        valid = sorted({i.name for i in discover(kind)})
        choices = ", ".join(valid) if valid else "none installed"
        raise PluginError(f"unknown {kind.replace('_', ' ')} '{name}' (valid choices: {choices})")
    if len(found) > 1:
        raise PluginError(_claimed_twice(kind, name, found))
    return found[0]


_loaded: dict[ComponentInfo, type] = {}


def _import(info: ComponentInfo) -> Any:
    module_name, _, attr = info.value.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in filter(None, attr.split(".")):
            obj = getattr(obj, part)
    except Exception as exc:  # any failure inside a plugin is the plugin's fault
        raise PluginError(f"{info.origin} failed to load: {type(exc).__name__}: {exc}") from exc
    return obj


def _check_contract(info: ComponentInfo, obj: Any) -> type:
    from .api import CONTRACTS

    _, contract, required = CONTRACTS[info.kind]
    if not inspect.isclass(obj):
        raise PluginError(f"{info.origin} is not a class (got {type(obj).__name__})")
    if issubclass(obj, contract):
        if inspect.isabstract(obj):
            # Set by ABCMeta on every abstract class; typeshed does not declare it on type.
            abstract = ", ".join(sorted(getattr(obj, "__abstractmethods__", ())))
            raise PluginError(f"{info.origin} does not implement {abstract} of {contract.__name__}")
        return obj
    missing = [m for m in required if not callable(getattr(obj, m, None))]
    if missing:
        raise PluginError(
            f"{info.origin} does not satisfy the {contract.__name__} contract "
            f"(missing: {', '.join(missing)})"
        )
    return obj


def load(kind: str, name: str) -> type:
    """Import a component class on first use and check it against its contract."""
    info = find(kind, name)
    if info not in _loaded:
        _loaded[info] = _check_contract(info, _import(info))
    return _loaded[info]


def module_exists(name: str) -> bool:
    """Whether module ``a.b.c`` can be found, without importing it or its packages."""
    if name in sys.modules:
        return True
    parts = name.split(".")
    try:  # the top level through every finder (editable installs add their own)
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        return False
    for i in range(1, len(parts)):
        if spec is None or spec.submodule_search_locations is None:
            return False
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:i + 1]), spec.submodule_search_locations)
    return spec is not None


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)[^;]*(?:;(.*))?$")


@functools.lru_cache(maxsize=None)
def _installed(requirement_name: str) -> bool:
    try:
        md.distribution(requirement_name)
    except md.PackageNotFoundError:
        return False
    return True


@functools.lru_cache(maxsize=None)
def _requirements(distribution: str) -> tuple[str, ...]:
    """A distribution's declared requirements (each metadata lookup scans sys.path: once)."""
    try:
        return tuple(md.distribution(distribution).requires or ())
    except md.PackageNotFoundError:
        return ()


def missing_requirements(info: ComponentInfo) -> list[str]:
    """Requirements of ``info``'s distribution that are not installed: the unconditional
    ones, and those of the extras its entry point names (other markers are not judged)."""
    missing = []
    for line in _requirements(info.distribution):
        match = _REQUIREMENT.match(line)
        marker = (match[2] or "") if match else ""
        needed = not marker.strip() or any(
            re.search(rf"extra\s*==\s*['\"]{re.escape(extra)}['\"]", marker) for extra in info.extras)
        if match and needed and not _installed(match[1]):
            missing.append(match[1])
    return missing


def availability(info: ComponentInfo, known: list[ComponentInfo] | None = None) -> tuple[str, str]:
    """``("ok" | "not installed" | "broken", reason)`` without importing anything.

    ``known``: every discovered component, when the caller has listed them already
    (each discovery scans every installed distribution's metadata)."""
    claimants = (_claimants(info.kind, info.name) if known is None else
                 [i for i in known if i.kind == info.kind and normalize(i.name) == normalize(info.name)])
    if len(claimants) > 1:
        return "broken", _claimed_twice(info.kind, info.name, claimants)
    module = info.value.partition(":")[0]
    if not module_exists(module):
        return "broken", f"{info.origin}: module '{module}' not found"
    missing = missing_requirements(info)
    if missing:
        target = f"{info.distribution}[{','.join(info.extras)}]" if info.extras else info.distribution
        return "not installed", f"needs {', '.join(missing)} (pip install '{target}')"
    return "ok", ""


def status(info: ComponentInfo) -> tuple[bool, str]:
    """(ok, reason) for a discovered component; imports it."""
    try:
        find(info.kind, info.name)
        if info not in _loaded:
            _loaded[info] = _check_contract(info, _import(info))
    except PluginError as exc:
        return False, str(exc)
    return True, "ok"


# ---------------------------------------------------------------- options

def option_defaults(cls: type[Any]) -> dict[str, Any]:
    """Keyword options a component accepts, with their defaults (no positional args)."""
    sig = inspect.signature(cls.__init__)
    out: dict[str, Any] = {}
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not p.empty:
            out[p.name] = p.default
    return out


def _accepts_any_keyword(cls: type[Any]) -> bool:
    return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())


def _coerce(value: Any, default: Any, key: str, owner: str) -> Any:
    if default is None or value is None or isinstance(default, (list, dict)):
        return value
    target = type(default)
    if target is bool:
        if isinstance(value, bool):
            return value
        raise PluginError(f"{owner}: option '{key}' must be true or false, got {value!r}")
    if target in (int, float) and isinstance(value, bool):
        raise PluginError(f"{owner}: option '{key}' must be a number, got {value!r}")
    try:
        coerced = target(value)
    except (TypeError, ValueError):
        raise PluginError(f"{owner}: option '{key}' must be {target.__name__}, got {value!r}") from None
    if target is int and isinstance(value, float) and coerced != value:
        raise PluginError(f"{owner}: option '{key}' must be an integer, got {value!r}")
    return coerced


def resolve_options(cls: type, given: dict[str, Any], owner: str) -> dict[str, Any]:
    """Defaults merged with user options, validated against the constructor signature."""
    defaults = option_defaults(cls)
    unknown = sorted(set(given) - set(defaults))
    if unknown and not _accepts_any_keyword(cls):
        valid = ", ".join(sorted(defaults)) or "none"
        raise PluginError(f"{owner}: unknown option(s) {', '.join(unknown)} (valid: {valid})")
    resolved = dict(defaults)
    for key, value in given.items():
        resolved[key] = _coerce(value, defaults.get(key), key, owner)
    return resolved


def create(kind: str, name: str, options: dict[str, Any] | None = None, *args: Any) -> Any:
    """Instantiate a component by name with validated options.

    ``args`` are the positional constructor arguments of the kind (``in_dim, out_dim``
    for graph layers). The resolved options are stored on the instance as
    ``asdkit_options`` and its registered name as ``asdkit_name``, so whatever is
    fitted can be saved and rebuilt.
    """
    cls = load(kind, name)
    info = find(kind, name)
    opts = resolve_options(cls, dict(options or {}), f"{kind.replace('_', ' ')} '{info.name}'")
    try:
        obj = cls(*args, **opts)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"{kind.replace('_', ' ')} '{info.name}': bad options {opts}: {exc}") from exc
    obj.asdkit_name = info.name
    obj.asdkit_options = opts
    return obj


def names(kind: str) -> list[str]:
    return [i.name for i in discover(kind)]


def all_components() -> list[ComponentInfo]:
    return [info for kind in KINDS for info in discover(kind)]

