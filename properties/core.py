"""Properties and mutants, declared once as values.

Kinds:

* ``always``: a predicate on every reachable state (an invariant);
* ``transition``: a predicate on every transition ``(state, action, next_state)``;
  rejected inputs are transitions too, with ``next_state`` a :class:`model.core.Rejected`;
* ``sometimes``: a reachability witness; it holds when some reachable state satisfies it;
* ``eventually`` / ``leads_to``: liveness, decided on the explored graph under the
  machine's stated fairness (see ``checker.liveness``).

Every ``always`` and ``transition`` property carries a *witness*: a predicate of the
same shape naming the situation the property is about (a candidate being enacted,
a forged bitfield being offered, ...). The checker reports the property as
``vacuous`` (a failure) when the witness never fires, so nothing passes by never
being exercised.

A *mutant* is a subclass of a machine that breaks one rule; it names the properties
that must catch it. ``paraspec check --mutant NAME`` runs it, and the test-suite runs
them all.
"""

from __future__ import annotations

import enum
from typing import Any, Callable

import attrs

__all__ = [
    "Kind",
    "Property",
    "Mutant",
    "PROPERTIES",
    "MUTANTS",
    "always",
    "transition",
    "sometimes",
    "eventually",
    "leads_to",
    "vectorized",
    "mutant",
    "properties_for",
    "mutants_for",
    "Obligation",
    "LemmaDecl",
    "LEMMAS",
    "lemma",
]


class Kind(str, enum.Enum):
    ALWAYS = "always"
    TRANSITION = "transition"
    SOMETIMES = "sometimes"
    EVENTUALLY = "eventually"
    LEADS_TO = "leads_to"


@attrs.frozen
class Property:
    name: str
    kind: Kind
    machine: str
    rules: tuple[str, ...]
    #: always/sometimes/eventually: pred(m, s); transition: pred(m, s, a, t);
    #: leads_to: pred(m, s) is the trigger, ``goal(m, s)`` the target
    predicate: Callable[..., Any] = attrs.field(eq=False, repr=False)
    witness: Callable[..., Any] | None = attrs.field(default=None, eq=False, repr=False)
    goal: Callable[..., Any] | None = attrs.field(default=None, eq=False, repr=False)
    doc: str = ""
    #: transition properties: the action classes the property concerns (empty: all);
    #: the predicate and witness are evaluated only on those actions
    on: tuple[type, ...] = ()
    #: liveness families: ``over(m)`` yields keys; the property is checked once per key,
    #: with ``predicate(m, s, key)`` and ``goal(m, s, key)``
    over: Callable[..., Any] | None = attrs.field(default=None, eq=False, repr=False)
    #: invariants: also an *auxiliary invariant* of ``paraspec prove``, which k-induction
    #: assumes (once it is proved) to prove the machine's other properties
    aux: bool = False
    #: invariant under the permutations the machine's ``symmetry`` declares (it names no
    #: particular validator or para, only all of them, or the ones an input names); ``False``
    #: makes ``--symmetry`` refuse a search that checks it (``Checker.symmetry_refusal``)
    symmetric: bool = True

    @property
    def vectorized(self) -> bool:
        """Whether the predicate (and witness, goal) also evaluate element-wise on a batch
        of states held as numpy arrays (see :func:`vectorized`)."""
        fns = [f for f in (self.predicate, self.witness, self.goal) if f is not None]
        return all(getattr(f, "vectorized", False) for f in fns)

    @property
    def qualified(self) -> str:
        return f"{self.machine}.{self.name}"


@attrs.frozen
class Mutant:
    name: str
    machine: str
    cls: type = attrs.field(repr=False)
    #: properties (names, of this machine) that must report a violation
    kills: tuple[str, ...]
    doc: str = ""
    #: preset on which the mutant is checked (None: the default preset)
    preset: str | None = None
    #: configuration overrides applied on top of the preset
    overrides: tuple[tuple[str, Any], ...] = ()


#: machine name -> property name -> Property
PROPERTIES: dict[str, dict[str, Property]] = {}
#: mutant name -> Mutant
MUTANTS: dict[str, Mutant] = {}


def _register(p: Property) -> Property:
    ps = PROPERTIES.setdefault(p.machine, {})
    if p.name in ps:
        raise ValueError(f"property {p.qualified} declared twice")
    if not p.rules:
        raise ValueError(f"property {p.qualified} names no rule ID")
    ps[p.name] = p
    return p


def _doc(fn: Callable) -> str:
    return " ".join((fn.__doc__ or "").split())


def always(machine: str, rules: tuple[str, ...] | list[str], witness: Callable | None = None, aux: bool = False,
           symmetric: bool = True):
    """Declare an invariant ``pred(m, s) -> bool``.

    ``aux=True`` also makes it an auxiliary invariant of ``paraspec prove``: k-induction
    proves it, then assumes it while proving the machine's other properties (a property
    true in every reachable state but not inductive on its own needs one that rules out
    the unreachable states its induction step fails from); the verdicts name the
    auxiliary invariants a proof used."""

    def deco(fn):
        _register(Property(fn.__name__, Kind.ALWAYS, machine, tuple(rules), fn, witness, None, _doc(fn),
                           aux=aux))
        return fn

    return deco


def transition(machine: str, rules: tuple[str, ...] | list[str], witness: Callable | None = None,
               on: tuple[type, ...] | list[type] = (), symmetric: bool = True):
    """Declare a transition property ``pred(m, s, a, t) -> bool``.

    ``t`` is the next state, or a :class:`model.core.Rejected` when the input was
    rejected. ``witness(m, s, a, t)`` marks the transitions the property is about.
    ``on`` restricts both to actions of the given classes.
    """

    def deco(fn):
        _register(Property(fn.__name__, Kind.TRANSITION, machine, tuple(rules), fn, witness, None, _doc(fn),
                           tuple(on), symmetric=symmetric))
        return fn

    return deco


def sometimes(machine: str, rules: tuple[str, ...] | list[str], symmetric: bool = True):
    """Declare a reachability witness ``pred(m, s) -> bool``."""

    def deco(fn):
        _register(Property(fn.__name__, Kind.SOMETIMES, machine, tuple(rules), fn, None, None, _doc(fn),
                           symmetric=symmetric))
        return fn

    return deco


def eventually(machine: str, rules: tuple[str, ...] | list[str]):
    """Declare ``<> pred``: every fair behaviour reaches a state satisfying ``pred``."""

    def deco(fn):
        _register(Property(fn.__name__, Kind.EVENTUALLY, machine, tuple(rules), fn, None, None, _doc(fn)))
        return fn

    return deco


def leads_to(machine: str, rules: tuple[str, ...] | list[str], goal: Callable, over: Callable | None = None):
    """Declare ``trigger ~> goal``: from every trigger state, every fair behaviour
    reaches a goal state. With ``over(m)`` (an iterable of keys, e.g. the cores), one
    such property per key: ``trigger(m, s, key) ~> goal(m, s, key)``."""

    def deco(fn):
        _register(Property(fn.__name__, Kind.LEADS_TO, machine, tuple(rules), fn, None, goal, _doc(fn), (), over))
        return fn

    return deco


def vectorized(fn: Callable) -> Callable:
    """Mark a predicate (or witness, goal) as written with the helpers of
    :mod:`model.logic` and field arithmetic only, so that it also evaluates
    element-wise when the state's fields are numpy arrays (``checker.vector``).
    For a transition property, the vectorized engine evaluates it on accepted
    transitions with the next states as arrays, and on rejected ones (the inputs a
    state's guards refuse) with a :class:`~paraspec.model.core.Rejected` value as the
    next state, as the explicit engine does."""
    fn.vectorized = True
    return fn


def mutant(machine: str, name: str, kills: tuple[str, ...] | list[str], preset: str | None = None,
           overrides: dict[str, Any] | None = None):
    """Class decorator: register a deliberately wrong subclass of a machine."""

    def deco(cls):
        if name in MUTANTS:
            raise ValueError(f"mutant {name!r} declared twice")
        cls.mutant_name = name
        MUTANTS[name] = Mutant(name, machine, cls, tuple(kills), _doc(cls), preset,
                               tuple(sorted((overrides or {}).items())))
        return cls

    return deco


def properties_for(machine: str) -> list[Property]:
    return list(PROPERTIES.get(machine, {}).values())


def mutants_for(machine: str) -> list[Mutant]:
    return [m for m in MUTANTS.values() if m.machine == machine]


# -- parametric lemmas --------------------------------------------------------------------------------


@attrs.frozen
class Obligation:
    """``premises ⇒ goal`` for all values of the free variables."""

    label: str
    premises: tuple[Any, ...]
    goal: Any


@attrs.frozen
class LemmaDecl:
    """A parametric lemma: a fact about the model's arithmetic for every value of its
    variables (every validator count ``n`` ...). ``build(ints)`` states it as
    :class:`Obligation` s over variables made by ``ints("n v")`` (symbolic integers the
    engine supplies), calling the model's own functions, looked up when the lemma is built
    (so replacing one by a wrong variant makes the lemma fail). ``paraspec prove`` proves
    each one (``checker.symbolic.lemmas``)."""

    name: str
    rules: tuple[str, ...]
    doc: str
    build: Callable[[Callable], list[Obligation]] = attrs.field(eq=False, repr=False)


#: lemma name -> LemmaDecl, in declaration order
LEMMAS: dict[str, LemmaDecl] = {}


def lemma(name: str, rules: tuple[str, ...] | list[str]):
    """Declare a lemma ``fn(ints) -> list[Obligation]``; its docstring is the statement.

    Public as ``paraspec.lemma`` (with ``paraspec.Obligation``), usable from any module
    ``paraspec`` loads (``--load``, ``PARASPEC_PATH``, the ``paraspec.machines`` entry points):
    ``ints("n v")`` returns Z3 integers (unbounded; ``/`` is integer division), premises and
    goals are Z3 formulas. ``paraspec prove NAME`` proves it for every value; a refuted lemma
    names the obligation, the conjunct of its goal that fails and the values of the variables.
    The rule IDs must exist in ``spec/`` for the built-in lemmas (``tests/test_rule_map.py``)."""

    def deco(fn):
        if name in LEMMAS:
            raise ValueError(f"lemma {name!r} declared twice")
        if not rules:
            raise ValueError(f"lemma {name!r} names no rule ID")
        LEMMAS[name] = LemmaDecl(name, tuple(rules), _doc(fn), fn)
        return fn

    return deco
