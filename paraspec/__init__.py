"""paraspec: an executable specification and model checker for the Polkadot parachain host.

The repository keeps the design card's folders at its top level (``model/``,
``properties/``, ``checker/``, ``spec/``); they install under this one import name:
``paraspec.model`` (the machines, which are the reference interpreter),
``paraspec.properties`` (what must hold, by rule ID), ``paraspec.checker`` (the
engines, vectors, reports and the CLI) and ``paraspec.spec`` (the normative text,
package data read through :mod:`importlib.resources`).

The public API, for notebooks and scripts::

    import paraspec
    m = paraspec.build("availability", preset="trio", overrides={"max_candidates": 1})
    result = paraspec.check(m)                 # exhaustive breadth-first search
    print(result.states, [(p.property.name, p.verdict) for p in result.properties])
    paraspec.machines()                        # the machine names
    paraspec.rules()                           # the rule catalogue of spec/

For spec authors (``docs/authors.md``), the declarations a machine file of your own needs:
``paraspec.Machine``, ``register_machine``, ``require``, ``always`` (``aux=True`` for an
auxiliary invariant of ``paraspec prove``), ``transition``, ``sometimes``, ``mutant``, and
``lemma`` with ``Obligation`` for facts proved for every value of their variables.

Everything here is imported lazily, so ``import paraspec`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _dist_version
from typing import Any

try:
    __version__ = _dist_version("paraspec")
except PackageNotFoundError:  # pragma: no cover - run from a tree that was never installed
    __version__ = "0+unknown"

#: public name -> (module, attribute)
_API = {
    "build": ("paraspec.checker.registry", "build"),
    "machines": ("paraspec.checker.registry", "machine_names"),
    "properties_of": ("paraspec.checker.registry", "properties_of"),
    "UsageError": ("paraspec.checker.registry", "UsageError"),
    "Checker": ("paraspec.checker.explicit", "Checker"),
    "simulate": ("paraspec.checker.simulate", "simulate"),
    "run_scenario": ("paraspec.checker.runtime_scenario", "run_scenario"),
    "load_rules": ("paraspec.checker.spec", "load_rules"),
    "Machine": ("paraspec.model.core", "Machine"),
    "register_machine": ("paraspec.model.core", "register_machine"),
    "require": ("paraspec.model.core", "require"),
    "always": ("paraspec.properties.core", "always"),
    "transition": ("paraspec.properties.core", "transition"),
    "sometimes": ("paraspec.properties.core", "sometimes"),
    "mutant": ("paraspec.properties.core", "mutant"),
    "lemma": ("paraspec.properties.core", "lemma"),
    "Obligation": ("paraspec.properties.core", "Obligation"),
    "Rejected": ("paraspec.model.core", "Rejected"),
}

__all__ = sorted([*_API, "check", "rules", "__version__"])


def __getattr__(name: str) -> Any:
    if name in _API:
        module, attr = _API[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'paraspec' has no attribute {name!r}")


def check(machine, properties=None, **bounds):
    """Check ``machine`` (a built machine, or a machine name built on its default
    preset) against ``properties`` (default: every property of the machine) by
    exhaustive breadth-first search; ``bounds`` are ``max_depth``, ``max_states``,
    ``time_limit``. Returns the :class:`paraspec.checker.results.Result`."""
    from paraspec.checker.explicit import Checker
    from paraspec.checker.registry import build, properties_of

    if isinstance(machine, str):
        machine = build(machine)
    props = properties_of(machine.name) if properties is None else properties
    return Checker(machine, tuple(props), **bounds).run()


def rules():
    """The rule catalogue: rule ID -> :class:`paraspec.checker.spec.Rule`."""
    from paraspec.checker.spec import load_rules

    return load_rules()
