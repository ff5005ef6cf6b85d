"""Discovery of machines, properties and mutants.

Every module of the ``model`` and ``properties`` packages is imported once; their
decorators fill the registries. Adding a protocol area means adding files, never
editing a central list.
"""

from __future__ import annotations

import importlib
import pkgutil

import attrs

from paraspec import model
from paraspec import properties
from paraspec.model.config import PRESETS, ConfigError, HostConfiguration, get_preset, override_fields
from paraspec.model.core import MACHINES, Machine
from paraspec.properties.core import MUTANTS, PROPERTIES, Mutant, Property

__all__ = ["load_all", "machine_names", "get_machine_class", "build", "UsageError"]

_loaded = False


class UsageError(Exception):
    """Bad input from the user: one line, exit code 2."""


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for pkg in (model, properties):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)
    _loaded = True


def machine_names() -> list[str]:
    load_all()
    return sorted(MACHINES)


def get_machine_class(name: str) -> type[Machine]:
    load_all()
    if name not in MACHINES:
        raise UsageError(f"unknown machine {name!r} (known: {', '.join(sorted(MACHINES))})")
    return MACHINES[name]


def get_mutant(name: str) -> Mutant:
    load_all()
    if name not in MUTANTS:
        raise UsageError(f"unknown mutant {name!r} (see `paraspec list`)")
    return MUTANTS[name]


def properties_of(machine: str) -> list[Property]:
    load_all()
    return list(PROPERTIES.get(machine, {}).values())


def build(machine: str, preset: str | HostConfiguration | None = None, mutant: str | None = None,
          overrides: dict | None = None) -> Machine:
    """Instantiate a machine (or one of its mutants) on a preset."""
    load_all()
    cls = get_machine_class(machine)
    mut = None
    if mutant is not None:
        mut = get_mutant(mutant)
        if mut.machine != machine:
            raise UsageError(f"mutant {mutant!r} belongs to machine {mut.machine!r}, not {machine!r}")
        cls = mut.cls
    if isinstance(preset, HostConfiguration):
        config = preset
    else:
        name = preset or (mut.preset if mut and mut.preset else None) or "tiny"
        try:
            config = get_preset(name)
        except ConfigError as e:
            raise UsageError(f"--preset: {e}") from None
    all_overrides = dict(mut.overrides) if mut else {}
    all_overrides.update(overrides or {})
    own = cls.own_config
    own_fields = {f.name for f in attrs.fields(own)} if own is not None else set()
    if own is not None:
        for key in all_overrides:
            if key not in own_fields:
                raise UsageError(f"--set {key}: not a parameter of machine {machine!r}, which takes its parameters "
                                 f"from {own.__name__} ({', '.join(sorted(own_fields - {'name'}))}) (CFG-2)")
    host_overrides = {k: v for k, v in all_overrides.items() if k not in own_fields}
    own_overrides = {k: v for k, v in all_overrides.items() if k in own_fields}
    try:
        if host_overrides:
            config = config.with_overrides(host_overrides)
        m = cls(config)
        if own_overrides:
            m = cls(override_fields(m.config, own_overrides))
    except ConfigError as e:
        raise UsageError(f"--set: {e}") from None
    #: what a trace records to rebuild this machine (the mutant's own overrides come with its name)
    m.overrides = {k: v for k, v in (overrides or {}).items()}
    return m


__all__ += ["PRESETS", "MUTANTS", "PROPERTIES", "get_mutant", "properties_of"]
