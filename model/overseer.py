"""The overseer's active leaves and signals: [IG §2.6.1]–[IG §2.6.2].

A small relay-chain block tree (genesis with two forks, of depth two and one) is
imported and finalized block by block. The overseer keeps the *active leaves*:
importing a block adds it and deactivates its parent (OVS-1); finalizing a block of
height h prunes every leaf of height at most h except the finalized block (OVS-2).
Each change is announced to every subsystem as ``StopWork`` signals for the
deactivated leaves followed by ``StartWork`` for the activated ones, all queued before
the overseer routes anything else (OVS-3, OVS-4). Subsystems talk only through the
overseer, so their messages share the receiver's one inbox with the signals, which is
what guarantees that a message sent after a ``StartWork`` arrives after it (OVS-5).

``n_subsystems`` subsystems are modelled (two in ``tiny``): ``A`` (index 0), whose job
on a relay parent sends one message about it to ``B`` (index 1); any others only
receive the signals. Rules OVS-1 .. OVS-5 of ``spec/overseer.md``.
"""

from __future__ import annotations

import enum

import attrs

from .config import check_int_fields
from .readings import check_reading
from .core import Machine, register_machine, require
from .rules import implements

__all__ = [
    "Signal",
    "OverseerConfig",
    "OVERSEER_PRESETS",
    "OverseerState",
    "Import",
    "Finalize",
    "Deliver",
    "Send",
    "OverseerMachine",
    "TREE_PARENTS",
]


class Signal(enum.IntEnum):
    START_WORK = 0
    STOP_WORK = 1
    #: a message from subsystem A about a relay parent
    MESSAGE = 2


#: the block tree: genesis 0; blocks 1 and 2 at height 1 (siblings); block 3, child of
#: 1, at height 2
TREE_PARENTS: tuple[int | None, ...] = (None, 0, 0, 1)


@attrs.frozen
class OverseerConfig:
    """Parameters of the ``overseer`` machine (``spec/overseer.md``).

    The block tree is fixed (:data:`TREE_PARENTS`; the properties' witnesses name its
    blocks). Subsystem A (0) sends to subsystem B (1); further subsystems only receive
    signals, so ``n_subsystems`` is at least 2.
    """

    name: str = "custom"
    #: the reading of the whole host, ``seed`` or ``sdk`` (CFG-D5, ``model/readings.py``)
    reading: str = "seed"
    n_subsystems: int = 2

    @property
    def parents(self) -> tuple[int | None, ...]:
        return TREE_PARENTS

    @property
    def n_blocks(self) -> int:
        return len(self.parents)

    def height(self, b: int) -> int:
        h = 0
        while self.parents[b] is not None:
            b = self.parents[b]
            h += 1
        return h

    def is_ancestor(self, a: int, b: int) -> bool:
        """``a`` is ``b`` or an ancestor of it."""
        while b is not None:
            if a == b:
                return True
            b = self.parents[b]
        return False

    def validate(self) -> "OverseerConfig":
        check_int_fields(self, {"n_subsystems": 2})
        check_reading(self)
        return self


#: named parameter sets; ``tiny`` (subsystems A and B) is the one ``make check`` explores
OVERSEER_PRESETS: dict[str, OverseerConfig] = {
    p.name: p.validate() for p in (
        OverseerConfig(name="tiny"),
    )
}


Message = tuple[int, int]  # (Signal, block)


@attrs.frozen(cache_hash=True)
class OverseerState:
    #: blocks imported (bitmask)
    imported: int
    #: the last finalized block
    finalized: int
    #: the overseer's active leaves (bitmask)
    leaves: int
    #: per subsystem: signals and messages queued by the overseer, oldest first
    inbox: tuple[tuple[Message, ...], ...]
    #: per subsystem: relay parents with a live job (bitmask)
    jobs: tuple[int, ...]
    #: per subsystem (ghost): relay parents whose ``StartWork`` it has handled
    started: tuple[int, ...]
    #: relay parents subsystem A has sent its message about (exploration bound: one message)
    sent: int = 0


@attrs.frozen
class Import:
    """A block import event."""

    block: int


@attrs.frozen
class Finalize:
    """A block finalization event."""

    block: int


@attrs.frozen
class Deliver:
    """Subsystem ``subsystem`` handles the oldest entry of its inbox."""

    subsystem: int


@attrs.frozen
class Send:
    """Subsystem A's job on ``block`` sends a message about it to subsystem B, via the overseer."""

    block: int


@register_machine
class OverseerMachine(Machine):
    """Active leaves, StartWork/StopWork signals and message ordering."""

    name = "overseer"
    vector_suite = "node"
    area = "overseer"
    description = "overseer active leaves, StartWork/StopWork and message ordering ([IG §2.6.2])"

    Params = OverseerConfig
    presets = OVERSEER_PRESETS
    default_preset = "tiny"

    def __init__(self, params: OverseerConfig):
        super().__init__(params)

    # -- rules ---------------------------------------------------------------------------------------
    @implements("OVS-1")
    def compute_import(self, leaves: int, block: int) -> tuple[int, int]:
        """OVS-1: the new block becomes a leaf and its parent stops being one.
        Returns (new leaves, deactivated leaves)."""
        parent = self.params.parents[block]
        deactivated = leaves & (1 << parent)
        return (leaves & ~deactivated) | (1 << block), deactivated

    @implements("OVS-2")
    def compute_pruned(self, leaves: int, block: int) -> int:
        """OVS-2: the leaves a finalization of ``block`` deactivates: every leaf of height at
        most the block's, except the block itself."""
        h = self.params.height(block)
        return sum(1 << b for b in range(self.params.n_blocks)
                   if (leaves >> b) & 1 and b != block and self.params.height(b) <= h)

    @implements("OVS-3")
    def compute_signals(self, deactivated: int, activated: int) -> tuple[Message, ...]:
        """OVS-3: ``StopWork`` for every deactivated leaf, then ``StartWork`` for every
        activated one."""
        stops = tuple((int(Signal.STOP_WORK), b) for b in range(self.params.n_blocks) if (deactivated >> b) & 1)
        starts = tuple((int(Signal.START_WORK), b) for b in range(self.params.n_blocks) if (activated >> b) & 1)
        return stops + starts

    @implements("OVS-4")
    def broadcast(self, s: OverseerState, signals: tuple[Message, ...]) -> tuple[tuple[Message, ...], ...]:
        """OVS-4: the signals are queued to every subsystem before anything else is routed."""
        return tuple(q + signals for q in s.inbox)

    @implements("OVS-5")
    def route(self, s: OverseerState, receiver: int, msg: Message) -> tuple[tuple[Message, ...], ...]:
        """OVS-5: a message between subsystems goes through the overseer, behind whatever
        the receiver's inbox already holds."""
        inbox = list(s.inbox)
        inbox[receiver] = inbox[receiver] + (msg,)
        return tuple(inbox)

    # -- machine -----------------------------------------------------------------------------------------
    def init(self):
        k = self.params.n_subsystems
        start = ((int(Signal.START_WORK), 0),)
        yield OverseerState(imported=1, finalized=0, leaves=1, inbox=(start,) * k, jobs=(0,) * k, started=(0,) * k)

    def actions(self, s: OverseerState):
        p = self.params
        for b in range(1, p.n_blocks):
            if not (s.imported >> b) & 1 and (s.imported >> p.parents[b]) & 1:
                yield Import(b)
        for b in range(p.n_blocks):
            if (s.imported >> b) & 1 and b != s.finalized and p.is_ancestor(s.finalized, b):
                yield Finalize(b)
        for i in range(p.n_subsystems):
            if s.inbox[i]:
                yield Deliver(i)
        if s.sent == 0:  # exploration bound: subsystem A sends one message in a run
            for b in range(p.n_blocks):
                if (s.jobs[0] >> b) & 1:
                    yield Send(b)

    def process_import(self, s: OverseerState, a: Import) -> OverseerState:
        block = a.block
        p = self.params
        require(0 < block < p.n_blocks, "OVS-1", f"no block {block}")
        require(not (s.imported >> block) & 1, "OVS-1", f"block {block} already imported")
        require((s.imported >> p.parents[block]) & 1, "OVS-1", f"parent of {block} not imported")
        leaves, deactivated = self.compute_import(s.leaves, block)
        signals = self.compute_signals(deactivated, leaves & ~s.leaves)
        return attrs.evolve(s, imported=s.imported | (1 << block), leaves=leaves, inbox=self.broadcast(s, signals))

    def process_finalize(self, s: OverseerState, a: Finalize) -> OverseerState:
        block = a.block
        p = self.params
        require((s.imported >> block) & 1, "OVS-2", f"block {block} not imported")
        require(block != s.finalized and p.is_ancestor(s.finalized, block), "OVS-2",
                f"block {block} does not extend the finalized block {s.finalized}")
        pruned = self.compute_pruned(s.leaves, block)
        signals = self.compute_signals(pruned, 0)
        return attrs.evolve(s, finalized=block, leaves=s.leaves & ~pruned, inbox=self.broadcast(s, signals))

    def process_deliver(self, s: OverseerState, a: Deliver) -> OverseerState:
        i = a.subsystem
        require(s.inbox[i], "OVS-4", f"subsystem {i} has nothing to handle")
        (kind, b), rest = s.inbox[i][0], s.inbox[i][1:]
        inbox = s.inbox[:i] + (rest,) + s.inbox[i + 1:]
        jobs, started = list(s.jobs), list(s.started)
        if kind == Signal.START_WORK:
            jobs[i] |= 1 << b
            started[i] |= 1 << b
        elif kind == Signal.STOP_WORK:
            jobs[i] &= ~(1 << b)
        # a message for a relay parent without a live job is discarded ([IG §2.6.3])
        return attrs.evolve(s, inbox=inbox, jobs=tuple(jobs), started=tuple(started))

    def process_send(self, s: OverseerState, a: Send) -> OverseerState:
        block = a.block
        require((s.jobs[0] >> block) & 1, "OVS-5", f"subsystem A has no job on {block}")
        require(not (s.sent >> block) & 1, "OVS-5", f"subsystem A already sent its message about {block}")
        return attrs.evolve(s, inbox=self.route(s, 1, (int(Signal.MESSAGE), block)), sent=s.sent | (1 << block))
