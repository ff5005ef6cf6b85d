"""The availability core: the benchmark twin of the availability/inclusion spine.

Rules AC-1 .. AC-6 of ``spec/avail_core.md``. ``n`` validators and ``k`` availability
cores (``n_validators`` and ``n_cores`` of its parameters). Each core is free, or
holds a backed candidate with an ``n``-bit availability vote mask and an age. A
``Tick`` (the end of a relay-chain block) enacts a candidate with more than 2/3 of the
votes or, once it has aged ``timeout`` blocks, times it out; each core counts its
enactments and timeouts, saturating at ``cap``. These are exactly the state variables
of the SPIN and Quint twins in ``benchmarks/`` (and of the peer model of
``benchmarks/README.md``), so the three tools must agree on the number of distinct states:
194,481 at n = 4, 762,129 at n = 5 and 3,017,169 at n = 6 with two cores.

The rules are written as field arithmetic with the helpers of :mod:`model.logic`
(``ite``, ``And``, ``popcount``, ``min_``), so the same methods run on one state
(``int`` fields: the interpreter and the explicit engine) and on a whole frontier of
states at once (numpy arrays: ``checker.vector``). Each action has *guards* (the
rules that may reject it) and an *effect* (its ``process_<input>`` method);
:meth:`AvailCoreMachine.step` checks the guards then applies the effect, and the
vectorized engine evaluates both on arrays.

The machine declares its symmetry (validators are interchangeable, and so are
cores), its compact encoding (a bit layout of its fields) and the fairness of its
liveness properties (weak fairness of ``Tick``); each is optional for a machine.
"""

from __future__ import annotations

from typing import Any

import attrs

from .config import ConfigError
from .readings import check_reading
from .core import Machine, Rejected, register_machine, require
from .logic import And, Not, Or, ite, min_, popcount
from .rules import implements
from .symmetry import Symmetry
from .thresholds import is_more_than_two_thirds

__all__ = ["AvailCoreConfig", "AVAIL_CORE_PRESETS", "CoreState", "Back", "Vote", "Tick", "AvailCoreMachine"]


@attrs.frozen
class AvailCoreConfig:
    """Parameters of the ``avail_core`` machine; the named sets are :data:`AVAIL_CORE_PRESETS`."""

    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    n_validators: int = 4
    n_cores: int = 2
    #: blocks of voting after which a candidate that is not available times out
    timeout: int = 3
    #: enactment and timeout counters saturate here (keeps the space finite)
    cap: int = 2

    def validate(self) -> "AvailCoreConfig":
        for name in ("n_validators", "n_cores", "timeout", "cap"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(name, "CFG-1", f"must be a positive integer, got {v!r}")
        check_reading(self)
        return self


#: The presets: the validators and cores of the host presets of the same name
#: (``model.config``), the peer models' timeout and cap.
AVAIL_CORE_PRESETS: dict[str, AvailCoreConfig] = {
    p.name: p.validate()
    for p in (
        AvailCoreConfig(name="tiny", n_validators=4, n_cores=2),
        AvailCoreConfig(name="trio", n_validators=3, n_cores=2),
        AvailCoreConfig(name="small", n_validators=5, n_cores=2),
    )
}


@attrs.frozen(cache_hash=True)
class CoreState:
    """Per core (tuples indexed by core): free (0) or occupied (1); the candidate's
    availability votes (one bit per validator); its age in blocks; the saturating
    counts of candidates enacted and timed out on the core."""

    occupied: tuple[Any, ...]
    votes: tuple[Any, ...]
    age: tuple[Any, ...]
    enacted: tuple[Any, ...]
    timed_out: tuple[Any, ...]


@attrs.frozen
class Back:
    """A backed candidate is put on the free core ``core``."""

    core: int


@attrs.frozen
class Vote:
    """Validator ``validator`` sets its availability bit for the candidate on ``core``."""

    core: int
    validator: int


@attrs.frozen
class Tick:
    """The relay-chain block ends: enact, time out or age every occupied core."""


def _reasons(a) -> tuple[str, ...]:
    """The rejection reasons of a ``Back`` (one) or a ``Vote`` (two)."""
    if isinstance(a, Back):
        return (f"core {a.core} is occupied",)
    return (f"core {a.core} holds no candidate",
            f"validator {a.validator} already voted for the candidate on core {a.core}")


def _put(xs: tuple, i: int, v: Any) -> tuple:
    return xs[:i] + (v,) + xs[i + 1:]


@register_machine
class AvailCoreMachine(Machine):
    """Availability cores with vote masks, enactment at > 2/3 and timeouts."""

    name = "avail_core"
    area = "avail_core"
    description = "benchmark twin: cores with vote masks, > 2/3 enactment, timeout, capped counters"
    #: liveness: weak fairness of these action classes (``checker.liveness``)
    fairness = (Tick,)
    #: the vectorized engine (``checker.vector``) may run this machine
    vectorized = True

    Params = AvailCoreConfig
    presets = AVAIL_CORE_PRESETS

    def __init__(self, params):
        super().__init__(params)
        p = self.params
        self.symmetry = Symmetry(
            validator_masks=("votes",), n_validators=p.n_validators,
            para_fields=("occupied", "votes", "age", "enacted", "timed_out"), n_paras=p.n_cores,
            validator_args=((Vote, "validator"),), para_args=((Back, "core"), (Vote, "core")),
        )
        self._actions = self.action_space()
        #: id of an action of ``_actions`` -> its guards' rejection reasons, formatted once (the
        #: search passes these objects; another action's reasons are formatted when asked)
        self._why = {id(a): _reasons(a) for a in self._actions if not isinstance(a, Tick)}

    # -- compact encoding ---------------------------------------------------------------
    def layout(self) -> tuple[tuple[str, int], ...]:
        """Bits per element of each per-core field (``checker.packing``)."""
        p = self.params
        return (("occupied", 1), ("votes", p.n_validators), ("age", max(1, (p.timeout - 1).bit_length())),
                ("enacted", p.cap.bit_length()), ("timed_out", p.cap.bit_length()))

    state_class = CoreState

    # -- rules (methods, so a mutant overrides one) ---------------------------------------
    @implements("AC-3", "TH-2")
    def is_available(self, votes):
        """AC-3: more than 2/3 of the validators voted (TH-2)."""
        return is_more_than_two_thirds(popcount(votes), self.params.n_validators)

    @implements("AC-4")
    def is_timed_out(self, age):
        """AC-4: the candidate has aged ``timeout`` blocks."""
        return age >= self.params.timeout

    @implements("AC-6")
    def count(self, counter):
        """AC-6: a saturating counter."""
        return min_(counter + 1, self.params.cap)

    @implements("AC-2")
    def has_voted(self, votes, validator):
        """AC-2: the validator's bit is already set."""
        return (votes >> validator) & 1 == 1

    # -- guards and effects ---------------------------------------------------------------
    def guards(self, s: CoreState, a) -> list[tuple[Any, str, str]]:
        """The conditions an action needs, each with the rule that rejects it otherwise."""
        if isinstance(a, Back):
            why = self._why.get(id(a)) or _reasons(a)
            return [(s.occupied[a.core] == 0, "AC-1", why[0])]
        if isinstance(a, Vote):
            why = self._why.get(id(a)) or _reasons(a)
            return [(s.occupied[a.core] == 1, "AC-2", why[0]),
                    (Not(self.has_voted(s.votes[a.core], a.validator)), "AC-2", why[1])]
        return []

    def effect(self, s: CoreState, a) -> CoreState:
        """The next state of an input its guards accept: its ``process_<input>`` (the
        dispatch of :meth:`Machine.step`), on one state or on a whole frontier."""
        return super().step(s, a)

    @implements("AC-1")
    def process_back(self, s: CoreState, a: Back) -> CoreState:
        """AC-1: the candidate starts with no votes at age 0."""
        c = a.core
        # the constructor, not ``attrs.evolve`` (the explicit search's hot path); same fields
        return CoreState(_put(s.occupied, c, 1), _put(s.votes, c, 0), _put(s.age, c, 0), s.enacted, s.timed_out)

    @implements("AC-2")
    def process_vote(self, s: CoreState, a: Vote) -> CoreState:
        """AC-2: the validator's bit is set."""
        c, v = a.core, a.validator
        return CoreState(s.occupied, _put(s.votes, c, s.votes[c] | (1 << v)), s.age, s.enacted, s.timed_out)

    @implements("AC-3", "AC-6")
    def process_tick(self, s: CoreState, a: Tick) -> CoreState:
        """AC-3 .. AC-6 for every core."""
        occ, votes, age, en, to = [], [], [], [], []
        for c in range(self.params.n_cores):
            live = s.occupied[c] == 1
            older = s.age[c] + 1
            enact = And(live, self.is_available(s.votes[c]))
            drop = And(live, Not(enact), self.is_timed_out(older))
            freed = Or(enact, drop)
            occ.append(ite(freed, 0, s.occupied[c]))
            votes.append(ite(freed, 0, s.votes[c]))
            age.append(ite(freed, 0, ite(live, older, s.age[c])))
            en.append(ite(enact, self.count(s.enacted[c]), s.enacted[c]))
            to.append(ite(drop, self.count(s.timed_out[c]), s.timed_out[c]))
        return CoreState(tuple(occ), tuple(votes), tuple(age), tuple(en), tuple(to))

    # -- machine --------------------------------------------------------------------------
    def action_space(self) -> tuple:
        """Every action, in the order ``actions`` yields them (the same in every state)."""
        p = self.params
        acts: list[Any] = [Back(c) for c in range(p.n_cores)]
        acts += [Vote(c, v) for c in range(p.n_cores) for v in range(p.n_validators)]
        acts.append(Tick())
        return tuple(acts)

    def init(self):
        z = (0,) * self.params.n_cores
        yield CoreState(z, z, z, z, z)

    def actions(self, state):
        return self._actions

    def successors(self, state):
        """``(index, action, next state or Rejected)`` of every action: :meth:`step` (the
        guards, then the effect) with a rejection returned as a value, not raised and caught
        (the explicit engine's hot path; ``tests/test_engine_hot_paths.py`` checks it against
        ``try_step``). A subclass that overrides ``step`` gets the default."""
        if type(self).step is not AvailCoreMachine.step:
            yield from super().successors(state)
            return
        guards, effect = self.guards, self.effect
        for i, a in enumerate(self.actions(state)):
            for cond, rule, reason in guards(state, a):
                if not cond:
                    yield i, a, Rejected(rule, reason)
                    break
            else:
                yield i, a, effect(state, a)

    def step(self, state: CoreState, action) -> CoreState:
        """The guards, then the effect. They stay apart (no ``require`` inside the
        ``process_<input>`` methods) because the vectorized engine evaluates the guards as
        masks over a whole frontier, where ``require`` cannot branch, and applies the
        effect to the states that pass."""
        for cond, rule, reason in self.guards(state, action):
            require(cond, rule, reason)
        return self.effect(state, action)
