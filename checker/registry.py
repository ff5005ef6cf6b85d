"""Discovery of machines, properties and mutants.

Every module of the ``model`` and ``properties`` packages is imported once; their
decorators fill the registries. Adding a protocol area means adding files, never
editing a central list.
"""

from __future__ import annotations

import importlib
import pkgutil

from typing import Any

from paraspec import model
from paraspec import properties
from paraspec.model.config import PRESETS, ConfigError, override_fields
from paraspec.model.core import MACHINES, Machine
from paraspec.model.readings import with_reading
from paraspec.properties.core import MUTANTS, PROPERTIES, Mutant, Property

__all__ = ["load_all", "machine_names", "get_machine_class", "build", "resolve_preset", "apply_overrides",
           "UsageError"]

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


def resolve_preset(cls: type[Machine], preset: str | None, mutant: Mutant | None = None) -> Any:
    """The ``Params`` of ``cls`` named ``preset`` (default: the mutant's preset, then
    the machine's default). A name the machine does not define is a usage error that
    lists the machine's presets: a preset is never remapped to another."""
    name = preset or (mutant.preset if mutant and mutant.preset else None) or cls.default_preset
    if name not in cls.presets:
        raise UsageError(f"--preset {name}: machine {cls.name!r} has no such preset "
                         f"(its presets: {', '.join(cls.presets)}) (CFG-2)")
    return cls.presets[name]


def apply_overrides(cls: type[Machine], params: Any, overrides: dict[str, Any]) -> Any:
    """``params`` with ``--set`` overrides applied and validated. A field the machine
    does not read, or does not have, is refused with the list of its parameters."""
    honoured = cls.parameter_names()
    for key in overrides:
        if key not in honoured:
            raise UsageError(f"--set {key}: not a parameter of machine {cls.name!r} "
                             f"(its parameters: {', '.join(honoured)}) (CFG-2)")
    base = params
    try:
        if "reading" in overrides:
            # the reading first: it sets the per-rule switches, which other overrides may then
            # name (refused under sdk when they contradict it, CFG-D5)
            overrides = dict(overrides)
            params = with_reading(params, overrides.pop("reading"))
        params = override_fields(params, overrides) if overrides else params.validate()
    except ConfigError as e:
        raise UsageError(f"--set: machine {cls.name!r}: {e}") from None
    for key in overrides:
        # a value other than the preset's, outside the reading that reads it, would change nothing
        if key in cls.parameter_conditions and getattr(params, key) != getattr(base, key):
            field, value = cls.parameter_conditions[key]
            if getattr(params, field) != value:
                raise UsageError(f"--set {key}: machine {cls.name!r} reads it only when {field}={value} "
                                 f"(here {field}={getattr(params, field)}) (CFG-2)")
    return params


def build(machine: str, preset: Any = None, mutant: str | None = None,
          overrides: dict | None = None) -> Machine:
    """Instantiate a machine (or one of its mutants) on one of its presets (a name, or
    a ``Params`` instance), with ``--set`` overrides."""
    load_all()
    cls = get_machine_class(machine)
    mut = None
    if mutant is not None:
        mut = get_mutant(mutant)
        if mut.machine != machine:
            raise UsageError(f"mutant {mutant!r} belongs to machine {mut.machine!r}, not {machine!r}")
        cls = mut.cls
    if isinstance(preset, cls.Params):
        params = preset
    elif preset is None or isinstance(preset, str):
        params = resolve_preset(cls, preset, mut)
    else:
        raise UsageError(f"machine {machine!r} takes {cls.Params.__name__} parameters, "
                         f"not {type(preset).__name__}")
    all_overrides = dict(mut.overrides) if mut else {}
    all_overrides.update(overrides or {})
    params = apply_overrides(cls, params, all_overrides)
    m = cls(params)
    #: what a trace records to rebuild this machine, as parsed values (the mutant's own
    #: overrides come with its name)
    m.overrides = {k: getattr(params, k) for k in (overrides or {})}
    return m


__all__ += ["PRESETS", "MUTANTS", "PROPERTIES", "get_mutant", "properties_of"]
