"""Properties and mutants of the ``inclusion`` machine (spec/inclusion.md)."""

from __future__ import annotations

from paraspec.model.availability import SignBitfield
from paraspec.model.core import Rejected
from paraspec.model.inclusion import (
    Block,
    Drop,
    InclusionMachine,
    Outcome,
    ParaPipeline,
    PendingAvailability,
    Second,
    Stage,
    Valid,
)
from paraspec.model.logic import And, Not, Or, is_present, ite, min_, opt_ite, opt_map, popcount
from paraspec.model.thresholds import is_more_than_two_thirds

from .core import always, mutant, sometimes, transition, vectorized

M = "inclusion"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


# Every predicate is field arithmetic with the helpers of ``model.logic`` (marked ``@vectorized``): it
# runs on one state and on a frontier of states held as numpy arrays (an optional core as a
# ``logic.OptionalBatch``), so both engines check the same text. A transition property also sees
# rejected inputs (``t`` is then a Rejected value naming the rule, on either engine).


def _cores(s):
    """(core index, core) of the cores that may hold a candidate (on one state, the occupied ones)."""
    return [(i, c) for i, c in enumerate(s.cores) if c is not None]


def _holds(c, para):
    """Core ``c`` holds a candidate of ``para``."""
    return And(is_present(c), c.para == para)


def _n_pending(s, para):
    """How many candidates of ``para`` are pending availability."""
    n = 0
    for _, c in _cores(s):
        n = n + ite(_holds(c, para), 1, 0)
    return n


def _same(c, d):
    """The pending candidate ``c`` is still pending, unchanged, as ``d``."""
    if d is None:
        return False
    return And(is_present(d), c.para == d.para, c.serial == d.serial, c.votes == d.votes, c.age == d.age)


def _gone(s, t, para):
    """Per core of ``s``: (its candidate, whether it is one of ``para``'s that is not pending in ``t``)."""
    return [(c, And(_holds(c, para), Not(Or(*[_same(c, d) for d in t.cores])))) for _, c in _cores(s)]


def _left(s, t, para, outcome):
    """``para``'s last candidate left the pipeline in the step, with ``outcome``."""
    return And(t.exits[para] != s.exits[para], t.last_exit[para] == outcome)


def _in_flight(pp):
    return ite(pp.stage != Stage.IDLE, 1, 0)


# -- invariants -----------------------------------------------------------------------------


@vectorized
def _some_pending(m, s):
    return Or(*[is_present(c) for _, c in _cores(s)])


@always(M, ["INC-1"], witness=_some_pending)
@vectorized
def type_ok(m, s):
    """Stages, votes and ages are in range; a pending candidate is on its para's core."""
    n = m.config.n_validators
    t = m.config.chain_availability_period
    return And(0 <= s.signed, s.signed <= n,
               *[Or(Not(is_present(c)), And(0 <= c.votes, c.votes < (1 << n), 0 <= c.age, c.age < t,
                                             m.core_of(c.para) == i)) for i, c in _cores(s)],
               *[And(0 <= pp.statements, pp.statements < (1 << n), Or(pp.stage != Stage.IDLE, pp.statements == 0))
                 for pp in s.paras])


@vectorized
def _all_pending(m, s):
    return And(*[is_present(c) for c in s.cores]) if all(c is not None for c in s.cores) else False


@always(M, ["INC-5", "INC-6"], witness=_all_pending)
@vectorized
def one_pending_per_para(m, s):
    """Never two candidates pending availability for one para (nor, so, on one core)."""
    cs = _cores(s)
    return And(*[Not(And(is_present(c), is_present(d), c.para == d.para))
                 for k, (_, c) in enumerate(cs) for _, d in cs[k + 1:]])


@vectorized
def _some_para_done(m, s):
    return Or(*[x == m.config.max_candidates for x in s.exits])


@always(M, ["INC-1", "INC-2"], witness=_some_para_done)
@vectorized
def every_candidate_accounted_for(m, s):
    """Each candidate produced is in exactly one place: in flight on the node side,
    pending availability on a core, or out of the pipeline with an outcome."""
    return And(*[And(s.exits[p] + _in_flight(pp) + _n_pending(s, p) == pp.produced,
                     *[Or(Not(_holds(c, p)), c.serial <= pp.produced) for _, c in _cores(s)])
                 for p, pp in enumerate(s.paras)])


# -- transition properties ----------------------------------------------------------------------


@vectorized
def _some_included(m, s, a, t):
    return _accepted(t) and Or(*[_left(s, t, p, Outcome.INCLUDED) for p in range(len(s.paras))])


@transition(M, ["INC-7", "AV-6", "TH-2"], on=[Block], witness=_some_included)
@vectorized
def enacted_only_above_two_thirds(m, s, a, t):
    """A candidate is enacted only with more than 2/3 of the validators' availability bits."""
    if not _accepted(t):
        return True
    n = m.config.n_validators
    out = []
    for p in range(len(s.paras)):
        gone = _gone(s, t, p)
        out.append(Or(Not(_left(s, t, p, Outcome.INCLUDED)),
                      And(Or(*[g for _, g in gone]),
                          *[Or(Not(g), is_more_than_two_thirds(popcount(c.votes), n)) for c, g in gone])))
    return And(*out)


@vectorized
def _some_timed_out(m, s, a, t):
    return _accepted(t) and Or(*[_left(s, t, p, Outcome.TIMED_OUT) for p in range(len(s.paras))])


@transition(M, ["INC-2", "INC-8"], witness=_some_timed_out)
@vectorized
def exits_are_final(m, s, a, t):
    """Each exit in a step takes one candidate out of the pipeline: a candidate that
    left (timed out, say) is never counted out again (enacted later, say)."""
    if not _accepted(t):
        return True
    if t.paras is s.paras and t.exits is s.exits and t.cores is s.cores:
        return True  # nothing it reads changed (a disregarded bitfield): every difference is 0
    out = []
    for p in range(len(s.paras)):
        d = t.exits[p] - s.exits[p]
        before = _in_flight(s.paras[p]) + _n_pending(s, p)
        produced = t.paras[p].produced - s.paras[p].produced
        after = _in_flight(t.paras[p]) + _n_pending(t, p)
        out.append(And(d >= 0, before + produced - after == d))
    return And(*out)


@transition(M, ["INC-8"], on=[Block], witness=_some_timed_out)
@vectorized
def timeout_after_availability_period(m, s, a, t):
    """A pending candidate times out exactly when it has had ``chain_availability_period``
    blocks of voting without becoming available."""
    if not _accepted(t):
        return True
    period = m.config.chain_availability_period
    return And(*[Or(Not(And(_left(s, t, p, Outcome.TIMED_OUT), g)), c.age + 1 == period)
                 for p in range(len(s.paras)) for c, g in _gone(s, t, p)])


@vectorized
def _accepted_witness(m, s, a, t):
    return _accepted(t)


@transition(M, ["INC-2"], on=[Drop], witness=_accepted_witness)
@vectorized
def failure_exit_matches_stage(m, s, a, t):
    """A candidate dropped before the chain leaves by the exit of its stage: not
    propagated (never seconded), not backed (seconded, not backable), not selected
    (backable, left out by block authors)."""
    if not _accepted(t):
        return True
    stage = s.paras[a.para].stage
    expected = ite(stage == Stage.CANDIDATE, int(Outcome.NOT_PROPAGATED),
                   ite(stage == Stage.SECONDED, int(Outcome.NOT_BACKED), int(Outcome.NOT_SELECTED)))
    return And(t.last_exit[a.para] == expected, t.exits[a.para] == s.exits[a.para] + 1)


@vectorized
def _some_backed(m, s, a, t):
    return _accepted(t) and a.backed != 0


@transition(M, ["INC-4", "INC-5", "TH-4"], on=[Block], witness=_some_backed)
@vectorized
def backed_only_with_backing(m, s, a, t):
    """A candidate becomes pending availability only if its assigned group's valid
    statements meet the backing threshold."""
    if not _accepted(t):
        return True
    out = []
    for _, d in _cores(t):
        new = And(is_present(d), Not(Or(*[And(is_present(c), c.para == d.para, c.serial == d.serial)
                                           for _, c in _cores(s)])))
        for p, pp in enumerate(s.paras):
            out.append(Or(Not(And(new, d.para == p)),
                          And(pp.stage == Stage.BACKABLE, m.is_backable(pp.statements, p))))
    return And(*out)


@vectorized
def _outsider_statement(m, s, a, t):
    return a.validator not in m.group_of(a.para)


@transition(M, ["INC-3"], on=[Second, Valid], witness=_outsider_statement)
@vectorized
def statements_only_from_assigned_group(m, s, a, t):
    """A statement from a validator outside the para's assigned group is rejected."""
    if a.validator not in m.group_of(a.para):
        return not _accepted(t)
    return True


@vectorized
def _forged(m, s, a, t):
    return a.signer != a.validator


@transition(M, ["AV-3", "AV-4"], on=[SignBitfield], witness=_forged)
@vectorized
def bitfield_checks_apply_to_cores(m, s, a, t):
    """The bitfield checks of ``process_bitfields`` apply on the inclusion path too: a
    forged bitfield is rejected."""
    return not (a.signer != a.validator and _accepted(t))


# -- reachability witnesses -------------------------------------------------------------------------


def _has(o):
    return vectorized(lambda m, s: Or(*[x == int(o) for x in s.last_exit]))


for _o, _rules in ((Outcome.INCLUDED, ["INC-7"]), (Outcome.TIMED_OUT, ["INC-8"]),
                   (Outcome.NOT_PROPAGATED, ["INC-2"]), (Outcome.NOT_BACKED, ["INC-2"]),
                   (Outcome.NOT_SELECTED, ["INC-2"])):
    _fn = _has(_o)
    _fn.__name__ = f"some_candidate_{_o.name.lower()}"
    _fn.__doc__ = f"Some candidate leaves the pipeline as {_o.name.lower().replace('_', ' ')}."
    sometimes(M, _rules)(_fn)


@sometimes(M, ["INC-5", "INC-9"])
@vectorized
def core_freed_and_reoccupied_in_one_block(m, s):
    """A para has its first candidate included and the next one pending at once
    (availability is processed before backed candidates)."""
    return Or(*[And(s.exits[p] == 1, s.last_exit[p] == int(Outcome.INCLUDED), _n_pending(s, p) > 0)
                for p in range(len(s.paras))])


# -- mutants ----------------------------------------------------------------------------------------
# Each overrides a rule method of the machine with dual-use text too, so every engine runs it.


@mutant(M, "inc_threshold_half", kills=["enacted_only_above_two_thirds"])
class ThresholdHalf(InclusionMachine):
    """Enactment with half of the availability bits."""

    def is_available(self, votes):
        return 2 * popcount(votes) >= self.config.n_validators


@mutant(M, "inc_timeout_early", kills=["timeout_after_availability_period"])
class TimeoutEarly(InclusionMachine):
    """The availability timeout fires one block early."""

    def is_timed_out(self, age):
        return age + 1 >= self.config.chain_availability_period


def _without_cores(state):
    return state.__class__(state.paras, (None,) * len(state.cores), state.signed, state.exits, state.last_exit)


@mutant(M, "inc_occupied_core_overwritten", kills=["every_candidate_accounted_for"])
class OccupiedCoreOverwritten(InclusionMachine):
    """A backed candidate is put on its core even when the core is still occupied:
    the pending candidate vanishes without an outcome."""

    def rule_guards(self, state, a):
        # pretend every core is free at scheduling time by clearing occupancy checks
        return super().rule_guards(_without_cores(state) if isinstance(a, Block) else state, a)

    def process_block(self, state, a):
        after = super().process_block(_without_cores(state), a)
        # keep the old candidates where no new one landed
        cores = tuple(opt_ite(is_present(new), new, opt_map(old, self._aged))
                      for old, new in zip(state.cores, after.cores))
        return after.__class__(after.paras, cores, after.signed, after.exits, after.last_exit)

    def _aged(self, c):
        return PendingAvailability(c.para, c.serial, c.votes, min_(c.age + 1, self.config.chain_availability_period - 1))


@mutant(M, "inc_second_core", kills=["one_pending_per_para", "type_ok"])
class SecondCore(InclusionMachine):
    """A para's backed candidate may occupy any free core, not only its own, so a para
    with a candidate pending can get a second one."""

    # its own core when it is free, else the first free one

    def _targets(self, cores, a):
        """Per backed para, the core its candidate occupies (-1: none is free)."""
        free = [Not(is_present(c)) for c in cores]
        targets = {}
        for p in range(len(cores)):
            if not (a.backed >> p) & 1:
                continue
            first = -1
            for i in reversed(range(len(cores))):
                first = ite(free[i], i, first)
            own = self.core_of(p)
            target = ite(free[own], own, first)
            targets[p] = target
            free = [And(f, target != i) for i, f in enumerate(free)]
        return targets

    def rule_guards(self, state, a):
        if not isinstance(a, Block):
            yield from super().rule_guards(state, a)
            return
        yield 0 <= a.backed < (1 << len(state.paras)), "INC-5", f"backed mask {a.backed} names no para"
        targets = self._targets(self.settle(state)[0], a)
        for p, target in targets.items():
            yield self.may_back(state.paras[p], p), "INC-4", f"para {p}'s candidate lacks backing"
            yield target >= 0, "INC-5", "no free core"

    def process_block(self, state, a):
        cores, exits, last = self.settle(state)
        paras = list(state.paras)
        for p, target in self._targets(cores, a).items():
            pp = paras[p]
            new = PendingAvailability(p, pp.produced)
            cores = [opt_ite(target == i, new, c) for i, c in enumerate(cores)]
            paras[p] = ParaPipeline(Stage.IDLE, 0, pp.produced)
        return state.__class__(tuple(paras), tuple(cores), 0, tuple(exits), tuple(last))


@mutant(M, "inc_timed_out_kept", kills=["exits_are_final"])
class TimedOutKept(InclusionMachine):
    """A timed-out candidate is counted out but left on its core, and enacted if its
    votes arrive later."""

    def process_block(self, state, a):
        nxt = super().process_block(state, a)
        cores = []
        for old, new in zip(state.cores, nxt.cores):
            if old is not None:
                kept = And(is_present(old), Not(is_present(new)), self.is_timed_out(old.age + 1),
                           Not(self.is_available(old.votes)))
                new = opt_ite(kept, opt_map(old, lambda c: PendingAvailability(c.para, c.serial, c.votes, 0)), new)
            cores.append(new)
        return nxt.__class__(nxt.paras, tuple(cores), nxt.signed, nxt.exits, nxt.last_exit)


@mutant(M, "inc_no_backing_check", kills=["backed_only_with_backing"])
class NoBackingCheck(InclusionMachine):
    """``process_candidates`` does not check the backing: a seconded candidate is accepted."""

    def may_back(self, pp, para):
        return Or(pp.stage == Stage.SECONDED, pp.stage == Stage.BACKABLE)


@mutant(M, "inc_any_validator_backs", kills=["statements_only_from_assigned_group"])
class AnyValidatorBacks(InclusionMachine):
    """Statements are accepted from validators outside the assigned group."""

    def statement_guards(self, state, para, validator):
        return []


@mutant(M, "inc_wrong_exit", kills=["failure_exit_matches_stage"])
class WrongExit(InclusionMachine):
    """Every candidate dropped before the chain is recorded as not selected."""

    def process_drop(self, state, a):
        para = a.para
        nxt = super().process_drop(state, a)
        last = nxt.last_exit[:para] + (int(Outcome.NOT_SELECTED),) + nxt.last_exit[para + 1:]
        return nxt.__class__(nxt.paras, nxt.cores, nxt.signed, nxt.exits, last)


@mutant(M, "inc_no_signature_check", kills=["bitfield_checks_apply_to_cores"])
class IncNoSignatureCheck(InclusionMachine):
    """The inclusion path skips the signature check of bitfields."""

    def bitfield_guards(self, state, bf):
        return super().bitfield_guards(state, SignBitfield(bf.validator, bf.bits, bf.length, bf.validator))
