"""The model API: rejections, guards, machines and their registry.

A *machine* is a pure-functional state machine:

* ``init()`` yields the initial state(s);
* ``actions(state)`` yields the inputs to try in ``state`` (immutable values), in a
  deterministic order;
* ``step(state, action)`` returns the next state, or raises :class:`Rejected` when the
  protocol rejects the input (the block carrying it is invalid). Any other exception
  is a bug in the model, and the checker reports it as such.

States and actions are frozen ``attrs`` classes, tuples, frozensets, ints and enums.
Rules are methods, so a *mutant* (a deliberately wrong variant used to show that a
property can fail) is a subclass that overrides one rule.
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterable, Iterator

import attrs

__all__ = [
    "Rejected",
    "require",
    "Machine",
    "register_machine",
    "MACHINES",
    "action_name",
    "action_args",
]


class Rejected(Exception):
    """The protocol rejects an input: the rule ``rule_id`` is not met.

    This is an expected outcome (the block is invalid, the pre-state stays), not a
    failure of the model. The checker records which rules rejected which inputs.
    """

    def __init__(self, rule_id: str, reason: str):
        super().__init__(f"{rule_id}: {reason}")
        self.rule_id = rule_id
        self.reason = reason

    def __reduce__(self):  # picklable for parallel workers
        return (Rejected, (self.rule_id, self.reason))


def require(cond: Any, rule_id: str, reason: str) -> None:
    """Guard of a transition: raise :class:`Rejected` unless ``cond`` holds."""
    if not cond:
        raise Rejected(rule_id, reason)


class Machine:
    """Base class of every protocol machine.

    Subclasses set ``name`` (the CLI name), ``description``, ``rules`` (the spec rule
    IDs the machine implements) and implement :meth:`init`, :meth:`actions`,
    :meth:`step`. A machine is built from a configuration (a preset) and is itself
    immutable; everything that changes lives in the state.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: The spec area (a document in ``spec/``) this machine implements.
    area: ClassVar[str] = ""
    #: Whether a state with no successful successor is an error.
    deadlock_is_error: ClassVar[bool] = False
    #: Name of the mutant this class implements (``None`` for the model itself).
    mutant_name: ClassVar[str | None] = None
    #: A machine that takes its parameters from a class of its own rather than from
    #: ``HostConfiguration`` (``HaltConfig``) names it here: ``--set`` then reaches its
    #: fields, and ``self.config`` is an instance of it.
    own_config: ClassVar[type | None] = None

    def __init__(self, config):
        self.config = config

    # -- the three functions every machine provides --------------------------------
    def init(self) -> Iterable[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def actions(self, state) -> Iterable[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self, state, action):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- optional hooks --------------------------------------------------------------
    def successors(self, state) -> Iterator[tuple[int, Any, Any]]:
        """Yield ``(index, action, next_state_or_Rejected)`` for every action.

        Engines use this; a machine may override it with a faster equivalent.
        """
        for i, a in enumerate(self.actions(state)):
            try:
                yield i, a, self.step(state, a)
            except Rejected as r:
                yield i, a, r

    def answer(self, state, action, next_state) -> Any:
        """The value an accepted input returns besides its next state: a query's result,
        an event, or the runtime-API views of the next state an implementation exposes
        (the group each core is assigned, whether a stall has escalated). Conformance
        vectors record it as the case's ``output.ok``. Default: ``None`` (the next state
        is the whole effect)."""
        return None

    def view(self, state) -> dict[str, Any]:
        """The state as named variables (for traces and reports)."""
        if attrs.has(type(state)):
            return {f.name: getattr(state, f.name) for f in attrs.fields(type(state))}
        return {"state": state}

    def __repr__(self) -> str:
        m = f" mutant={self.mutant_name}" if self.mutant_name else ""
        return f"<{type(self).__name__} {self.name}{m} {self.config.name}>"


#: name -> machine class (the correct model, not mutants)
MACHINES: dict[str, type[Machine]] = {}


def register_machine(cls: type[Machine]) -> type[Machine]:
    """Class decorator: make a machine known to the checker and the CLI."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in MACHINES and MACHINES[cls.name] is not cls:
        raise ValueError(f"machine name {cls.name!r} registered twice")
    MACHINES[cls.name] = cls
    return cls


def action_name(action: Any) -> str:
    """The action's kind: its class name (``SignBitfield``)."""
    return type(action).__name__


def action_args(action: Any) -> dict[str, Any]:
    """The action's parameters as a dict (empty for a parameterless action)."""
    if attrs.has(type(action)):
        return {f.name: getattr(action, f.name) for f in attrs.fields(type(action))}
    return {}
