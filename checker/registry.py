"""Discovery of machines, properties and mutants.

Every module of the ``model`` and ``properties`` packages is imported once; their
decorators fill the registries. Adding a protocol area means adding files, never
editing a central list.

Specs outside the package join the same registries (``docs/authors.md``), in this order:

* ``paraspec --load MODULE_OR_PATH`` (repeatable): a dotted module name (looked up from the
  current directory too), a ``.py`` file, or a folder (a package when it has ``__init__.py``,
  else every ``*.py`` in it); the CLI passes them on through ``PARASPEC_PATH``;
* ``PARASPEC_PATH``: such entries separated by ``os.pathsep``;
* the entry points of group ``paraspec.machines`` of the installed distributions: each
  names a module (``toyproto = "toyproto.spec"``), or a function of no arguments that
  imports the modules (``"toyproto:register"``).

A module that fails to import is a :class:`UsageError` naming it (one line, exit 2).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

from typing import Any

from paraspec import model
from paraspec import properties
from paraspec.model.config import PRESETS, ConfigError, override_fields, validated
from paraspec.model.core import MACHINES, Machine
from paraspec.model.readings import with_reading
from paraspec.properties.core import MUTANTS, PROPERTIES, Mutant, Property

__all__ = ["load_all", "machine_names", "get_machine_class", "build", "resolve_preset", "apply_overrides",
           "UsageError"]

_loaded = False
#: the external specs imported so far (their entries, as given)
_external: set[str] = set()

#: the environment variable of external specs, and the entry-point group
PATH_VARIABLE = "PARASPEC_PATH"
ENTRY_POINT_GROUP = "paraspec.machines"


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
    load_external()


def add_load(entry: str) -> None:
    """``--load ENTRY``: import it now (when the registries are loaded) or with them, and pass it
    on to child processes through ``PARASPEC_PATH``. A path is made absolute first."""
    if not entry:
        raise UsageError("--load: empty module or path")
    if _is_path(entry):
        entry = str(Path(entry).resolve())
    old = os.environ.get(PATH_VARIABLE, "")
    if entry not in old.split(os.pathsep):
        os.environ[PATH_VARIABLE] = entry + (os.pathsep + old if old else "")
    if _loaded:
        load_external()


def load_external() -> None:
    """Import the specs of ``PARASPEC_PATH`` and of the ``paraspec.machines`` entry points that
    were not imported yet."""
    for entry in os.environ.get(PATH_VARIABLE, "").split(os.pathsep):
        if entry and entry not in _external:
            _external.add(entry)
            _guarded(entry, lambda e=entry: _import_entry(e))
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        key = f"entry point {ep.name} = {ep.value}"
        if key not in _external:
            _external.add(key)
            _guarded(key, lambda ep=ep: _load_entry_point(ep))


def _is_path(entry: str) -> bool:
    return entry.endswith(".py") or os.sep in entry or "/" in entry or Path(entry).is_dir()


def _guarded(what: str, load) -> None:
    """Run ``load``; any error (a missing file, a syntax error, a clash of names) becomes one
    line naming ``what`` and, when the error happened in a file, the file and line."""
    try:
        load()
    except UsageError:
        raise
    except Exception as e:  # an author's module may raise anything on import
        where = ""
        if isinstance(e, SyntaxError) and e.filename:
            where = f" ({e.filename}:{e.lineno})"
        else:
            tb = e.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None and "importlib" not in tb.tb_frame.f_code.co_filename:
                where = f" ({tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})"
        raise UsageError(f"cannot load {what}: {type(e).__name__}: {e}{where}") from None


def _import_entry(entry: str) -> None:
    if not _is_path(entry):
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.append(os.getcwd())
        importlib.import_module(entry)
        return
    path = Path(entry)
    if not path.exists():
        raise UsageError(f"cannot load {entry}: no such file or folder")
    if path.is_dir() and (path / "__init__.py").exists():
        _import_package(path)
    elif path.is_dir():
        for f in sorted(path.glob("*.py")):
            _import_file(f)
    else:
        _import_file(path)


def _import_package(path: Path) -> None:
    parent = str(path.parent.resolve())
    if parent not in sys.path:
        sys.path.insert(0, parent)
    pkg = importlib.import_module(path.name)
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(info.name)


def _import_file(path: Path) -> None:
    """A single file, as a module named after it; its folder joins ``sys.path`` so that its
    siblings import each other by name."""
    folder = str(path.parent.resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem
    if name in sys.modules:
        if Path(getattr(sys.modules[name], "__file__", "") or "").resolve() == path.resolve():
            return
        raise ImportError(f"a module named {name!r} is already loaded from elsewhere")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python file")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules[name]
        raise


def _load_entry_point(ep) -> None:
    obj = ep.load()
    if callable(obj) and not isinstance(obj, type):
        obj()


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
        params = override_fields(params, overrides) if overrides else validated(params)
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
        params, preset_name = preset, getattr(preset, "name", "custom")
    elif preset is None or isinstance(preset, str):
        params = resolve_preset(cls, preset, mut)
        preset_name = preset or (mut.preset if mut and mut.preset else None) or cls.default_preset
    else:
        raise UsageError(f"machine {machine!r} takes {cls.Params.__name__} parameters, "
                         f"not {type(preset).__name__}")
    all_overrides = dict(mut.overrides) if mut else {}
    all_overrides.update(overrides or {})
    params = apply_overrides(cls, params, all_overrides)
    m = cls(params)
    #: the preset's name as ``--preset`` spells it (traces record it, so a replay finds it)
    m.preset_name = preset_name
    #: what a trace records to rebuild this machine, as parsed values (the mutant's own
    #: overrides come with its name)
    m.overrides = {k: getattr(params, k) for k in (overrides or {})}
    return m


__all__ += ["add_load", "load_external", "PATH_VARIABLE", "ENTRY_POINT_GROUP", "PRESETS", "MUTANTS", "PROPERTIES", "get_mutant", "properties_of"]
