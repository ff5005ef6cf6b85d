"""Properties and mutants of the ``upgrades`` machine (spec/upgrades.md).

Each mutant below breaks one rule (one method of :class:`UpgradesMachine`); its
docstring says which, and the test-suite checks that the properties it names are
reported violated with a shortest counterexample.
"""

from __future__ import annotations

import attrs

from paraspec.model.core import Rejected
from paraspec.model.thresholds import (
    is_majority,
    is_more_than_two_thirds,
    is_pvf_check_accepted,
    supermajority_threshold,
)
from paraspec.model.upgrades import (
    COLLATOR,
    Block,
    Fetch,
    Kind,
    Legacy,
    Phase,
    PrecheckVote,
    UpgradesMachine,
)

from .core import always, mutant, sometimes, transition

M = "upgrades"

COUNTING = (Phase.SIGNALLED, Phase.COUNTING)


def _ok(t) -> bool:
    return t.__class__ is not Rejected


def _n(m) -> int:
    return m.params.n_validators


def _holders(s, code) -> int:
    return sum(1 for h in s.holdings if (h >> code) & 1)


def _lacks(s, v, code) -> bool:
    return not (s.holdings[v] >> code) & 1


def _admitted(s, t):
    """The code admitted (either path) in the step s -> t, if any."""
    if _ok(t) and t.next_code > s.next_code:
        return s.next_code
    return None


def _included(m, s, a, t) -> bool:
    """The step is a block that includes the para's pending candidate."""
    return _ok(t) and isinstance(a, Block) and s.pending is not None and not a.session and m.is_available(a.bits)


def _precheck_started(s, t) -> bool:
    return (_ok(t) and s.upgrade is not None and s.upgrade.phase in COUNTING
            and t.upgrade is not None and t.upgrade.code == s.upgrade.code and t.upgrade.phase == Phase.PRECHECK)


def _enacted_new_path(s, t) -> bool:
    return _ok(t) and s.upgrade is not None and t.current != s.current and t.current == s.upgrade.code


def _prunable(m, s, c) -> bool:
    """UPG-21 restated from the state alone (not from ``may_prune``)."""
    if c == s.current:
        return False
    if s.upgrade is not None and s.upgrade.code == c:
        return False
    if s.legacy is not None and s.legacy.code == c:
        return False
    return not (s.enacted >> c) & 1 or s.final_code > c


# == invariants ==========================================================================================


@always(M, ["UPG-24", "UPG-9"], witness=lambda m, s: s.upgrade is not None and s.pending is not None)
def type_ok(m, s):
    """Counters, timers and masks stay in range; a pending candidate is validated with
    the para's current code; the counter never goes below 0 nor above its start."""
    p = m.params
    n = _n(m)
    codes = (1 << s.next_code) - 1
    if not (0 <= s.current < s.next_code and 0 <= s.final_code <= s.current and 0 <= s.cooldown
            <= p.upgrade_frequency and 0 <= s.finished < s.next_code):
        return False
    if any(h & ~codes for h in s.holdings) or s.disputable & ~codes or s.deposits & ~s.offchain:
        return False
    if s.pending is not None and not (s.pending.code == s.current and 0 <= s.pending.age < p.availability_period):
        return False
    u = s.upgrade
    if u is not None:
        if not (0 <= u.counter <= p.counter_start and 0 < u.code < s.next_code and u.accepts & u.rejects == 0
                and u.accepts < (1 << n) and u.rejects < (1 << n)):
            return False
        if u.phase in (Phase.PRECHECK, Phase.ACCEPTED) and u.counter != 0:
            return False
    lg = s.legacy
    if lg is not None and not (0 < lg.code < s.next_code and 0 <= lg.wait <= p.upgrade_delay):
        return False
    return True


@always(M, ["UPG-21"], witness=lambda m, s: s.disputable & ~(1 << s.current) != 0)
def disputable_code_held_by_majority(m, s):
    """Every included candidate that is not finalized (so can still be disputed) was
    validated with a code that a majority of the validators hold."""
    n = _n(m)
    return all(is_majority(_holders(s, c), n) for c in range(s.next_code) if (s.disputable >> c) & 1)


@always(M, ["UPG-2", "UPG-6", "UPG-8"], witness=lambda m, s: s.upgrade is not None and s.upgrade.phase == Phase.SIGNALLED)
def pending_code_held_by_a_validator(m, s):
    """From the backing of its signalling candidate on, the code of a new-path upgrade is
    held by some validator, so the others can fetch it (without depending on the collator)."""
    return s.upgrade is None or _holders(s, s.upgrade.code) >= 1


@always(M, ["UPG-3"], witness=lambda m, s: s.upgrade is not None or s.legacy is not None)
def one_upgrade_in_flight(m, s):
    """Every upgrade admitted has left flight (enacted, rejected, dropped) except at most
    one, and that one is the upgrade on record."""
    in_flight = (s.next_code - 1) - s.finished
    return in_flight == (s.upgrade is not None) + (s.legacy is not None) and in_flight <= 1


@always(M, ["UPG-3", "UPG-18"], witness=lambda m, s: s.upgrade is not None or s.legacy is not None)
def paths_never_overlap(m, s):
    """The legacy path and the new path never have an upgrade in flight for the para at once."""
    return s.upgrade is None or s.legacy is None


@always(M, ["UPG-14", "UPG-18"], witness=lambda m, s: m.is_oversize(s.sizes[-1]) and s.next_code > 1)
def oversize_code_never_enacted(m, s):
    """The para's current code never exceeds ``max_code_size``, whichever path brought it."""
    return s.sizes[s.current] <= m.params.max_code_size


@always(M, ["UPG-5", "UPG-21"], witness=lambda m, s: any(
    (s.offchain >> c) & 1 and (s.enacted >> c) & 1 and c != s.current and not _prunable(m, s, c)
    for c in range(s.next_code)))
def stored_code_keeps_its_deposit(m, s):
    """Every off-chain code validators must still keep (current, in flight, or replaced
    but not yet prunable) has its deposit reserved, and the reserve fits the balance."""
    for c in range(s.next_code):
        if (s.offchain >> c) & 1 and not _prunable(m, s, c) and not (s.deposits >> c) & 1:
            return False
    reserved = sum(s.sizes[c] * m.params.deposit_per_byte for c in range(s.next_code) if (s.deposits >> c) & 1)
    return reserved <= m.params.deposit_balance


@always(M, ["UPG-15"], witness=lambda m, s: s.upgrade is not None and s.upgrade.phase == Phase.PRECHECK
        and s.upgrade.rejects != 0)
def precheck_open_only_while_undecided(m, s):
    """A pre-checking vote stays open only while neither outcome is settled: the accepts
    are below the supermajority and enough validators have not rejected for acceptance
    to remain possible."""
    u = s.upgrade
    if u is None or u.phase != Phase.PRECHECK:
        return True
    n = _n(m)
    sm = supermajority_threshold(n)
    return u.accepts.bit_count() < sm and n - u.rejects.bit_count() >= sm


@always(M, ["UPG-16"], witness=lambda m, s: s.upgrade is not None and s.upgrade.phase == Phase.PRECHECK
        and s.upgrade.age >= 1)
def precheck_vote_expires(m, s):
    """An open pre-checking vote has seen fewer than ``pvf_voting_ttl`` session changes."""
    u = s.upgrade
    return u is None or u.phase != Phase.PRECHECK or u.age < m.params.pvf_voting_ttl


@always(M, ["UPG-10", "UPG-2"], witness=lambda m, s: s.upgrade is not None and s.upgrade.phase == Phase.SIGNALLED)
def signalled_upgrade_rides_on_its_candidate(m, s):
    """An upgrade whose signalling candidate is not included yet exists only while that
    candidate is pending availability."""
    u = s.upgrade
    return u is None or u.phase != Phase.SIGNALLED or (s.pending is not None and s.pending.kind == Kind.REQUEST)


# == transition properties =================================================================================


def _lacks_active(m, s):
    return s.pending is not None and any(_lacks(s, v, s.pending.code) for v in range(_n(m)))


@transition(M, ["UPG-11"], on=[Block], witness=lambda m, s, a, t: _lacks_active(m, s))
def bits_only_from_active_code_holders(m, s, a, t):
    """A validator signs a 1 for the pending candidate only if it holds the code the
    candidate is validated with (the "hot" PVF)."""
    if not _ok(t) or s.pending is None:
        return True
    return all(not (a.bits >> v) & 1 or not _lacks(s, v, s.pending.code) for v in range(_n(m)))


def _zero_and_lacking(m, s):
    u = s.upgrade
    return (s.pending is not None and u is not None and u.counter == 0
            and any(_lacks(s, v, u.code) for v in range(_n(m))))


@transition(M, ["UPG-12"], on=[Block], witness=lambda m, s, a, t: _zero_and_lacking(m, s))
def counter_zero_bits_only_from_code_holders(m, s, a, t):
    """At counter 0 no validator with a 1 bit lacks the upgrade's code."""
    u = s.upgrade
    if not _ok(t) or s.pending is None or u is None or u.counter != 0:
        return True
    return all(not (a.bits >> v) & 1 or not _lacks(s, v, u.code) for v in range(_n(m)))


@transition(M, ["UPG-11", "UPG-12", "UPG-24"], on=[Block], witness=lambda m, s, a, t: _included(m, s, a, t)
            and s.pending.at_zero)
def included_code_held_by_supermajority(m, s, a, t):
    """An included candidate has its code held by more than 2/3 of the validators, and
    one backed at counter 0 has the upgrade's code held by more than 2/3 as well."""
    if not _included(m, s, a, t):
        return True
    n = _n(m)
    if not is_more_than_two_thirds(_holders(s, s.pending.code), n):
        return False
    u = s.upgrade
    return not (u is not None and u.counter == 0) or is_more_than_two_thirds(_holders(s, u.code), n)


@transition(M, ["UPG-13", "UPG-9"], on=[Block], witness=lambda m, s, a, t: _precheck_started(s, t))
def precheck_starts_with_code_at_supermajority(m, s, a, t):
    """Pre-checking starts only at the inclusion of a candidate backed at counter 0, and
    then more than 2/3 of the validators hold the code."""
    if not _precheck_started(s, t):
        return True
    return (s.pending is not None and s.pending.at_zero and s.upgrade.counter == 0
            and is_more_than_two_thirds(_holders(t, t.upgrade.code), _n(m)))


@transition(M, ["UPG-17", "UPG-13", "UPG-15"], on=[Block], witness=lambda m, s, a, t: _enacted_new_path(s, t))
def enactment_after_counter_precheck_and_session(m, s, a, t):
    """A new-path upgrade is enacted only once its counter is 0, its pre-checking vote
    accepted it, and the session changes have passed since."""
    if not _enacted_new_path(s, t):
        return True
    u = s.upgrade
    after = u.sessions + (1 if a.session and u.phase == Phase.ACCEPTED else 0)
    return (u.phase == Phase.ACCEPTED and u.counter == 0
            and is_pvf_check_accepted(u.accepts.bit_count(), _n(m))
            and after >= m.params.enactment_session_changes)


def _dropped(s, t) -> bool:
    return _ok(t) and s.holdings != t.holdings and any(h & ~g for h, g in zip(s.holdings, t.holdings))


@transition(M, ["UPG-21"], witness=lambda m, s, a, t: _dropped(s, t))
def only_prunable_code_dropped(m, s, a, t):
    """A validator's copy of a code disappears only when the code may be pruned: never the
    current code or the one in flight, a replaced code only once the first candidate
    validated with a newer code is finalized."""
    if not _dropped(s, t):
        return True
    for h, g in zip(s.holdings, t.holdings):
        lost = h & ~g
        for c in range(s.next_code):
            if (lost >> c) & 1 and not _prunable(m, t, c):
                return False
    return True


def _plain(a):
    return attrs.evolve(a, kind=Kind.PLAIN, size=0)


@transition(M, ["UPG-1", "UPG-2"], on=[Block], witness=lambda m, s, a, t: a.kind == Kind.REQUEST
            and m.check_request(s, a.size) is not None)
def request_never_costs_the_candidate(m, s, a, t):
    """A candidate carrying ``RequestCodeUpgrade`` is backed exactly when the same
    candidate without the signal would be: an upgrade that is not acted on (one in
    flight, cooling down, no deposit) costs the para no block."""
    if a.kind != Kind.REQUEST:
        return True
    try:
        u = m.step(s, _plain(a))
    except Rejected:
        u = None
    if (u is None) != (not _ok(t)):
        return False
    return u is None or (t.pending is not None) == (u.pending is not None)


@transition(M, ["UPG-5"], on=[Block], witness=lambda m, s, a, t: a.kind == Kind.REQUEST
            and m.compute_reserved(s) + a.size * m.params.deposit_per_byte > m.params.deposit_balance)
def request_admitted_only_with_deposit(m, s, a, t):
    """A request becomes an upgrade only if the para can reserve the deposit for its
    declared size (per byte) beside the deposits it still holds; the deposit is then
    reserved."""
    code = _admitted(s, t)
    if code is None or a.kind != Kind.REQUEST:
        return True
    p = m.params
    reserved = sum(t.sizes[c] * p.deposit_per_byte for c in range(t.next_code) if (t.deposits >> c) & 1)
    return (t.deposits >> code) & 1 == 1 and t.sizes[code] == a.size and reserved <= p.deposit_balance


@transition(M, ["UPG-4"], on=[Block], witness=lambda m, s, a, t: a.kind in (Kind.REQUEST, Kind.LEGACY)
            and s.cooldown > 1)
def upgrades_respect_frequency(m, s, a, t):
    """No upgrade is admitted within ``validation_upgrade_frequency`` blocks of the para's
    previous enactment."""
    if _admitted(s, t) is None:
        return True
    return max(s.cooldown - 1, 0) == 0


@transition(M, ["UPG-15"], on=[PrecheckVote], witness=lambda m, s, a, t: _ok(t) and t.upgrade is not None
            and t.upgrade.phase == Phase.ACCEPTED)
def precheck_accepts_only_with_supermajority(m, s, a, t):
    """A pre-checking vote concludes "accepted" only with the accepts of a supermajority."""
    if not _ok(t) or t.upgrade is None or t.upgrade.phase != Phase.ACCEPTED:
        return True
    return t.upgrade.accepts.bit_count() >= supermajority_threshold(_n(m))


def _bad_vote(m, s, a):
    u = s.upgrade
    if u is None:
        return False
    voted = (u.accepts | u.rejects) >> a.validator & 1
    return bool(voted) or _lacks(s, a.validator, u.code) or (a.accept and m.is_oversize(s.sizes[u.code]))


@transition(M, ["UPG-14"], on=[PrecheckVote], witness=lambda m, s, a, t: _bad_vote(m, s, a))
def precheck_votes_honest_and_single(m, s, a, t):
    """A pre-checking vote counts only from a validator that holds the code and has not
    voted this session; nobody votes aye for code above ``max_code_size``."""
    return not (_ok(t) and _bad_vote(m, s, a))


@transition(M, ["UPG-16"], on=[Block], witness=lambda m, s, a, t: a.session and s.upgrade is not None
            and s.upgrade.phase == Phase.PRECHECK and (s.upgrade.accepts | s.upgrade.rejects) != 0)
def ballots_reset_each_session(m, s, a, t):
    """A session change empties the ballots of an open pre-checking vote."""
    if not _ok(t) or not a.session or t.upgrade is None or t.upgrade.phase != Phase.PRECHECK:
        return True
    if s.upgrade is None or s.upgrade.code != t.upgrade.code or s.upgrade.phase != Phase.PRECHECK:
        return True
    return t.upgrade.accepts == 0 and t.upgrade.rejects == 0


@transition(M, ["UPG-9", "UPG-2"], on=[Block], witness=lambda m, s, a, t: _ok(t) and a.kind is not None
            and s.upgrade is not None and s.upgrade.phase == Phase.COUNTING and s.upgrade.counter > 0)
def counter_counts_backed_candidates(m, s, a, t):
    """The counter starts at its configured value when the signalling candidate is backed
    and drops by one for each further candidate backed, down to 0."""
    if not _ok(t) or t.upgrade is None or t.upgrade.phase not in COUNTING:
        return True
    u, w = s.upgrade, t.upgrade
    if u is None or u.code != w.code:
        return w.counter == m.params.counter_start
    backed = a.kind is not None
    return w.counter == (u.counter - 1 if backed and u.counter > 0 else u.counter)


@transition(M, ["UPG-22"], on=[Block], witness=lambda m, s, a, t: _precheck_started(s, t))
def event_reports_counter_and_blocks_to_go(m, s, a, t):
    """Every block while the counter runs emits (hash, counter, blocks to go); blocks to
    go never drops by more than one per block, and is 1 in the block before the one that
    hands the upgrade to pre-checking."""
    if not _ok(t):
        return True
    ev_s, ev_t = m.get_upgrade_event(s), m.get_upgrade_event(t)
    w = t.upgrade
    if (ev_t is not None) != (w is not None and w.phase in COUNTING):
        return False
    if ev_t is not None and (ev_t.code != w.code or ev_t.counter != w.counter or ev_t.blocks_to_go < 1):
        return False
    if _precheck_started(s, t) and (ev_s is None or ev_s.blocks_to_go != 1):
        return False
    if ev_s is not None and ev_t is not None and ev_s.code == ev_t.code:
        return ev_t.blocks_to_go in (ev_s.blocks_to_go, ev_s.blocks_to_go - 1)
    return True


def _bad_source(m, s, a):
    if a.source == COLLATOR:
        return a.validator not in m.get_group(s)
    return a.source == a.validator or _lacks(s, a.source, a.code)


@transition(M, ["UPG-8"], on=[Fetch], witness=lambda m, s, a, t: _bad_source(m, s, a))
def fetch_only_from_serving_source(m, s, a, t):
    """A fetch succeeds only from a validator holding the code, or, for the para's
    backers, from the collator."""
    return not (_ok(t) and _bad_source(m, s, a))


def _backer_lacks_code(m, s):
    return any(_lacks(s, v, s.current) for g in m.params.groups for v in g)


@transition(M, ["UPG-7", "UPG-6"], on=[Block], witness=lambda m, s, a, t: a.kind is not None
            and _backer_lacks_code(m, s))
def backers_hold_current_code(m, s, a, t):
    """A candidate is backed only by backers holding the code it is validated with."""
    if not _ok(t) or a.kind is None:
        return True
    return all(not (a.backers >> v) & 1 or not _lacks(t, v, t.pending.code) for v in range(_n(m)))


def _legacy_enacted(s, t):
    return _ok(t) and s.legacy is not None and t.current == s.legacy.code and t.current != s.current


@transition(M, ["UPG-19", "UPG-20"], on=[Block], witness=lambda m, s, a, t: _legacy_enacted(s, t))
def legacy_code_on_chain_and_delayed(m, s, a, t):
    """A legacy upgrade's code is held by every validator from its backing, and it is
    enacted only after its delay, counted from the inclusion of its candidate."""
    code = _admitted(s, t)
    if code is not None and a.kind == Kind.LEGACY and _holders(t, code) != _n(m):
        return False
    if _legacy_enacted(s, t):
        lg: Legacy = s.legacy
        return lg.scheduled and max(lg.wait - 1, 0) == 0
    return True


def _failed(s, t):
    return _ok(t) and s.upgrade is not None and t.upgrade is None and t.current == s.current


@transition(M, ["UPG-23", "UPG-5"], witness=lambda m, s, a, t: _failed(s, t))
def failed_upgrade_frees_the_para(m, s, a, t):
    """An upgrade that fails (voted down, expired, or its signal lost) leaves the para
    with its code, free to signal again at once (no cooldown starts), and with the
    deposit released."""
    if not _failed(s, t):
        return True
    code = s.upgrade.code
    return not (t.deposits >> code) & 1 and t.cooldown <= s.cooldown


# == reachability ===============================================================================================


@sometimes(M, ["UPG-17"])
def some_new_path_upgrade_enacted(m, s):
    """The para runs code that came by the new path."""
    return (s.offchain >> s.current) & 1 == 1


@sometimes(M, ["UPG-20"])
def some_legacy_upgrade_enacted(m, s):
    """The para runs code that came by the legacy path."""
    return s.current != 0 and not (s.offchain >> s.current) & 1


@sometimes(M, ["UPG-14", "UPG-23"])
def some_oversize_code_voted_down(m, s):
    """An oversize off-chain code reached pre-checking and left flight without enactment."""
    return any((s.offchain >> c) & 1 and m.is_oversize(s.sizes[c]) and not (s.enacted >> c) & 1
               and (s.upgrade is None or s.upgrade.code != c) and _holders(s, c) == 0 and c < s.next_code
               for c in range(s.next_code)) and s.upgrade is None


@sometimes(M, ["UPG-4", "UPG-17"])
def some_second_upgrade_enacted(m, s):
    """Two upgrades are enacted one after the other."""
    return s.enacted.bit_count() == 3


@sometimes(M, ["UPG-21"])
def some_replaced_code_pruned(m, s):
    """A replaced code is pruned by every validator once finality allows it."""
    return any((s.enacted >> c) & 1 and c != s.current and _holders(s, c) == 0 for c in range(s.next_code))


@sometimes(M, ["UPG-16"])
def some_vote_across_session(m, s):
    """A pre-checking vote stays open across a session change."""
    return s.upgrade is not None and s.upgrade.phase == Phase.PRECHECK and s.upgrade.age == 1


@sometimes(M, ["UPG-11", "UPG-8"])
def some_validator_lacks_current_code(m, s):
    """A validator lacks the para's current code (it did not fetch it before enactment)."""
    return any(_lacks(s, v, s.current) for v in range(_n(m)))


# == mutants =======================================================================================================


@mutant(M, "upg_counter_underflow", kills=["type_ok"])
class CounterUnderflow(UpgradesMachine):
    """UPG-9 broken: every further candidate decrements the counter, even below 0."""

    def compute_counter_after_backing(self, counter):
        return counter - 1


@mutant(M, "upg_bit_without_active_code", kills=["bits_only_from_active_code_holders"])
class BitWithoutActiveCode(UpgradesMachine):
    """UPG-11 broken: a validator signs a 1 without the candidate's ("hot") code."""

    def lacks_active_code(self, state, v):
        return False


@mutant(M, "upg_bit_without_pending_code",
        kills=["counter_zero_bits_only_from_code_holders", "included_code_held_by_supermajority",
               "precheck_starts_with_code_at_supermajority"])
class BitWithoutPendingCode(UpgradesMachine):
    """UPG-12 broken: at counter 0 a validator still signs a 1 without the upgrade's code."""

    def lacks_pending_code(self, state, v):
        return False


@mutant(M, "upg_available_at_half", kills=["included_code_held_by_supermajority"])
class AvailableAtHalf(UpgradesMachine):
    """UPG-24 broken: half of the validators' bits make a candidate available."""

    def is_available(self, bits):
        return 2 * bits.bit_count() >= self.params.n_validators


@mutant(M, "upg_precheck_one_early", kills=["precheck_starts_with_code_at_supermajority"])
class PrecheckOneEarly(UpgradesMachine):
    """UPG-13 broken: pre-checking starts at the inclusion of the candidate backed at
    counter 1, whose bits did not need the code."""

    def starts_precheck(self, pending, upgrade):
        return pending.at_zero or upgrade.counter <= 1


@mutant(M, "upg_enact_without_session_wait", kills=["enactment_after_counter_precheck_and_session"])
class EnactWithoutSessionWait(UpgradesMachine):
    """UPG-17 broken: the upgrade is enacted as soon as pre-checking accepts it."""

    def is_ready_to_enact(self, u):
        return u.phase == Phase.ACCEPTED


@mutant(M, "upg_enact_unchecked", kills=["enactment_after_counter_precheck_and_session"])
class EnactUnchecked(UpgradesMachine):
    """UPG-17 broken: the upgrade is enacted once the counter is 0, without waiting for
    pre-checking."""

    def is_ready_to_enact(self, u):
        return u.counter == 0 and u.phase != Phase.SIGNALLED


@mutant(M, "upg_prune_at_enactment", kills=["disputable_code_held_by_majority", "only_prunable_code_dropped"])
class PruneAtEnactment(UpgradesMachine):
    """UPG-21 broken: validators prune the replaced code as soon as the new one is
    enacted, before any candidate validated with the new code is finalized."""

    def may_prune(self, state, code):
        if code == state.current or code == self.get_pending_code(state):
            return False
        return True


@mutant(M, "upg_prune_code_in_flight", kills=["pending_code_held_by_a_validator"])
class PruneCodeInFlight(UpgradesMachine):
    """UPG-21 broken: the code in flight counts as never enacted, so it may be pruned."""

    def may_prune(self, state, code):
        if code == state.current:
            return False
        if (state.enacted >> code) & 1:
            return state.final_code > code
        return True


@mutant(M, "upg_backers_skip_blob", kills=["pending_code_held_by_a_validator"])
class BackersSkipBlob(UpgradesMachine):
    """UPG-6 broken: backers attest a signalling candidate without fetching its blob, so
    no validator holds the code the para asked for."""

    def compute_blob_holders(self, backers):
        return 0


@mutant(M, "upg_request_rejects_candidate", kills=["request_never_costs_the_candidate"])
class RequestRejectsCandidate(UpgradesMachine):
    """UPG-1 broken: an inadmissible request makes the block invalid, as the legacy path
    does, so the para loses the candidate."""

    def process_inadmissible_request(self, state, rule):
        raise Rejected(rule, "inadmissible code upgrade request")


@mutant(M, "upg_request_replaces_upgrade", kills=["one_upgrade_in_flight"])
class RequestReplacesUpgrade(UpgradesMachine):
    """UPG-3 broken: a new request while a new-path upgrade is in flight replaces it."""

    def check_request(self, state, size):
        if state.legacy is not None:
            return "UPG-3"
        if self.is_cooling_down(state):
            return "UPG-4"
        if not self.is_deposit_funded(state, size):
            return "UPG-5"
        return None


@mutant(M, "upg_legacy_sees_only_legacy", kills=["paths_never_overlap", "one_upgrade_in_flight"])
class LegacySeesOnlyLegacy(UpgradesMachine):
    """UPG-3 broken the way [IG §2.5.6] step 2 reads literally: the legacy check
    compares only against the legacy schedule, not against a new-path upgrade."""

    def has_upgrade_in_flight_for_legacy(self, state):
        return state.legacy is not None


@mutant(M, "upg_oversize_voted_aye", kills=["oversize_code_never_enacted", "precheck_votes_honest_and_single"])
class OversizeVotedAye(UpgradesMachine):
    """UPG-14 broken: validators may vote aye for code above ``max_code_size``."""

    def must_vote_nay(self, size):
        return False


@mutant(M, "upg_legacy_unchecked_size", kills=["oversize_code_never_enacted"])
class LegacyUncheckedSize(UpgradesMachine):
    """UPG-18 broken: the legacy acceptance check does not look at the code size."""

    def is_legacy_size_ok(self, size):
        return True


@mutant(M, "upg_no_deposit_check", kills=["request_admitted_only_with_deposit", "stored_code_keeps_its_deposit"])
class NoDepositCheck(UpgradesMachine):
    """UPG-5 broken: a request is admitted whether or not the deposit can be reserved."""

    def is_deposit_funded(self, state, size):
        return True


@mutant(M, "upg_deposit_released_at_enactment", kills=["stored_code_keeps_its_deposit"])
class DepositReleasedAtEnactment(UpgradesMachine):
    """UPG-5 broken: the replaced code's deposit is released at enactment, while the
    validators must still keep the code."""

    def compute_deposits_after_enactment(self, state, replaced):
        return state.deposits & ~(1 << replaced)


@mutant(M, "upg_no_cooldown", kills=["upgrades_respect_frequency"])
class NoCooldown(UpgradesMachine):
    """UPG-4 broken: ``validation_upgrade_frequency`` is not enforced."""

    def is_cooling_down(self, state):
        return False


@mutant(M, "upg_reject_at_supermajority", kills=["precheck_open_only_while_undecided"])
class RejectAtSupermajority(UpgradesMachine):
    """UPG-15 broken: the older polkadot reading, rejection only at a supermajority of
    rejects, leaves votes open that can no longer be accepted."""

    def is_precheck_rejected(self, rejects):
        return rejects.bit_count() >= supermajority_threshold(self.params.n_validators)


@mutant(M, "upg_accept_at_half", kills=["precheck_accepts_only_with_supermajority"])
class AcceptAtHalf(UpgradesMachine):
    """UPG-15 broken: half of the validators' accepts conclude the vote."""

    def is_precheck_accepted(self, accepts):
        return 2 * accepts.bit_count() >= self.params.n_validators


@mutant(M, "upg_vote_twice", kills=["precheck_votes_honest_and_single"])
class VoteTwice(UpgradesMachine):
    """UPG-14 broken: a validator's second statement in a session is counted."""

    def has_voted(self, u, v):
        return False


@mutant(M, "upg_vote_never_expires", kills=["precheck_vote_expires"])
class VoteNeverExpires(UpgradesMachine):
    """UPG-16 broken: an open pre-checking vote is never rejected for its age."""

    def is_vote_expired(self, age):
        return False


@mutant(M, "upg_ballots_survive_session", kills=["ballots_reset_each_session"])
class BallotsSurviveSession(UpgradesMachine):
    """UPG-16 broken: the ballots of an open vote carry over into the next session."""

    def compute_ballots_after_session(self, u):
        return u


@mutant(M, "upg_signal_survives_timeout", kills=["signalled_upgrade_rides_on_its_candidate"])
class SignalSurvivesTimeout(UpgradesMachine):
    """UPG-10 broken: the request stays after its signalling candidate timed out."""

    def drops_with_signal(self, upgrade):
        return False


@mutant(M, "upg_counter_on_inclusion", kills=["counter_counts_backed_candidates"])
class CounterOnInclusion(UpgradesMachine):
    """UPG-9 broken: the counter counts included candidates instead of backed ones."""

    def compute_counter_after_backing(self, counter):
        return counter

    def compute_counter_after_inclusion(self, counter):
        return counter - 1 if counter > 0 else 0


@mutant(M, "upg_blocks_to_go_is_counter", kills=["event_reports_counter_and_blocks_to_go"])
class BlocksToGoIsCounter(UpgradesMachine):
    """UPG-22 broken: the event reports the counter as the blocks to go, which says 0
    while one inclusion is still needed."""

    def compute_blocks_to_go(self, upgrade):
        return upgrade.counter


@mutant(M, "upg_fetch_from_anyone", kills=["fetch_only_from_serving_source"])
class FetchFromAnyone(UpgradesMachine):
    """UPG-8 broken: a fetch succeeds from a source that does not hold the code."""

    def serves(self, state, v, code, source):
        return True


@mutant(M, "upg_backer_without_code", kills=["backers_hold_current_code"])
class BackerWithoutCode(UpgradesMachine):
    """UPG-7 broken: a backer attests without the para's current code."""

    def lacks_current_code(self, s, v):
        return False


@mutant(M, "upg_legacy_enacted_at_inclusion", kills=["legacy_code_on_chain_and_delayed"])
class LegacyEnactedAtInclusion(UpgradesMachine):
    """UPG-20 broken: a legacy upgrade is enacted at its own inclusion, without the delay."""

    def is_legacy_due(self, lg):
        return lg.scheduled


@mutant(M, "upg_failure_starts_cooldown", kills=["failed_upgrade_frees_the_para"])
class FailureStartsCooldown(UpgradesMachine):
    """UPG-23 broken: a failed upgrade holds the para back for a cooldown as if enacted."""

    def fail_upgrade(self, s):
        return attrs.evolve(super().fail_upgrade(s), cooldown=self.params.upgrade_frequency)
