"""Properties and mutants of the ``avail_core`` machine (spec/avail_core.md).

Every predicate is field arithmetic with the helpers of :mod:`model.logic`, marked
``@vectorized``: it evaluates on one state (ints) and on a frontier of states
(numpy arrays) alike, so the vectorized engine checks them without leaving numpy.
"""

from __future__ import annotations

from paraspec.model.avail_core import AvailCoreMachine, Back, Tick, Vote
from paraspec.model.core import Rejected
from paraspec.model.logic import And, Implies, Not, Or, ite, popcount
from paraspec.model.thresholds import is_more_than_two_thirds

from .core import always, leads_to, mutant, sometimes, transition, vectorized

M = "avail_core"


def _cores(m):
    return range(m.params.n_cores)


def _all(m, f):
    vals = []
    for c in range(m.params.n_cores):
        v = f(c)
        if v is False:  # a plain False decides (an array or a Z3 term never is ``False``)
            return False
        vals.append(v)
    return And(*vals)


def _any(m, f):
    vals = []
    for c in range(m.params.n_cores):
        v = f(c)
        if v is True:  # a plain True decides
            return True
        vals.append(v)
    return Or(*vals)


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


# -- invariants ---------------------------------------------------------------------------


@vectorized
def _some_vote(m, s):
    return _any(m, lambda c: s.votes[c] != 0)


@always(M, ["AC-1", "AC-5", "AC-6"], witness=_some_vote)
@vectorized
def type_ok(m, s):
    """Occupancy is 0 or 1; a free core has no votes and age 0; votes name existing
    validators; counters stay within the cap."""
    p = m.params
    return _all(m, lambda c: And(
        Or(s.occupied[c] == 0, s.occupied[c] == 1),
        Implies(s.occupied[c] == 0, And(s.votes[c] == 0, s.age[c] == 0)),
        s.votes[c] >= 0, s.votes[c] < (1 << p.n_validators),
        s.enacted[c] >= 0, s.enacted[c] <= p.cap, s.timed_out[c] >= 0, s.timed_out[c] <= p.cap))


@vectorized
def _oldest(m, s):
    return _any(m, lambda c: And(s.occupied[c] == 1, s.age[c] == m.params.timeout - 1))


@always(M, ["AC-4"], witness=_oldest)
@vectorized
def no_candidate_past_timeout(m, s):
    """A candidate never stays on its core for ``timeout`` blocks."""
    return _all(m, lambda c: s.age[c] < m.params.timeout)


# -- transition properties ----------------------------------------------------------------------


@vectorized
def _enacts(m, s, a, t):
    return _accepted(t) and _any(m, lambda c: t.enacted[c] != s.enacted[c])


@transition(M, ["AC-3", "TH-2"], on=[Tick], witness=_enacts)
@vectorized
def enacted_only_above_two_thirds(m, s, a, t):
    """A core counts an enactment only for a candidate with more than 2/3 of the votes."""
    n = m.params.n_validators
    return _all(m, lambda c: Implies(t.enacted[c] != s.enacted[c], And(
        s.occupied[c] == 1, is_more_than_two_thirds(popcount(s.votes[c]), n))))


@vectorized
def _supermajority(m, s, a, t):
    n = m.params.n_validators
    return _any(m, lambda c: And(s.occupied[c] == 1, is_more_than_two_thirds(popcount(s.votes[c]), n)))


@transition(M, ["AC-3", "AC-6"], on=[Tick], witness=_supermajority)
@vectorized
def supermajority_enacted_at_tick(m, s, a, t):
    """A candidate with more than 2/3 of the votes is enacted at the end of the block:
    its core is freed and counts one more enactment (up to the cap)."""
    n, cap = m.params.n_validators, m.params.cap
    return _all(m, lambda c: Implies(
        And(s.occupied[c] == 1, is_more_than_two_thirds(popcount(s.votes[c]), n)),
        And(t.occupied[c] == 0, t.enacted[c] == ite(s.enacted[c] < cap, s.enacted[c] + 1, cap),
            t.timed_out[c] == s.timed_out[c])))


@vectorized
def _times_out(m, s, a, t):
    return _accepted(t) and _any(m, lambda c: t.timed_out[c] != s.timed_out[c])


@transition(M, ["AC-4"], on=[Tick], witness=_times_out)
@vectorized
def timeout_exactly_at_period(m, s, a, t):
    """A core counts a timeout only for a candidate without a 2/3 majority that has
    aged exactly ``timeout`` blocks."""
    n = m.params.n_validators
    return _all(m, lambda c: Implies(t.timed_out[c] != s.timed_out[c], And(
        s.occupied[c] == 1, Not(is_more_than_two_thirds(popcount(s.votes[c]), n)),
        s.age[c] + 1 == m.params.timeout)))


@vectorized
def _keeps(m, s, a, t):
    return _accepted(t) and _any(m, lambda c: And(s.occupied[c] == 1, t.occupied[c] == 1))


@transition(M, ["AC-5"], on=[Tick], witness=_keeps)
@vectorized
def undecided_candidate_ages(m, s, a, t):
    """At the end of a block a candidate that stays keeps its votes and ages by one;
    a free core stays free."""
    return _all(m, lambda c: And(
        Implies(And(s.occupied[c] == 1, t.occupied[c] == 1),
                And(t.votes[c] == s.votes[c], t.age[c] == s.age[c] + 1)),
        Implies(s.occupied[c] == 0, t.occupied[c] == 0)))


@vectorized
def _counter_moves(m, s, a, t):
    return _accepted(t) and _any(m, lambda c: Or(t.enacted[c] != s.enacted[c], t.timed_out[c] != s.timed_out[c]))


@transition(M, ["AC-6"], on=[Tick], witness=_counter_moves)
@vectorized
def counters_never_decrease(m, s, a, t):
    """Enactment and timeout counters only grow (until they saturate)."""
    return _all(m, lambda c: And(t.enacted[c] >= s.enacted[c], t.timed_out[c] >= s.timed_out[c]))


@vectorized
def _accepted_vote(m, s, a, t):
    return _accepted(t)


@transition(M, ["AC-2"], on=[Vote], witness=_accepted_vote)
@vectorized
def vote_counts_once(m, s, a, t):
    """An accepted vote is for an occupied core, from a validator that had not voted,
    and adds exactly its bit."""
    if not _accepted(t):
        return True
    c, v = a.core, a.validator
    return And(s.occupied[c] == 1, (s.votes[c] >> v) & 1 == 0, t.votes[c] == s.votes[c] | (1 << v),
               popcount(t.votes[c]) == popcount(s.votes[c]) + 1)


@vectorized
def _accepted_back(m, s, a, t):
    return _accepted(t)


@transition(M, ["AC-1"], on=[Back], witness=_accepted_back)
@vectorized
def back_only_onto_free_core(m, s, a, t):
    """A candidate is backed only onto a free core, and starts with no votes at age 0."""
    if not _accepted(t):
        return True
    c = a.core
    return And(s.occupied[c] == 0, t.occupied[c] == 1, t.votes[c] == 0, t.age[c] == 0)


# -- reachability witnesses -----------------------------------------------------------------------


@sometimes(M, ["AC-3"])
@vectorized
def some_candidate_enacted(m, s):
    """Some core has enacted a candidate."""
    return _any(m, lambda c: s.enacted[c] > 0)


@sometimes(M, ["AC-4"])
@vectorized
def some_candidate_timed_out(m, s):
    """Some core has timed a candidate out."""
    return _any(m, lambda c: s.timed_out[c] > 0)


@sometimes(M, ["AC-6"])
@vectorized
def counters_saturated(m, s):
    """Every counter of every core has reached the cap."""
    cap = m.params.cap
    return _all(m, lambda c: And(s.enacted[c] == cap, s.timed_out[c] == cap))


# -- liveness ----------------------------------------------------------------------------------------


def _core_keys(m):
    return list(_cores(m))


@vectorized
def _core_free(m, s, c):
    return s.occupied[c] == 0


@leads_to(M, ["AC-7", "AC-3", "AC-4"], goal=_core_free, over=_core_keys)
@vectorized
def backed_candidate_leaves_core(m, s, c):
    """Every candidate backed onto a core is eventually enacted or timed out (the core
    is freed), under weak fairness of the end of block."""
    return s.occupied[c] == 1


# -- mutants -----------------------------------------------------------------------------------------


@mutant(M, "ac_threshold_ge", kills=["enacted_only_above_two_thirds"], preset="trio")
class ThresholdGe(AvailCoreMachine):
    """Enactment at 2/3 of the votes or more (>= instead of >)."""

    def is_available(self, votes):
        return 3 * popcount(votes) >= 2 * self.params.n_validators


@mutant(M, "ac_threshold_half", kills=["enacted_only_above_two_thirds"])
class ThresholdHalf(AvailCoreMachine):
    """Enactment with half of the votes."""

    def is_available(self, votes):
        return 2 * popcount(votes) >= self.params.n_validators


@mutant(M, "ac_never_enacted", kills=["supermajority_enacted_at_tick"])
class NeverEnacted(AvailCoreMachine):
    """A candidate is never enacted: it always runs into the timeout."""

    def is_available(self, votes):
        return votes < 0


@mutant(M, "ac_timeout_late", kills=["no_candidate_past_timeout"])
class TimeoutLate(AvailCoreMachine):
    """The timeout fires one block late."""

    def is_timed_out(self, age):
        return age > self.params.timeout


@mutant(M, "ac_timeout_early", kills=["timeout_exactly_at_period"])
class TimeoutEarly(AvailCoreMachine):
    """The timeout fires one block early."""

    def is_timed_out(self, age):
        return age + 1 >= self.params.timeout


@mutant(M, "ac_double_vote", kills=["vote_counts_once"])
class DoubleVote(AvailCoreMachine):
    """A repeated vote is accepted (and changes nothing)."""

    def has_voted(self, votes, validator):
        return votes < 0


@mutant(M, "ac_back_overwrites", kills=["back_only_onto_free_core"])
class BackOverwrites(AvailCoreMachine):
    """A backed candidate may replace the one pending on its core."""

    def guards(self, s, a):
        if isinstance(a, Back):
            return []
        return super().guards(s, a)


@mutant(M, "ac_counter_wraps", kills=["counters_never_decrease"])
class CounterWraps(AvailCoreMachine):
    """The counters wrap around instead of saturating."""

    def count(self, counter):
        return (counter + 1) % (self.params.cap + 1)


@mutant(M, "ac_votes_lost", kills=["undecided_candidate_ages"])
class VotesLost(AvailCoreMachine):
    """An undecided candidate loses its votes at the end of the block."""

    def process_tick(self, s, a):
        t = super().process_tick(s, a)
        return type(t)(t.occupied, tuple(ite(And(s.occupied[c] == 1, t.occupied[c] == 1), 0, t.votes[c])
                                         for c in range(self.params.n_cores)), t.age, t.enacted, t.timed_out)


@mutant(M, "ac_unheld_candidate_stalls", kills=["backed_candidate_leaves_core", "undecided_candidate_ages"])
class UnheldCandidateStalls(AvailCoreMachine):
    """The timer ignores a candidate nobody has voted for: it never ages, so it is never
    timed out and stays on its core forever under fair ends of block."""

    def process_tick(self, s, a):
        t = super().process_tick(s, a)
        return type(t)(t.occupied, t.votes, tuple(ite(And(s.occupied[c] == 1, s.votes[c] == 0), s.age[c], t.age[c])
                                                  for c in range(self.params.n_cores)), t.enacted, t.timed_out)


@mutant(M, "ac_votes_kept_when_freed", kills=["type_ok"])
class VotesKeptWhenFreed(AvailCoreMachine):
    """A freed core keeps the votes of the candidate that left it."""

    def process_tick(self, s, a):
        t = super().process_tick(s, a)
        return type(t)(t.occupied, tuple(ite(And(s.occupied[c] == 1, t.occupied[c] == 0), s.votes[c], t.votes[c])
                                         for c in range(self.params.n_cores)), t.age, t.enacted, t.timed_out)
