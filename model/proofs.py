"""What a machine may declare for proofs, as plain data the symbolic engine interprets.

A machine's area knowledge that proofs need (bounds of its state's values, invariants
that strengthen k-induction, counting abstractions over vote counts) lives next to the
machine and reaches the engine only through the hooks of
:class:`~paraspec.model.core.Machine` (``symbolic_domain``, ``auxiliary_invariants``,
``counting_models``). This module defines the shapes of those declarations; it imports
neither Z3 nor the checker: the engine passes its symbolic values in when it calls the
functions below.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import attrs

__all__ = ["Invariant", "CountingModel"]


@attrs.frozen
class Invariant:
    """An auxiliary invariant: a predicate ``fn(machine, state) -> bool`` true in every
    reachable state, which k-induction may assume (after proving it) to exclude
    unreachable states that would step to a violation. Written in the dual-use
    arithmetic, like a property, so the engine evaluates it on symbolic states."""

    name: str
    fn: Callable[[Any, Any], Any] = attrs.field(repr=False)
    doc: str = ""

    @classmethod
    def of(cls, fn: Callable[[Any, Any], Any]) -> "Invariant":
        """The invariant named after ``fn``, its docstring (on one line) as its statement."""
        return cls(fn.__name__, fn, " ".join((fn.__doc__ or "").split()))


@attrs.frozen
class CountingModel:
    """A counting abstraction of a machine: one abstract state per para (or core) made of
    integer ``fields`` (a status, a number of votes, an age ...), with the parameters
    named in ``parameters`` symbolic, so one abstract system stands for every value of
    them. The engine proves ``inv`` inductive and ``safe`` for every step, for every
    value of the parameters at least their minimum, and checks on the explicit machine
    at small parameters that the abstraction over-approximates it (via ``alpha``).

    The functions receive the engine's values:

    * ``cur``/``nxt``: field name -> symbolic integer (an abstract state / its successor);
    * ``p``: parameter name -> symbolic integer (the value the instance ``m`` uses);
    * ``m``: an instance of the machine (or a mutant) whose ``config`` holds the
      symbolic parameters, so its rule methods can be called;
    * ``sym``: the engine's toolkit for calling rule methods: ``sym.int(x)`` (an
      integer a rule may compute with but not branch on), ``sym.count(c)`` (a set of
      ``c`` validators: its ``bit_count()`` is ``c``), ``sym.truth(answer)`` (a rule's
      answer as a formula).

    Connectives come from :mod:`paraspec.model.logic`, which dispatches on the operands.
    """

    name: str
    #: the rule IDs the proved property checks
    rules: tuple[str, ...]
    #: the statement proved for every value of the parameters
    doc: str
    #: parameter name -> its least value (the parameters that are symbolic)
    parameters: Mapping[str, int]
    #: ``fn(m, cur, nxt, p, sym)``: the abstract transition (per para / core)
    trans: Callable = attrs.field(repr=False)
    #: ``fn(cur)``: the abstract initial state
    init: Callable = attrs.field(repr=False)
    #: ``fn(m, cur, p, sym)``: the invariant proved for every value of the parameters
    inv: Callable = attrs.field(repr=False)
    #: ``fn(m, cur, nxt, p, sym)``: the transition property proved for every value
    safe: Callable = attrs.field(repr=False)
    #: ``fn(machine, state)``: the abstract states of a concrete state (one per para /
    #: core, ``{field: int}``)
    alpha: Callable = attrs.field(repr=False)
    #: ``fn(machine, state, next_state)``: the abstract successors of a concrete step, when
    #: an abstract step records more than ``alpha`` of the next state (``None``: ``alpha``)
    alpha_step: Callable | None = attrs.field(default=None, repr=False)
    #: the field names of an abstract state
    fields: tuple[str, ...] = ("st", "c", "age")
