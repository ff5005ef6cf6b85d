"""Properties and mutants of the ``inclusion`` machine (spec/inclusion.md)."""

from __future__ import annotations

import attrs

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
from paraspec.model.thresholds import is_more_than_two_thirds

from .core import always, mutant, sometimes, transition

M = "inclusion"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


def _pending(s, para):
    return [c for c in s.cores if c is not None and c.para == para]


def _pending_counts(s, n):
    """How many candidates are pending availability for each of the paras 0..n-1."""
    counts = [0] * n
    for c in s.cores:
        if c is not None and 0 <= c.para < n:
            counts[c.para] += 1
    return counts


def _exits(s, t):
    """(para, outcome) for every candidate that left the pipeline in the step."""
    if t.exits is s.exits:  # unchanged (most steps share the tuple): nobody left
        return []
    return [(p, t.last_exit[p]) for p in range(len(s.paras)) if t.exits[p] != s.exits[p]]


def _left_chain(s, t, outcome):
    """Candidates (pending in ``s``) that left the chain with ``outcome`` in the step."""
    out = []
    for p, o in _exits(s, t):
        if o == outcome:
            out.extend(c for c in _pending(s, p) if c not in _pending(t, p))
    return out


# -- invariants -----------------------------------------------------------------------------


@always(M, ["INC-1"], witness=lambda m, s: any(c is not None for c in s.cores))
def type_ok(m, s):
    """Stages, votes and ages are in range; a pending candidate is on its para's core."""
    n = m.config.n_validators
    t = m.config.chain_availability_period
    for i, c in enumerate(s.cores):
        if c is not None and not (0 <= c.votes < (1 << n) and 0 <= c.age < t and m.core_of(c.para) == i):
            return False
    return 0 <= s.signed <= n and all(
        0 <= pp.statements < (1 << n) and (pp.stage != Stage.IDLE or pp.statements == 0) for pp in s.paras)


@always(M, ["INC-5", "INC-6"], witness=lambda m, s: all(c is not None for c in s.cores))
def one_pending_per_para(m, s):
    """Never two candidates pending availability for one para (nor, so, on one core)."""
    paras = [c.para for c in s.cores if c is not None]
    return len(paras) == len(set(paras))


@always(M, ["INC-1", "INC-2"], witness=lambda m, s: any(x == m.config.max_candidates for x in s.exits))
def every_candidate_accounted_for(m, s):
    """Each candidate produced is in exactly one place: in flight on the node side,
    pending availability on a core, or out of the pipeline with an outcome."""
    for p, pp in enumerate(s.paras):
        in_flight = 1 if pp.stage != Stage.IDLE else 0
        pending = _pending(s, p)
        if s.exits[p] + in_flight + len(pending) != pp.produced:
            return False
        if any(c.serial > pp.produced for c in pending):
            return False
    return True


# -- transition properties ----------------------------------------------------------------------


@transition(M, ["INC-7", "AV-6", "TH-2"], on=[Block], witness=lambda m, s, a, t: _accepted(t)
            and any(o == Outcome.INCLUDED for _, o in _exits(s, t)))
def enacted_only_above_two_thirds(m, s, a, t):
    """A candidate is enacted only with more than 2/3 of the validators' availability bits."""
    if not _accepted(t):
        return True
    n = m.config.n_validators
    for p, o in _exits(s, t):
        if o != Outcome.INCLUDED:
            continue
        gone = [c for c in _pending(s, p) if c not in _pending(t, p)]
        if not gone or not all(is_more_than_two_thirds(c.votes.bit_count(), n) for c in gone):
            return False
    return True


@transition(M, ["INC-2", "INC-8"], witness=lambda m, s, a, t: _accepted(t) and any(
    o == Outcome.TIMED_OUT for _, o in _exits(s, t)))
def exits_are_final(m, s, a, t):
    """Each exit in a step takes one candidate out of the pipeline: a candidate that
    left (timed out, say) is never counted out again (enacted later, say)."""
    if not _accepted(t):
        return True
    if t.paras is s.paras and t.exits is s.exits and t.cores is s.cores:
        return True  # nothing it reads changed (a disregarded bitfield): every difference is 0
    n = len(s.paras)
    pend_s, pend_t = _pending_counts(s, n), _pending_counts(t, n)
    for p in range(n):
        d = t.exits[p] - s.exits[p]
        before = (1 if s.paras[p].stage != Stage.IDLE else 0) + pend_s[p]
        produced = t.paras[p].produced - s.paras[p].produced
        after = (1 if t.paras[p].stage != Stage.IDLE else 0) + pend_t[p]
        if d < 0 or before + produced - after != d:
            return False
    return True


@transition(M, ["INC-8"], on=[Block], witness=lambda m, s, a, t: _accepted(t)
            and any(o == Outcome.TIMED_OUT for _, o in _exits(s, t)))
def timeout_after_availability_period(m, s, a, t):
    """A pending candidate times out exactly when it has had ``chain_availability_period``
    blocks of voting without becoming available."""
    if not _accepted(t):
        return True
    period = m.config.chain_availability_period
    return all(c.age + 1 == period for c in _left_chain(s, t, Outcome.TIMED_OUT))


@transition(M, ["INC-2"], on=[Drop], witness=lambda m, s, a, t: _accepted(t))
def failure_exit_matches_stage(m, s, a, t):
    """A candidate dropped before the chain leaves by the exit of its stage: not
    propagated (never seconded), not backed (seconded, not backable), not selected
    (backable, left out by block authors)."""
    if not _accepted(t):
        return True
    stage = s.paras[a.para].stage
    expected = {Stage.CANDIDATE: Outcome.NOT_PROPAGATED, Stage.SECONDED: Outcome.NOT_BACKED,
                Stage.BACKABLE: Outcome.NOT_SELECTED}[stage]
    return t.last_exit[a.para] == expected and t.exits[a.para] == s.exits[a.para] + 1


@transition(M, ["INC-4", "INC-5", "TH-4"], on=[Block], witness=lambda m, s, a, t: _accepted(t) and a.backed)
def backed_only_with_backing(m, s, a, t):
    """A candidate becomes pending availability only if its assigned group's valid
    statements meet the backing threshold."""
    if not _accepted(t):
        return True
    before = {(c.para, c.serial) for c in s.cores if c is not None}
    for c in t.cores:
        if c is None or (c.para, c.serial) in before:
            continue
        pp = s.paras[c.para]
        if pp.stage != Stage.BACKABLE or not m.is_backable(pp.statements, c.para):
            return False
    return True


@transition(M, ["INC-3"], on=[Second, Valid], witness=lambda m, s, a, t: a.validator not in m.group_of(a.para))
def statements_only_from_assigned_group(m, s, a, t):
    """A statement from a validator outside the para's assigned group is rejected."""
    if a.validator not in m.group_of(a.para):
        return not _accepted(t)
    return True


@transition(M, ["AV-3", "AV-4"], on=[SignBitfield], witness=lambda m, s, a, t: a.signer != a.validator)
def bitfield_checks_apply_to_cores(m, s, a, t):
    """The bitfield checks of ``process_bitfields`` apply on the inclusion path too: a
    forged bitfield is rejected."""
    return not (a.signer != a.validator and _accepted(t))


# -- reachability witnesses -------------------------------------------------------------------------


def _has(o):
    return lambda m, s: o in s.last_exit


for _o, _rules in ((Outcome.INCLUDED, ["INC-7"]), (Outcome.TIMED_OUT, ["INC-8"]),
                   (Outcome.NOT_PROPAGATED, ["INC-2"]), (Outcome.NOT_BACKED, ["INC-2"]),
                   (Outcome.NOT_SELECTED, ["INC-2"])):
    _fn = _has(_o)
    _fn.__name__ = f"some_candidate_{_o.name.lower()}"
    _fn.__doc__ = f"Some candidate leaves the pipeline as {_o.name.lower().replace('_', ' ')}."
    sometimes(M, _rules)(_fn)


@sometimes(M, ["INC-5", "INC-9"])
def core_freed_and_reoccupied_in_one_block(m, s):
    """A para has its first candidate included and the next one pending at once
    (availability is processed before backed candidates)."""
    return any(s.exits[p] == 1 and s.last_exit[p] == Outcome.INCLUDED and _pending(s, p)
               for p in range(len(s.paras)))


# -- mutants ----------------------------------------------------------------------------------------


@mutant(M, "inc_threshold_half", kills=["enacted_only_above_two_thirds"])
class ThresholdHalf(InclusionMachine):
    """Enactment with half of the availability bits."""

    def is_available(self, votes):
        return 2 * votes.bit_count() >= self.config.n_validators


@mutant(M, "inc_timeout_early", kills=["timeout_after_availability_period"])
class TimeoutEarly(InclusionMachine):
    """The availability timeout fires one block early."""

    def is_timed_out(self, age):
        return age + 1 >= self.config.chain_availability_period


@mutant(M, "inc_occupied_core_overwritten", kills=["every_candidate_accounted_for"])
class OccupiedCoreOverwritten(InclusionMachine):
    """A backed candidate is put on its core even when the core is still occupied:
    the pending candidate vanishes without an outcome."""

    def process_block(self, state, a):
        # pretend every core is free at scheduling time by clearing occupancy checks
        stripped = attrs.evolve(state, cores=tuple(None for _ in state.cores))
        after = super().process_block(stripped, a)
        # keep the old candidates where no new one landed
        cores = tuple(new if new is not None else self._aged(old)
                      for old, new in zip(state.cores, after.cores))
        return attrs.evolve(after, cores=cores)

    def _aged(self, c):
        return None if c is None else attrs.evolve(c, age=min(c.age + 1, self.config.chain_availability_period - 1))


@mutant(M, "inc_second_core", kills=["one_pending_per_para", "type_ok"])
class SecondCore(InclusionMachine):
    """A para's backed candidate may occupy any free core, not only its own, so a para
    with a candidate pending can get a second one."""

    def process_block(self, state, a):
        backed = a.backed
        try:
            return super().process_block(state, a)
        except Rejected as r:
            if r.rule_id != "INC-5":
                raise
        nxt = super().process_block(state, Block(0))
        cores = list(nxt.cores)
        paras = list(nxt.paras)
        for p in range(len(state.paras)):
            if (backed >> p) & 1 and state.paras[p].stage == Stage.BACKABLE:
                free = [i for i, c in enumerate(cores) if c is None]
                if not free:
                    raise Rejected("INC-5", "no free core")
                cores[free[0]] = PendingAvailability(p, state.paras[p].produced)
                paras[p] = ParaPipeline(Stage.IDLE, 0, state.paras[p].produced)
        return attrs.evolve(nxt, cores=tuple(cores), paras=tuple(paras))

    def core_of(self, para):
        return para


@mutant(M, "inc_timed_out_kept", kills=["exits_are_final"])
class TimedOutKept(InclusionMachine):
    """A timed-out candidate is counted out but left on its core, and enacted if its
    votes arrive later."""

    def process_block(self, state, a):
        nxt = super().process_block(state, a)
        cores = list(nxt.cores)
        for i, (old, new) in enumerate(zip(state.cores, nxt.cores)):
            if old is not None and new is None and self.is_timed_out(old.age + 1) and not self.is_available(old.votes):
                cores[i] = attrs.evolve(old, age=0)
        return attrs.evolve(nxt, cores=tuple(cores))


@mutant(M, "inc_no_backing_check", kills=["backed_only_with_backing"])
class NoBackingCheck(InclusionMachine):
    """``process_candidates`` does not check the backing: a seconded candidate is accepted."""

    def process_block(self, state, a):
        paras = tuple(attrs.evolve(pp, stage=Stage.BACKABLE) if pp.stage == Stage.SECONDED and (a.backed >> p) & 1
                      else pp for p, pp in enumerate(state.paras))
        return super().process_block(attrs.evolve(state, paras=paras), a)


@mutant(M, "inc_any_validator_backs", kills=["statements_only_from_assigned_group"])
class AnyValidatorBacks(InclusionMachine):
    """Statements are accepted from validators outside the assigned group."""

    def check_statement(self, state, para, validator):
        return None


@mutant(M, "inc_wrong_exit", kills=["failure_exit_matches_stage"])
class WrongExit(InclusionMachine):
    """Every candidate dropped before the chain is recorded as not selected."""

    def process_drop(self, state, a):
        para = a.para
        nxt = super().process_drop(state, a)
        last = nxt.last_exit[:para] + (int(Outcome.NOT_SELECTED),) + nxt.last_exit[para + 1:]
        return attrs.evolve(nxt, last_exit=last)


@mutant(M, "inc_no_signature_check", kills=["bitfield_checks_apply_to_cores"])
class IncNoSignatureCheck(InclusionMachine):
    """The inclusion path skips the signature check of bitfields."""

    def process_sign_bitfield(self, state, bf):
        return super().process_sign_bitfield(state, SignBitfield(bf.validator, bf.bits, bf.length, bf.validator))
