"""What a scenario may use of a machine, read from the machine contract alone."""

from __future__ import annotations

import sys
from typing import Any

import attrs

from paraspec.model.core import Machine, snake_case
from paraspec.model.queries import Query, queries_for, selectors_for

from ..codec import encode

__all__ = ["action_classes", "state_class", "state_json", "events_json", "queries", "selectors"]

_CLASSES: dict[type, dict[str, type]] = {}


def action_classes(machine: Machine) -> dict[str, type]:
    """Input classes by name: the declared ``action_classes``; else, for a machine that
    keeps the default ``step`` (one ``process_<action>`` method per class), every attrs
    class of its modules with such a method; else (a composite input, a relay block) the
    classes ``actions`` offers in the initial states."""
    key = type(machine)
    got = _CLASSES.get(key)
    if got is not None:
        return got
    if machine.action_classes:
        got = dict(machine.action_classes)
    elif type(machine).step is Machine.step:
        got = {}
        mods = [sys.modules[c.__module__] for c in type(machine).__mro__ if c.__module__ in sys.modules]
        for mod in mods:
            for obj in vars(mod).values():
                if isinstance(obj, type) and attrs.has(obj) and \
                        callable(getattr(machine, "process_" + snake_case(obj.__name__), None)):
                    got.setdefault(obj.__name__, obj)
    else:
        got = {}
        for s in machine.init():
            for a in machine.actions(s):
                got.setdefault(type(a).__name__, type(a))
    got = dict(sorted(got.items()))
    _CLASSES[key] = got
    return got


def state_class(machine: Machine) -> type:
    return machine.state_class or type(next(iter(machine.init())))


def state_json(machine: Machine, state: Any) -> dict[str, Any]:
    """The state as JSON: its fields by the typed codec of ``checker.codec``, where the
    machine's ``describe`` (the contract's view for expectations: enum names, masks as
    lists of ids, derived values such as ``height``) gives a field, that form."""
    out = encode(state, type(state))
    if not isinstance(out, dict):
        out = {"state": out}
    for k, v in machine.describe(state).items():
        out[k] = encode(v)
    return out


def events_json(machine: Machine, state: Any, action: Any, nxt: Any) -> Any:
    """What an accepted step emits besides its next state (``Machine.answer``), as JSON."""
    return encode(machine.answer(state, action, nxt))


def queries(machine: Machine) -> dict[str, Query]:
    return queries_for(machine.name)


def selectors(machine: Machine) -> dict[str, Query]:
    return selectors_for(machine.name)
