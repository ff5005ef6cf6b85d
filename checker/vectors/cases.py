"""The case format, handler resolution and the reference execution of one case.

A case (one JSON file ``<preset>/<machine>/<handler>/<name>.json``)::

    {"format": "paraspec-vector/1", "id": ..., "machine": ..., "handler": ..., "preset": ...,
     "kind": "rule" | "coverage" | "mutant", "description": ..., "rules": [...],
     "pre_state": {...}, "input": {"action": "SignBitfield", "args": {...}},
     "output": {"ok": VALUE} | {"err": "AV-4"}, "post_state": {...}}

``VALUE`` is the step's answer (``Machine.answer``; ``null`` for most machines);
``post_state`` equals ``pre_state`` when ``output`` is an error. See ``docs/vectors.md``.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from paraspec.model.core import Machine, Rejected
from paraspec.model.handlers import Handler, handlers_for, snake

from ..codec import CodecError, decode, decode_record, encode, json_type
from ..explore import Exploration, Halt, Visitor, explore
from ..registry import get_machine_class, load_all

__all__ = [
    "FORMAT",
    "VectorError",
    "config_json",
    "config_overrides",
    "state_type",
    "encode_state",
    "decode_state",
    "encode_input",
    "decode_input",
    "resolve_handler",
    "execute",
    "first_difference",
    "dump",
]

FORMAT = "paraspec-vector/1"


class VectorError(ValueError):
    """A malformed request, case or suite: the message names the field."""


def dump(obj: Any) -> str:
    """The canonical text of a JSON file of the suite (stable across runs)."""
    return json.dumps(obj, indent=1, ensure_ascii=True) + "\n"


# -- configuration --------------------------------------------------------------------------------


def config_json(machine: Machine) -> dict[str, Any]:
    """A machine's configuration as vectors record it: the preset's name under
    ``preset`` and the value of every parameter the machine honours
    (``Machine.parameter_values``)."""
    return machine.parameter_values()


def config_overrides(name: str, obj: Any, path: str = "config") -> tuple[str, dict[str, Any]]:
    """The preset and the overrides that rebuild machine ``name`` from a recorded
    configuration: every scalar field as recorded (so a mutant's own overrides cannot
    take the place of a recorded value), and any other field that differs from the
    preset's (an error, since only scalars can be set)."""
    from ..registry import UsageError, resolve_preset

    if not isinstance(obj, dict):
        raise VectorError(f"{path}: expected an object of configuration fields")
    preset = obj.get("preset")
    if not isinstance(preset, str):
        raise VectorError(f"{path}.preset: expected the name of a preset of machine {name!r}")
    cls = get_machine_class(name)
    try:
        base = cls(resolve_preset(cls, preset)).parameter_values()
    except UsageError as e:
        raise VectorError(f"{path}.preset: {e}") from None
    unknown = sorted(set(obj) - set(base))
    if unknown:
        raise VectorError(f"{path}.{unknown[0]}: not a parameter of machine {name!r} "
                          f"(its parameters: {', '.join(cls.parameter_names())})")
    return preset, {k: v for k, v in obj.items()
                    if k != "preset" and (v != base[k] or isinstance(v, (int, str, bool)))}


# -- states and inputs ------------------------------------------------------------------------------

_STATE_TYPES: dict[type, type] = {}


def state_type(machine: Machine) -> type:
    """The class of the machine's states (that of its first initial state)."""
    key = type(machine)
    t = _STATE_TYPES.get(key)
    if t is None:
        t = type(next(iter(machine.init())))
        _STATE_TYPES[key] = t
    return t


def encode_state(machine: Machine, state: Any) -> Any:
    return encode(state, state_type(machine))


def decode_state(machine: Machine, obj: Any, path: str = "pre_state") -> Any:
    t = state_type(machine)
    try:
        if attrs.has(t):
            return decode_record(obj, t, path)
        return decode(obj, t, path)
    except CodecError as e:
        raise VectorError(str(e)) from None


def encode_input(action: Any) -> dict[str, Any]:
    if not attrs.has(type(action)):
        raise VectorError(f"action {action!r} is not an attrs record; vectors need record actions")
    return {"action": type(action).__name__, "args": encode(action, type(action))}


def decode_input(h: Handler, obj: Any, path: str = "input") -> Any:
    if not isinstance(obj, dict) or set(obj) != {"action", "args"}:
        raise VectorError(f"{path}: expected an object with exactly the keys 'action' and 'args'")
    kind = obj["action"]
    cls = h.action_class(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(c.__name__ for c in h.actions)
        raise VectorError(f"{path}.action: {kind!r} is not an input of handler {h.qualified} (expected {known})")
    try:
        return decode_record(obj["args"], cls, f"{path}.args")
    except CodecError as e:
        raise VectorError(str(e)) from None


# -- handlers ------------------------------------------------------------------------------------------

#: (machine name, config name) -> action classes met by a bounded exploration
_ACTION_CLASSES: dict[tuple[str, str], tuple[type, ...]] = {}
#: (machine class, parameters, handler name) -> the generic handler found by an exploration halted at it
_FIRST_OF_NAME: dict[tuple[Any, Any, str], Handler] = {}


class _ActionClasses(Visitor):
    """Visitor of a bounded exploration noting the classes of the actions offered, in
    order of first appearance; ``max_states`` states are stored at most."""

    def __init__(self, machine: Machine, max_states: int):
        super().__init__(machine)
        self.max_states = max_states
        self.seen: dict[type, None] = {}
        self.stored = 0

    def on_state(self, i: int, parent: int, succ: tuple) -> None:
        self.stored += 1

    def on_transition(self, i: int, succ: tuple) -> None:
        self.seen.setdefault(type(succ[1]), None)

    def admit(self, parent: int, succ: tuple) -> bool:
        return self.stored < self.max_states

    def stop_level(self, ex: Exploration) -> str | None:
        return "max_states" if len(ex) >= self.max_states else None


class _FirstOfName(_ActionClasses):
    """The same exploration, halted at the first action class whose generic handler would be
    named ``name`` (the classes before it are the full exploration's first ones, in the same order)."""

    def __init__(self, machine: Machine, max_states: int, name: str, covered: set[type]):
        super().__init__(machine, max_states)
        self.name = name
        self.covered = covered
        self.found = False

    def on_transition(self, i: int, succ: tuple) -> None:
        cls = type(succ[1])
        if cls not in self.seen:
            self.seen[cls] = None
            if cls not in self.covered and snake(cls.__name__) == self.name:
                self.found = True
                raise Halt


def explored_action_classes(machine: Machine, max_states: int = 3000) -> tuple[type, ...]:
    """The action classes a bounded breadth-first exploration of the machine offers,
    in order of first appearance (how generic handlers are found)."""
    key = (type(machine), machine.params)
    got = _ACTION_CLASSES.get(key)
    if got is not None:
        return got
    v = _ActionClasses(machine, max_states)
    explore(v)
    got = tuple(v.seen)
    _ACTION_CLASSES[key] = got
    return got


def resolve_handler(machine: Machine, name: str) -> Handler:
    """The handler ``name`` of the machine: a declared one, or a generic one derived
    from an action class of the machine."""
    from paraspec.model.handlers import HANDLERS

    declared = HANDLERS.get(machine.name, {})
    if name in declared:
        return declared[name]
    # A generic handler: the first action class of the bounded exploration with that name. When the
    # full exploration is not cached (a mutant's machine, served once per mutant by the adequacy
    # measure and by `paraspec adapter --mutant`), explore only until that class appears: the
    # handler is the one the full exploration gives (it depends on that class only), at the cost
    # of a level or two instead of 3,000 states.
    key = (type(machine), machine.params)
    if key not in _ACTION_CLASSES:
        got = _FIRST_OF_NAME.get((*key, name))
        if got is not None:
            return got
        v = _FirstOfName(machine, 3000, name, {c for h in declared.values() for c in h.actions})
        explore(v)
        if v.found:
            for h in handlers_for(machine.name, tuple(v.seen)):
                if h.name == name:
                    _FIRST_OF_NAME[(*key, name)] = h
                    return h
        else:
            _ACTION_CLASSES[key] = tuple(v.seen)  # it ran to its end: the full exploration's classes
    for h in handlers_for(machine.name, explored_action_classes(machine)):
        if h.name == name:
            return h
    known = ", ".join(h.name for h in handlers_for(machine.name, explored_action_classes(machine)))
    raise VectorError(f"handler: machine {machine.name!r} has no handler {name!r} (known: {known})")


def split_handler(qualified: Any, path: str = "handler") -> tuple[str, str]:
    if not isinstance(qualified, str) or qualified.count("/") != 1:
        raise VectorError(f"{path}: expected 'machine/handler', got {qualified!r}")
    m, h = qualified.split("/")
    load_all()
    from paraspec.model.core import MACHINES

    if m not in MACHINES:
        raise VectorError(f"{path}: unknown machine {m!r}")
    return m, h


# -- executing and comparing -------------------------------------------------------------------------


def execute(h: Handler, machine: Machine, pre: Any, action: Any) -> dict[str, Any]:
    """The reference answer ``{"output", "post_state"}`` for one input.

    A :class:`Rejected` becomes ``{"err": rule}`` with the pre-state unchanged; any
    other exception propagates (a bug of the machine, or of a mutant)."""
    try:
        post = h.run(machine, pre, action)
    except Rejected as r:
        return {"output": {"err": r.rule_id}, "post_state": encode_state(machine, pre)}
    return {"output": {"ok": encode(machine.answer(pre, action, post))}, "post_state": encode_state(machine, post)}


def _short(v: Any, limit: int = 80) -> str:
    text = json.dumps(v, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """The first field where ``actual`` differs from ``expected`` (depth first, in the
    expected object's key order), as ``path: expected X, got Y``; ``None`` if equal."""
    if json_type(expected) != json_type(actual):  # (1 and 1.0 differ: integer, number)
        return f"{path or '$'}: expected {_short(expected)}, got {_short(actual)}"
    if isinstance(expected, dict):
        for k, v in expected.items():
            p = f"{path}.{k}" if path else k
            if k not in actual:
                return f"{p}: missing (expected {_short(v)})"
            d = first_difference(v, actual[k], p)
            if d:
                return d
        extra = [k for k in actual if k not in expected]
        if extra:
            p = f"{path}.{extra[0]}" if path else extra[0]
            return f"{p}: unexpected field (value {_short(actual[extra[0]])})"
        return None
    if isinstance(expected, list):
        for i, (x, y) in enumerate(zip(expected, actual)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(expected) != len(actual):
            return f"{path or '$'}: expected {len(expected)} elements, got {len(actual)}"
        return None
    if expected != actual:
        return f"{path or '$'}: expected {_short(expected)}, got {_short(actual)}"
    return None


def machine_for(name: str, config: Any, mutant: str | None = None, path: str = "config") -> Machine:
    """Machine ``name`` (or ``mutant``, when it is one of that machine's) built from a
    recorded configuration (:func:`config_json`)."""
    from ..registry import UsageError, build

    get_machine_class(name)
    if mutant is not None:
        from paraspec.properties.core import MUTANTS

        mut = MUTANTS.get(mutant)
        if mut is None or mut.machine != name:
            mutant = None
    preset, overrides = config_overrides(name, config, path)
    try:
        return build(name, preset, mutant, overrides=overrides or None)
    except UsageError as e:
        raise VectorError(f"{path}: {e}") from None
