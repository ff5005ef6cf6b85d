"""Properties and mutants of the ``overseer`` machine (spec/overseer.md)."""

from __future__ import annotations

import attrs

from paraspec.model.core import Rejected
from paraspec.model.overseer import Deliver, Finalize, Import, OverseerMachine, Signal

from .core import always, mutant, sometimes, transition

M = "overseer"


def _accepted(t) -> bool:
    return not isinstance(t, Rejected)


def _bits(x: int) -> set[int]:
    return {i for i in range(x.bit_length()) if (x >> i) & 1}


def _appended(s, t, i):
    """The entries the step appended to subsystem i's inbox."""
    before = s.inbox[i]
    after = t.inbox[i]
    # the step appends only (deliveries are separate steps)
    return after[len(before):]


def _pending_jobs(s, i) -> int:
    """Subsystem i's jobs once it has handled every signal queued for it."""
    jobs = s.jobs[i]
    for kind, b in s.inbox[i]:
        if kind == Signal.START_WORK:
            jobs |= 1 << b
        elif kind == Signal.STOP_WORK:
            jobs &= ~(1 << b)
    return jobs


# -- invariants ----------------------------------------------------------------------------------------


@always(M, ["OVS-1", "OVS-2", "OVS-3"], witness=lambda m, s: s.finalized != 0)
def type_ok(m, s):
    """Leaves are imported blocks with no imported child; the finalized block is imported;
    a subsystem has a job only on a relay parent whose ``StartWork`` it has handled."""
    if any(s.jobs[i] & ~s.started[i] for i in range(m.params.n_subsystems)):
        return False
    p = m.params
    for b in _bits(s.leaves):
        if not (s.imported >> b) & 1:
            return False
        if any((s.imported >> c) & 1 and p.parents[c] == b for c in range(p.n_blocks)):
            return False
    return (s.imported >> s.finalized) & 1 == 1 and s.leaves != 0


@always(M, ["OVS-3", "OVS-4"], witness=lambda m, s: any(s.inbox))
def jobs_follow_active_leaves(m, s):
    """Every subsystem, once it has handled the signals queued for it, works on exactly the
    active leaves."""
    return all(_pending_jobs(s, i) == s.leaves for i in range(m.params.n_subsystems))


# -- transition properties --------------------------------------------------------------------------------


@transition(M, ["OVS-1"], on=[Import], witness=lambda m, s, a, t: _accepted(t) and (s.leaves >> m.params.parents[a.block]) & 1)
def import_adds_leaf_and_deactivates_parent(m, s, a, t):
    """Importing a block makes it an active leaf and deactivates its parent; nothing else changes."""
    if not _accepted(t):
        return True
    parent = m.params.parents[a.block]
    return t.leaves == (s.leaves & ~(1 << parent)) | (1 << a.block)


@transition(M, ["OVS-2"], on=[Finalize], witness=lambda m, s, a, t: _accepted(t) and t.leaves != s.leaves)
def finalization_prunes_lower_leaves(m, s, a, t):
    """Finalizing block B of height h removes every active leaf of height at most h other
    than B, and only those."""
    if not _accepted(t):
        return True
    h = m.params.height(a.block)
    kept = {b for b in _bits(s.leaves) if b == a.block or m.params.height(b) > h}
    return _bits(t.leaves) == kept


@transition(M, ["OVS-3"], on=[Import, Finalize], witness=lambda m, s, a, t: _accepted(t)
            and any(k == Signal.STOP_WORK for k, _ in _appended(s, t, 0)))
def signals_stop_then_start(m, s, a, t):
    """Each leaf change is announced to every subsystem: ``StopWork`` for exactly the
    deactivated leaves, then ``StartWork`` for exactly the activated ones, in that order."""
    if not _accepted(t):
        return True
    gone = s.leaves & ~t.leaves
    new = t.leaves & ~s.leaves
    for i in range(m.params.n_subsystems):
        sigs = _appended(s, t, i)
        kinds = [k for k, _ in sigs]
        if kinds != sorted(kinds, key=lambda k: 0 if k == Signal.STOP_WORK else 1):
            return False
        if {b for k, b in sigs if k == Signal.STOP_WORK} != _bits(gone) or len(
                [1 for k, _ in sigs if k == Signal.STOP_WORK]) != len(_bits(gone)):
            return False
        if {b for k, b in sigs if k == Signal.START_WORK} != _bits(new) or len(
                [1 for k, _ in sigs if k == Signal.START_WORK]) != len(_bits(new)):
            return False
        if any(k == Signal.MESSAGE for k in kinds):
            return False
    return True


@transition(M, ["OVS-4", "OVS-5"], on=[Deliver], witness=lambda m, s, a, t: _accepted(t)
            and s.inbox[a.subsystem] and s.inbox[a.subsystem][0][0] == Signal.MESSAGE)
def message_after_start_work(m, s, a, t):
    """A message sent by a job after its ``StartWork`` reaches the receiver after the
    receiver's own ``StartWork`` for that relay parent."""
    if not (_accepted(t) and s.inbox[a.subsystem]):
        return True
    kind, b = s.inbox[a.subsystem][0]
    return kind != Signal.MESSAGE or (s.started[a.subsystem] >> b) & 1 == 1


@transition(M, ["OVS-3"], on=[Deliver], witness=lambda m, s, a, t: _accepted(t)
            and s.inbox[a.subsystem] and s.inbox[a.subsystem][0][0] != Signal.MESSAGE)
def signals_well_formed(m, s, a, t):
    """A subsystem receives ``StartWork`` for a relay parent once, and ``StopWork`` only for
    a relay parent it is working on."""
    if not (_accepted(t) and s.inbox[a.subsystem]):
        return True
    kind, b = s.inbox[a.subsystem][0]
    if kind == Signal.START_WORK:
        return not (s.started[a.subsystem] >> b) & 1
    if kind == Signal.STOP_WORK:
        return (s.jobs[a.subsystem] >> b) & 1 == 1
    return True


# -- reachability witnesses ----------------------------------------------------------------------------------


@sometimes(M, ["OVS-5"])
def message_queued_behind_start_work(m, s):
    """A message sits in B's inbox behind B's own ``StartWork`` for its relay parent (the
    race the single inbox resolves)."""
    q = s.inbox[1]
    for j, (k, b) in enumerate(q):
        if k == Signal.MESSAGE and any(k2 == Signal.START_WORK and b2 == b for k2, b2 in q[:j]):
            return True
    return False


@sometimes(M, ["OVS-2"])
def sibling_leaf_pruned_by_finality(m, s):
    """Finality pruned a leaf on another fork (block 2 after block 3 is finalized)."""
    return s.finalized == 3 and (s.imported >> 2) & 1 and not (s.leaves >> 2) & 1


@sometimes(M, ["OVS-1", "OVS-2", "OVS-3"])
def all_work_drained(m, s):
    """Every block imported, the deepest finalized, and every subsystem caught up."""
    return s.imported == (1 << m.params.n_blocks) - 1 and s.finalized == 3 and not any(s.inbox)


# -- mutants ----------------------------------------------------------------------------------------------------


@mutant(M, "ovs_parent_stays_active", kills=["type_ok", "import_adds_leaf_and_deactivates_parent"])
class ParentStaysActive(OverseerMachine):
    """Importing a block does not deactivate its parent."""

    def compute_import(self, leaves, block):
        return leaves | (1 << block), 0


@mutant(M, "ovs_prune_finalized", kills=["type_ok", "finalization_prunes_lower_leaves"])
class PruneFinalized(OverseerMachine):
    """Finalization also prunes the finalized block itself."""

    def compute_pruned(self, leaves, block):
        return super().compute_pruned(leaves, block) | (leaves & (1 << block))


@mutant(M, "ovs_prune_strictly_lower", kills=["finalization_prunes_lower_leaves"])
class PruneStrictlyLower(OverseerMachine):
    """Finalization prunes only leaves strictly below the finalized height (``<`` for ``<=``)."""

    def compute_pruned(self, leaves, block):
        h = self.params.height(block)
        return sum(1 << b for b in range(self.params.n_blocks)
                   if (leaves >> b) & 1 and b != block and self.params.height(b) < h)


@mutant(M, "ovs_silent_pruning", kills=["jobs_follow_active_leaves", "signals_stop_then_start"])
class SilentPruning(OverseerMachine):
    """Finalization prunes leaves without sending ``StopWork``."""

    def process_finalize(self, s, a):
        t = super().process_finalize(s, a)
        return attrs.evolve(t, inbox=s.inbox)


@mutant(M, "ovs_start_before_stop", kills=["signals_stop_then_start"])
class StartBeforeStop(OverseerMachine):
    """``StartWork`` for the new leaf is sent before ``StopWork`` for its parent."""

    def compute_signals(self, deactivated, activated):
        sig = super().compute_signals(deactivated, activated)
        return tuple(sorted(sig, key=lambda m: 0 if m[0] == Signal.START_WORK else 1))


@mutant(M, "ovs_stop_unconditionally", kills=["signals_well_formed", "signals_stop_then_start"])
class StopUnconditionally(OverseerMachine):
    """Importing a block sends ``StopWork`` for its parent even when the parent was no
    longer an active leaf (a sibling was imported before)."""

    def compute_import(self, leaves, block):
        new, deactivated = super().compute_import(leaves, block)
        return new, deactivated | (1 << self.params.parents[block])


@mutant(M, "ovs_side_channel", kills=["message_after_start_work"])
class SideChannel(OverseerMachine):
    """Subsystems talk over a direct channel: a message overtakes the receiver's queued signals."""

    def route(self, s, receiver, msg):
        inbox = list(s.inbox)
        inbox[receiver] = (msg,) + inbox[receiver]
        return tuple(inbox)


@mutant(M, "ovs_unicast_signals", kills=["jobs_follow_active_leaves", "message_after_start_work"])
class UnicastSignals(OverseerMachine):
    """Signals are queued for the first subsystem only; the others hear of new relay
    parents from its messages."""

    def broadcast(self, s, signals):
        return (s.inbox[0] + signals,) + s.inbox[1:]
