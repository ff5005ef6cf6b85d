"""Handlers: the named entry points of a machine that conformance vectors exercise.

A *handler* is what a test vector drives in an implementation: it takes a
pre-state and one input (an action of the handler's classes) and returns the
post-state, or rejects the input with a rule ID. The name follows
consensus-spec-tests' ``<runner>/<handler>``: ``availability/sign_bitfield``,
``inclusion/block``.

A machine declares its handlers in its own module (any module under ``model/`` or
``properties/``; they are all discovered), for example::

    from paraspec.model.handlers import handler, state_shape

    handler("inclusion", "statement", [Second, Valid], "a Seconded or Valid statement")

    @state_shape("inclusion")
    def _shape(m, s):
        return ...  # a short string: the state's coverage class

    sampling("inclusion", max_candidates=1)  # explored exhaustively under this bound

A machine that declares none gets one *generic* handler per action class, named
after it (``SignBitfield`` -> ``sign_bitfield``); a machine that declares some gets
generic handlers for the action classes its declarations leave out. Without a
declared shape, the coverage shape of a state is :func:`generic_shape`.

This module is pure data (no I/O, no engine): the vector generator and the
reference adapter in ``checker.vectors`` read it.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Callable, Iterable

import attrs

from .core import snake_case

__all__ = [
    "Handler",
    "HANDLERS",
    "SHAPES",
    "SAMPLING",
    "handler",
    "sampling",
    "state_shape",
    "snake",
    "handlers_for",
    "generic_shape",
    "shape_of",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


#: ``SignBitfield`` -> ``sign_bitfield``: one rule for handler and ``process_`` names
snake = snake_case


@attrs.frozen
class Handler:
    machine: str
    name: str
    #: the action classes the handler accepts (an input names one of them)
    actions: tuple[type, ...]
    doc: str = ""
    #: ``apply(machine, state, action) -> next state`` (raises Rejected); default ``machine.step``
    apply: Callable[[Any, Any, Any], Any] | None = attrs.field(default=None, eq=False, repr=False)
    #: derived from an action class rather than declared
    generic: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.machine}/{self.name}"

    def run(self, machine, state, action):
        if self.apply is not None:
            return self.apply(machine, state, action)
        return machine.step(state, action)

    def action_class(self, kind: str) -> type | None:
        for cls in self.actions:
            if cls.__name__ == kind:
                return cls
        return None


#: machine name -> handler name -> Handler (declared ones)
HANDLERS: dict[str, dict[str, Handler]] = {}
#: machine name -> shape function ``(machine, state) -> str``
SHAPES: dict[str, Callable[[Any, Any], str]] = {}
#: machine name -> configuration overrides under which the generator explores the
#: machine exhaustively (exploration bounds such as ``max_candidates``)
SAMPLING: dict[str, dict[str, Any]] = {}


def handler(machine: str, name: str, actions: Iterable[type], doc: str = "",
            apply: Callable | None = None) -> Handler:
    """Declare a handler of ``machine`` accepting the given action classes."""
    actions = tuple(actions)
    if not _NAME.match(name):
        raise ValueError(f"handler name {name!r} must match {_NAME.pattern}")
    if not actions:
        raise ValueError(f"handler {machine}/{name} accepts no action class")
    names = [c.__name__ for c in actions]
    if len(set(names)) != len(names):
        raise ValueError(f"handler {machine}/{name} lists an action class name twice")
    hs = HANDLERS.setdefault(machine, {})
    if name in hs:
        raise ValueError(f"handler {machine}/{name} declared twice")
    for other in hs.values():
        clash = set(other.actions) & set(actions)
        if clash:
            raise ValueError(f"action {sorted(c.__name__ for c in clash)[0]} of {machine} belongs to both "
                             f"{other.name} and {name}")
    h = Handler(machine, name, actions, " ".join(doc.split()), apply)
    hs[name] = h
    return h


def state_shape(machine: str):
    """Decorator: declare the coverage shape ``fn(machine, state) -> str`` of a machine."""

    def deco(fn):
        if machine in SHAPES:
            raise ValueError(f"shape of {machine} declared twice")
        SHAPES[machine] = fn
        return fn

    return deco


def sampling(machine: str, **overrides: Any) -> None:
    """Declare the configuration overrides (exploration bounds only) under which the
    vector generator explores ``machine`` exhaustively for coverage, e.g.
    ``sampling("inclusion", max_candidates=1)``. Without a declaration the generator
    explores the preset itself, up to its state budget."""
    if machine in SAMPLING:
        raise ValueError(f"sampling of {machine} declared twice")
    SAMPLING[machine] = dict(overrides)


def handlers_for(machine: str, action_classes: Iterable[type] = ()) -> list[Handler]:
    """The declared handlers of ``machine``, plus a generic one for each action class
    in ``action_classes`` that no declaration covers (sorted by name)."""
    declared = dict(HANDLERS.get(machine, {}))
    covered = {c for h in declared.values() for c in h.actions}
    out = dict(declared)
    for cls in action_classes:
        if cls in covered:
            continue
        name = snake(cls.__name__)
        if name in out:
            prev = out[name]
            if prev.generic and cls not in prev.actions:
                raise ValueError(f"two action classes of {machine} are named {cls.__name__}")
            if not prev.generic:
                raise ValueError(f"action {cls.__name__} of {machine} is not covered by the declared "
                                 f"handler {name!r}; add it there or declare a handler for it")
            continue
        out[name] = Handler(machine, name, (cls,), (cls.__doc__ or "").strip().split("\n")[0], None, True)
        covered.add(cls)
    return [out[k] for k in sorted(out)]


def _abstract(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "T" if x else "F"
    if isinstance(x, enum.Enum):
        return x.name
    if isinstance(x, int):
        return "0" if x == 0 else "+" if x > 0 else "-1"
    if isinstance(x, str):
        return "s"
    if isinstance(x, (tuple, list)):
        return "(" + ",".join(_abstract(y) for y in x) + ")"
    if isinstance(x, (frozenset, set)):
        return "{" + ("" if not x else "+") + "}"
    if isinstance(x, dict):
        return "{" + ("" if not x else "+") + "}"
    if attrs.has(type(x)):
        return "(" + ",".join(_abstract(getattr(x, f.name)) for f in attrs.fields(type(x))) + ")"
    return "?"


def generic_shape(machine: Any, state: Any) -> str:
    """The default coverage shape: the state with every integer abstracted to zero /
    positive / negative, every collection to empty / non-empty (tuples keep their
    positions), enums and ``None`` kept."""
    return _abstract(state)


def shape_of(machine: Any, state: Any) -> str:
    fn = SHAPES.get(machine.name)
    return fn(machine, state) if fn is not None else generic_shape(machine, state)
