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

import enum
import importlib
import re
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator, Mapping

import attrs

from .config import DEFAULT_PRESET, PRESETS, HostConfiguration
from .rules import implements

if TYPE_CHECKING:
    from .proofs import CountingModel, Invariant

__all__ = [
    "Rejected",
    "require",
    "Machine",
    "register_machine",
    "MACHINES",
    "action_name",
    "action_args",
    "snake_case",
    "implements",
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
    """Base class of every protocol machine: **the machine contract**.

    Everything an engine may ask of a machine is declared here, once, with its
    default; engines read these attributes and never probe a machine with ``getattr``.
    ``docs/guide.md`` is the page a contributor reads before adding a machine.

    Required of a subclass:

    * ``name``, ``area``, ``description``;
    * ``Params`` (a frozen ``attrs`` class, optionally with a ``name`` field, a ``reading``
      field (``seed`` or ``sdk``, default ``seed``: ``paraspec.model.readings``, decision
      CFG-D5; every built-in machine has one, and a machine without it refuses
      ``--reading sdk``) and a ``validate()`` that raises
      :class:`~paraspec.model.config.ConfigError`) and ``presets``
      (preset name -> ``Params``); ``parameters`` when the machine reads only some of
      the fields of a shared ``Params`` class (``HostConfiguration``);
    * :meth:`init`, :meth:`actions`, :meth:`step`.

    A machine is built from its parameters and is itself immutable (it may cache
    derived values in ``__init__``); everything that changes lives in the state.
    ``self.params`` is the ``Params`` instance (``self.config`` is the same object).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: The spec area (a document in ``spec/``) this machine implements.
    area: ClassVar[str] = ""
    #: Whether a state with no successful successor is an error.
    deadlock_is_error: ClassVar[bool] = False
    #: Name of the mutant this class implements (``None`` for the model itself).
    mutant_name: ClassVar[str | None] = None

    # -- parameters -------------------------------------------------------------------------------
    #: The parameters class: frozen attrs; optionally a ``name`` field (the preset it came
    #: from) and ``validate() -> self``. ``--set FIELD=VALUE`` reaches its fields.
    Params: ClassVar[type] = HostConfiguration
    #: Named parameter sets (``tiny``, ``n4_f1`` ...); ``--preset`` picks one.
    presets: ClassVar[Mapping[str, Any]] = PRESETS
    #: The preset a check uses when none is named.
    default_preset: ClassVar[str] = DEFAULT_PRESET
    #: The fields of ``Params`` this machine reads (``None``: every field but ``name``).
    #: A ``--set`` of any other field is refused: it would change nothing.
    parameters: ClassVar[tuple[str, ...] | None] = None
    #: Parameters read only under a reading: parameter -> (field, value). A ``--set`` of
    #: the parameter while ``field`` has another value is refused, since it would change
    #: nothing (``minimum_backing_votes`` counts only under ``backing_threshold=sdk``).
    parameter_conditions: ClassVar[Mapping[str, tuple[str, Any]]] = {}

    # -- optional declarations (engines read these; the defaults are "not declared") -------------
    #: Liveness: weak fairness of these action classes (``checker.liveness``).
    fairness: ClassVar[tuple[type, ...]] = ()
    #: The numpy engine (``checker.vector``) may run this machine (it then declares
    #: ``layout`` and ``state_class`` and writes its rules in dual-use arithmetic).
    vectorized: ClassVar[bool] = False
    #: The attrs class of the states, for the compact encoding of :meth:`layout`.
    state_class: ClassVar[type | None] = None
    #: Input classes by name, for scenarios that spell actions as ``{"action": NAME}``
    #: (``None``: the classes are discovered from :meth:`actions`).
    action_classes: ClassVar[Mapping[str, type] | None] = None
    #: Interchangeable validators and paras (a ``paraspec.model.symmetry.Symmetry``,
    #: usually built in ``__init__`` from the parameters); ``None``: no symmetry.
    symmetry: Any = None

    def __init__(self, params):
        #: the machine's parameters (an instance of ``Params``)
        self.params = params
        #: the same object, under the name the runtime modules use
        self.config = params
        #: ``--set`` overrides given by the user, recorded in traces so a replay rebuilds
        #: the same machine (the registry fills it)
        self.overrides: dict[str, Any] = {}

    #: the name of the preset the registry built this machine from (``None``: built by hand)
    preset_name: str | None = None

    @property
    def preset(self) -> str:
        """The name of the preset the parameters came from: the one the registry built it from,
        else the ``name`` field of ``Params`` if it has one, else ``custom``."""
        return self.preset_name or getattr(self.params, "name", "custom")

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """The fields of ``Params`` this machine honours, in declaration order."""
        if cls.parameters is not None:
            # every machine honours the reading of the whole host (CFG-D5), listed first
            reading = ("reading",) if "reading" in attrs.fields_dict(cls.Params) else ()
            return reading + tuple(p for p in cls.parameters if p != "reading")
        return tuple(f.name for f in attrs.fields(cls.Params) if f.name != "name" and f.init)

    @classmethod
    def values_of(cls, params: Any) -> dict[str, Any]:
        """``params`` as reports record them: the preset's name under ``preset``, then
        every honoured field (enums by name, tuples as lists)."""
        def plain(v: Any) -> Any:
            if isinstance(v, enum.Enum):
                return v.name
            if isinstance(v, (tuple, list)):
                return [plain(x) for x in v]
            return v

        out: dict[str, Any] = {"preset": getattr(params, "name", "custom")}
        for name in cls.parameter_names():
            out[name] = plain(getattr(params, name))
        return out

    def parameter_values(self) -> dict[str, Any]:
        """The values this machine was built with (for reports, traces and vectors)."""
        return {**self.values_of(self.params), "preset": self.preset}

    # -- the three functions every machine provides --------------------------------------------
    def init(self) -> Iterable[Any]:  # pragma: no cover - abstract
        """The initial state(s)."""
        raise NotImplementedError

    def actions(self, state) -> Iterable[Any]:  # pragma: no cover - abstract
        """The inputs to try in ``state``, in a deterministic order."""
        raise NotImplementedError

    def step(self, state, action):
        """The next state; raises :class:`Rejected` for an input the protocol rejects.

        The one way to write a transition: a method ``process_<action>`` per action class
        (``SignBitfield`` -> ``process_sign_bitfield(state, action)``), guards first
        (``require(cond, RULE_ID, reason)``), then the effect, building the next state
        with ``attrs.evolve`` from immutable values. This default dispatches to it; a
        machine whose input is one composite action (a relay block) may override it."""
        # the method is read from the instance, not its class, so an engine that records
        # which attributes a step reads (``checker.symbolic.encoding``) sees it
        return self._processor(action)(state, action)

    def try_step(self, state, action) -> Any:
        """The next state, or the :class:`Rejected` value (not raised) for a rejected input."""
        try:
            return self.step(state, action)
        except Rejected as r:
            return r

    # -- optional hooks -----------------------------------------------------------------------------
    def successors(self, state) -> Iterator[tuple[int, Any, Any]]:
        """Yield ``(index, action, next_state_or_Rejected)`` for every action.

        Engines use this; a machine may override it with a faster equivalent. With the
        default ``step`` and ``try_step``, each input class's ``process_`` method is looked up
        once per call (the hot path of the explicit engine), not once per input.
        """
        cls = type(self)
        if cls.step is not Machine.step or cls.try_step is not Machine.try_step or "step" in vars(self):
            for i, a in enumerate(self.actions(state)):
                yield i, a, self.try_step(state, a)
            return
        methods: dict[type, Any] = {}
        for i, a in enumerate(self.actions(state)):
            method = methods.get(type(a))
            if method is None:
                method = methods[type(a)] = self._processor(a)
            # the rejection is caught in ``_attempt``'s frame, never in this generator's (a
            # caught exception kept here would tie frame, exception and traceback into a cycle)
            yield i, a, _attempt(method, state, a)

    def _processor(self, action) -> Any:
        """The bound ``process_<action>`` method ``step`` dispatches ``action`` to."""
        name = _PROCESSORS.get(type(action))
        if name is None:
            name = _PROCESSORS[type(action)] = "process_" + snake_case(type(action).__name__)
        method = getattr(self, name, None)
        if method is None:
            raise TypeError(f"machine {self.name!r} has no {name} for action {action!r}")
        return method

    def answer(self, state, action, next_state) -> Any:
        """The value an accepted input returns besides its next state: a query's result,
        an event, or the runtime-API views of the next state an implementation exposes
        (the group each core is assigned, whether a stall has escalated). Conformance
        vectors record it as the case's ``output.ok``. Default: ``None`` (the next state
        is the whole effect)."""
        return None

    def layout(self) -> tuple[tuple[str, int], ...] | None:
        """Bits per element of each field of ``state_class``, for the compact integer
        encoding of ``checker.packing`` (``None``: no compact encoding)."""
        return None

    # -- conformance vectors ----------------------------------------------------------------------
    #: The vector suite of this machine's handlers (``checker.vectors.suites``): ``runtime`` (one
    #: relay-chain block per case), ``runtime_module`` (one module's entry point), ``node``
    #: (node-side behaviour) or ``protocol`` (an abstract protocol machine, the default).
    vector_suite: ClassVar[str] = "protocol"
    #: handler name -> suite, for the handlers whose suite differs from ``vector_suite``.
    handler_suites: ClassVar[dict[str, str]] = {}

    # -- declarations for proofs (plain data, shapes in ``paraspec.model.proofs``) ------------------
    #: The module (a name relative to ``paraspec.model``, e.g. ``".availability_proofs"``)
    #: that declares what proofs need of this machine: ``symbolic_domain(params)``,
    #: ``AUXILIARY_INVARIANTS`` and ``COUNTING_MODELS``. The hooks below read it; a machine
    #: may instead override them. ``None``: nothing declared.
    proofs: ClassVar[str | None] = None

    @classmethod
    def _proofs_module(cls) -> Any:
        if cls.proofs is None:
            return None
        # a relative name is relative to the package of the module defining the machine
        owner = next(c for c in cls.__mro__ if "proofs" in vars(c)).__module__
        return importlib.import_module(cls.proofs, owner.rpartition(".")[0] or owner)

    def symbolic_domain(self) -> Mapping[str, tuple[int, int]] | None:
        """Bounds ``(lo, hi)`` of every integer leaf of a state, by leaf pattern
        (``paras[*].votes``), for these parameters: the domain the symbolic engine encodes
        (``checker.symbolic``) and proves never left. ``None`` (the default): not declared;
        ``paraspec prove`` then proves the machine only when named, on a domain inferred
        from a bounded exploration."""
        mod = self._proofs_module()
        return None if mod is None else mod.symbolic_domain(self.params)

    def auxiliary_invariants(self) -> tuple["Invariant", ...]:
        """Invariants of the reachable states that k-induction may assume once proved, for
        properties that hold but are not inductive on their own (``--no-strengthening``
        leaves them out). Default: none."""
        mod = self._proofs_module()
        return () if mod is None else tuple(mod.AUXILIARY_INVARIANTS)

    @classmethod
    def counting_models(cls) -> tuple["CountingModel", ...]:
        """Counting abstractions of the machine over vote counts, with parameters such as the
        validator count symbolic; each is a lemma of ``paraspec prove`` for every value of
        them, and a mutant class answers with the same models over its own rules. Default:
        none."""
        mod = cls._proofs_module()
        return () if mod is None else tuple(mod.COUNTING_MODELS)

    def view(self, state) -> dict[str, Any]:
        """The state as named variables (for traces and reports)."""
        if attrs.has(type(state)):
            return {f.name: getattr(state, f.name) for f in attrs.fields(type(state))}
        return {"state": state}

    def describe(self, state) -> dict[str, Any]:
        """The state as a scenario's ``expect`` block compares it (default: :meth:`view`)."""
        return self.view(state)

    def __repr__(self) -> str:
        m = f" mutant={self.mutant_name}" if self.mutant_name else ""
        return f"<{type(self).__name__} {self.name}{m} {self.preset}>"


def _attempt(method, state, action) -> Any:
    """``method(state, action)``, or the :class:`Rejected` value it raised (not raised)."""
    try:
        return method(state, action)
    except Rejected as r:
        return r


#: action class -> the name of its ``process_<action>`` method (the dispatch of ``Machine.step``)
_PROCESSORS: dict[type, str] = {}


def snake_case(name: str) -> str:
    """``SignBitfield`` -> ``sign_bitfield``; ``ProcessUMP`` -> ``process_ump`` (the name of
    an action's ``process_`` method, and of its vector handler)."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    s = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", s)
    return s.lower()


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
