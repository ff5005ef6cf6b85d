"""Discovery of machines, properties and mutants.

Every module of the ``model`` and ``properties`` packages is imported once; their
decorators fill the registries. Adding a protocol area means adding files, never
editing a central list.
"""

from __future__ import annotations

import importlib
import pkgutil

import model
import properties
from model.config import PRESETS, ConfigError, HostConfiguration, get_preset
from model.core import MACHINES, Machine
from properties.core import MUTANTS, PROPERTIES, Mutant, Property

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
    if all_overrides:
        try:
            config = config.with_overrides(all_overrides)
        except ConfigError as e:
            raise UsageError(f"--set: {e}") from None
    return cls(config)


__all__ += ["PRESETS", "MUTANTS", "PROPERTIES", "get_mutant", "properties_of"]
