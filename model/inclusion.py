"""The inclusion pipeline: [IG §2.3] (candidate lifecycle), [IG §2.5.6–2.5.7].

A candidate moves Candidate → Seconded → Backable (node side), then is Backed by
being noted in a relay-chain block, which makes it Pending availability on its
para's core, and is Included once more than 2/3 of the validators have set its
availability bit. It can fail in four ways (INC-2): not propagated, not backed, not
selected by a block author, or timed out waiting for availability.

The relay-chain block is processed by :meth:`InclusionMachine.process_block` in the
InclusionInherent order (INC-9): bitfields (already applied by ``SignBitfield``
steps), availability and enactment, timeouts, scheduling of freed cores, then the
backed candidates. Rules INC-1 .. INC-9 of ``spec/inclusion.md``.
"""

from __future__ import annotations

import enum

import attrs

from .availability import SignBitfield, bitfield_actions, check_bitfield, counted_bits
from .core import Machine, register_machine, require
from .groups import partition
from .rules import implements
from .space import Space, chain, space, submask
from .thresholds import is_backable, is_more_than_two_thirds

__all__ = [
    "Stage",
    "Outcome",
    "Collate",
    "Second",
    "Valid",
    "Drop",
    "Block",
    "ParaPipeline",
    "PendingAvailability",
    "InclusionState",
    "InclusionMachine",
    "is_candidate_available",
    "is_candidate_timed_out",
]


#: a bitfield space of at most this many inputs is listed once and kept (and at most this many kept)
_LISTED = 4096


@implements("INC-7", "AV-6")
def is_candidate_available(votes: int, n_validators: int) -> bool:
    """INC-7 (AV-6): more than 2/3 of all validators have set the candidate's bit."""
    return is_more_than_two_thirds(votes.bit_count(), n_validators)


@implements("INC-8", "AV-7")
def is_candidate_timed_out(age: int, availability_period: int) -> bool:
    """INC-8 (AV-7): the candidate has been pending for ``availability_period`` blocks."""
    return age >= availability_period


class Stage(enum.IntEnum):
    """Node-side stage of the para's candidate in flight ([IG §2.3] items 1–3)."""

    IDLE = 0
    CANDIDATE = 1
    SECONDED = 2
    BACKABLE = 3


class Outcome(enum.IntEnum):
    """How a candidate left the pipeline: included, or one of the four failure exits."""

    INCLUDED = 1
    NOT_PROPAGATED = 2
    NOT_BACKED = 3
    NOT_SELECTED = 4
    TIMED_OUT = 5


#: which failure exit applies to a candidate dropped at each stage (INC-2)
DROP_EXIT = {
    Stage.CANDIDATE: Outcome.NOT_PROPAGATED,
    Stage.SECONDED: Outcome.NOT_BACKED,
    Stage.BACKABLE: Outcome.NOT_SELECTED,
}


@attrs.frozen
class Collate:
    """A collator produces a candidate for ``para`` and hands it to a validator."""

    #: the para's index, from 0 (para i owns core i)
    para: int


@attrs.frozen
class Second:
    """``validator`` issues ``Seconded(candidate)`` for ``para``'s candidate."""

    #: the para's index, from 0
    para: int
    #: the validator's index in the session's validator set, from 0
    validator: int


@attrs.frozen
class Valid:
    """``validator`` issues ``Valid(candidate)`` for ``para``'s candidate."""

    #: the para's index, from 0
    para: int
    #: the validator's index in the session's validator set, from 0
    validator: int


@attrs.frozen
class Drop:
    """The candidate in flight for ``para`` fails before reaching the relay chain."""

    #: the para's index, from 0
    para: int


@attrs.frozen
class Block:
    """Close the relay-chain block; ``backed`` (a bitmask over paras) names the
    backable candidates the block author put in it."""

    #: bitmask over paras: bit i (value 2**i) set = para i's backable candidate is in the block
    backed: int = 0


@attrs.frozen
class ParaPipeline:
    #: node-side stage of the para's candidate in flight, by name: IDLE (none), CANDIDATE (collated),
    #: SECONDED (at least one statement), BACKABLE (enough statements, INC-4)
    stage: Stage = Stage.IDLE
    #: bitmask over validators: bit v (value 2**v) set = validator v signed a statement (Seconded or
    #: Valid) for the candidate in flight
    statements: int = 0
    #: candidates produced (collated) so far for this para, counting from 1: the candidate in flight,
    #: if any, is number ``produced``, and it is the ``serial`` it gets when backed
    produced: int = 0


@attrs.frozen
class PendingAvailability:
    """``CandidatePendingAvailability`` of [IG §2.5.6], abstracted."""

    #: the para whose candidate occupies the core, from 0
    para: int
    #: which of the para's candidates this is, counting from 1 (the para's ``produced`` when it was
    #: backed); it stands for the candidate hash
    serial: int
    #: availability votes, a bitmask over validators: bit v (value 2**v) set = validator v's bitfield
    #: had this core's bit (``availability_votes`` of ``CandidatePendingAvailability``)
    votes: int = 0
    #: blocks of voting so far: 0 when backed; each Block adds 1 before its timeout check, and the core
    #: is freed in the Block where age + 1 >= ``chain_availability_period`` without > 2/3 of the votes
    age: int = 0


@attrs.frozen(cache_hash=True)
class InclusionState:
    #: one entry per para, index i = para i (node-side: the candidate each para has in flight)
    paras: tuple[ParaPipeline, ...]
    #: one entry per availability core, index i = core i = para i: ``None`` when free
    cores: tuple[PendingAvailability | None, ...]
    #: one more than the last validator whose bitfield the current block carries (AV-3), 0 at the
    #: start of a block: bitfields come in strictly ascending validator order. Not runtime storage
    #: (the runtime takes a block's bitfields in one inherent); a client keeps it in its harness
    signed: int = 0
    #: ghost, per para: how many of its candidates have left the pipeline (included, dropped or timed out)
    exits: tuple[int, ...] = ()
    #: ghost, per para: how its last candidate left, an integer code: 0 none has yet, 1 included,
    #: 2 not propagated, 3 not backed, 4 not selected (the three Drop exits, by stage), 5 timed out
    last_exit: tuple[int, ...] = ()


@register_machine
class InclusionMachine(Machine):
    """Backing, pending availability, enactment and timeout on availability cores."""

    name = "inclusion"
    vector_suite = "protocol"
    handler_suites = {"bitfield": "runtime_module", "block": "runtime_module", "collate": "node", "statement": "node", "drop": "node"}
    area = "inclusion"
    description = "candidate lifecycle and availability cores ([IG §2.3], [IG §2.5.6–2.5.7])"
    #: liveness: weak fairness of relay-chain blocks (``checker.liveness``): blocks keep coming
    fairness = (Block,)
    #: one core per parachain, no parathread cores and no rotation: the other fields of
    #: ``HostConfiguration`` change nothing here
    parameters = ("n_validators", "n_parachains", "chain_availability_period", "backing_threshold",
                  "minimum_backing_votes", "free_core_bit", "max_candidates")
    parameter_conditions = {"minimum_backing_votes": ("backing_threshold", "sdk")}

    def __init__(self, config):
        super().__init__(config)
        n_cores = config.n_parachains
        self.groups = partition(list(range(config.n_validators)), n_cores)
        #: (cores, occupied cores, next validator) -> the bitfield inputs, listed once (a small space)
        self._bitfields: dict[tuple[int, int, int], Space] = {}

    # -- rules --------------------------------------------------------------------------
    @implements("INC-5")
    def core_of(self, para: int) -> int:
        """INC-5: the core scheduled for a parachain (core i belongs to parachain i)."""
        return para

    @implements("INC-3")
    def group_of(self, para: int) -> tuple[int, ...]:
        """INC-3: the validators assigned to the para's core (no rotation in this machine)."""
        return self.groups[self.core_of(para)]

    @implements("INC-4")
    def is_backable(self, statements: int, para: int) -> bool:
        """INC-4: enough valid statements from the assigned group."""
        c = self.config
        return is_backable(statements.bit_count(), len(self.group_of(para)),
                           c.backing_threshold, c.minimum_backing_votes)

    @implements("INC-7", "AV-6")
    def is_available(self, votes: int) -> bool:
        """INC-7 (AV-6): more than 2/3 of all validators hold their piece."""
        return is_candidate_available(votes, self.config.n_validators)

    @implements("INC-8", "AV-7")
    def is_timed_out(self, age: int) -> bool:
        """INC-8 (AV-7): pending for ``chain_availability_period`` blocks."""
        return is_candidate_timed_out(age, self.config.chain_availability_period)

    def check_statement(self, state: InclusionState, para: int, validator: int) -> None:
        require(0 <= para < len(state.paras), "INC-3", f"no para {para}")
        require(validator in self.group_of(para), "INC-3",
                f"validator {validator} is not in the group assigned to para {para}")

    # -- declarations for proofs (``inclusion_proofs``) ------------------------------------
    proofs = ".inclusion_proofs"

    # -- machine --------------------------------------------------------------------------
    def init(self):
        n = self.config.n_parachains
        yield InclusionState(
            paras=tuple(ParaPipeline() for _ in range(n)),
            cores=(None,) * n,
            exits=(0,) * n,
            last_exit=(0,) * n,
        )

    def actions(self, state: InclusionState) -> Space:
        """The node-side inputs, then the bitfields and the blocks (too many to list at the
        ``polkadot`` preset: a :class:`~paraspec.model.space.Space`)."""
        c = self.config
        live = 0
        for i, core in enumerate(state.cores):
            if core is not None:
                live |= 1 << i
        backable = 0
        for p, pp in enumerate(state.paras):
            if pp.stage == Stage.BACKABLE:
                backable |= 1 << p
        # every block backing a subset of the backable paras, in increasing order
        blocks = Space(1 << backable.bit_count(), lambda k: Block(submask(backable, k)))
        not_backable = ((1 << c.n_parachains) - 1) & ~backable
        # INC-4: one block carrying a candidate without backing
        unbacked = [Block(not_backable & -not_backable)] if not_backable else []
        return chain(self._node_actions(state), self._bitfield_space(len(state.cores), live, state.signed),
                     blocks, unbacked)

    def _bitfield_space(self, n_cores: int, live: int, signed: int) -> Space:
        """``bitfield_actions`` of a state, kept (as a listed tuple) when small: the same inputs
        come back in many states, and the explicit search need not build them again."""
        if live.__class__ is not int or signed.__class__ is not int:  # symbolic (``paraspec prove``)
            return bitfield_actions(self.config.n_validators, n_cores, live, signed)
        key = (n_cores, live, signed)
        got = self._bitfields.get(key)
        if got is None:
            got = bitfield_actions(self.config.n_validators, n_cores, live, signed)
            if got.size > _LISTED:
                return got  # too many to list (the ``polkadot`` preset): lazy, not kept
            got = space(tuple(got))
            if len(self._bitfields) >= _LISTED:
                self._bitfields.clear()
            self._bitfields[key] = got
        return got

    def _node_actions(self, state: InclusionState):
        c = self.config
        for p, pp in enumerate(state.paras):
            if pp.stage == Stage.IDLE:
                if pp.produced < c.max_candidates:  # exploration bound
                    yield Collate(p)
            elif pp.stage == Stage.CANDIDATE:
                group = self.group_of(p)
                for v in group:
                    yield Second(p, v)
                outsider = next((v for v in range(c.n_validators) if v not in group), None)
                if outsider is not None:  # INC-3: one statement from outside the group
                    yield Second(p, outsider)
                yield Drop(p)
            else:
                for v in self.group_of(p):
                    if not (pp.statements >> v) & 1:
                        yield Valid(p, v)
                yield Drop(p)

    # -- transitions: one ``process_<input>`` per input class (``Machine.step`` dispatches) ----------

    # -- node side: the candidate before the relay chain ------------------------------------
    def _set_para(self, state: InclusionState, para: int, pp: ParaPipeline, outcome: int | None = None):
        paras = state.paras[:para] + (pp,) + state.paras[para + 1:]
        # the constructor, not ``attrs.evolve``: this is the hot path of the explicit search
        if outcome is None:
            return InclusionState(paras, state.cores, state.signed, state.exits, state.last_exit)
        exits = state.exits[:para] + (state.exits[para] + 1,) + state.exits[para + 1:]
        last = state.last_exit[:para] + (int(outcome),) + state.last_exit[para + 1:]
        return InclusionState(paras, state.cores, state.signed, exits, last)

    def process_collate(self, state: InclusionState, a: Collate) -> InclusionState:
        para = a.para
        require(0 <= para < len(state.paras), "INC-1", f"no para {para}")
        pp = state.paras[para]
        require(pp.stage == Stage.IDLE, "INC-1", f"para {para} already has a candidate in flight")
        return self._set_para(state, para, ParaPipeline(Stage.CANDIDATE, 0, pp.produced + 1))

    def process_second(self, state: InclusionState, a: Second) -> InclusionState:
        para, validator = a.para, a.validator
        self.check_statement(state, para, validator)
        pp = state.paras[para]
        require(pp.stage == Stage.CANDIDATE, "INC-1", f"para {para}'s candidate is not awaiting a second")
        stmts = 1 << validator
        stage = Stage.BACKABLE if self.is_backable(stmts, para) else Stage.SECONDED
        return self._set_para(state, para, ParaPipeline(stage, stmts, pp.produced))

    def process_valid(self, state: InclusionState, a: Valid) -> InclusionState:
        para, validator = a.para, a.validator
        self.check_statement(state, para, validator)
        pp = state.paras[para]
        require(pp.stage in (Stage.SECONDED, Stage.BACKABLE), "INC-1",
                f"para {para}'s candidate has not been seconded")
        stmts = pp.statements | (1 << validator)
        stage = Stage.BACKABLE if self.is_backable(stmts, para) else Stage.SECONDED
        return self._set_para(state, para, ParaPipeline(stage, stmts, pp.produced))

    def process_drop(self, state: InclusionState, a: Drop) -> InclusionState:
        para = a.para
        require(0 <= para < len(state.paras), "INC-2", f"no para {para}")
        pp = state.paras[para]
        require(pp.stage != Stage.IDLE, "INC-2", f"para {para} has no candidate in flight")
        return self._set_para(state, para, ParaPipeline(Stage.IDLE, 0, pp.produced), DROP_EXIT[pp.stage])

    # -- relay chain: the inclusion inherent -------------------------------------------------
    def process_sign_bitfield(self, state: InclusionState, bf: SignBitfield) -> InclusionState:
        """``process_bitfields`` for one bitfield ([IG §2.5.6] steps 1–5)."""
        check_bitfield(bf, self.config.n_validators, len(state.cores), state.signed)
        signed = bf.validator + 1
        live = 0
        for i, core in enumerate(state.cores):
            if core is not None:
                live |= 1 << i
        bits = counted_bits(bf, live, self.config.free_core_bit)
        # the constructors, not ``attrs.evolve``: this is the hot path of the explicit search
        if not bits:  # AV-5: disregarded
            return InclusionState(state.paras, state.cores, signed, state.exits, state.last_exit)
        bit = 1 << bf.validator
        cores = tuple(
            PendingAvailability(core.para, core.serial, core.votes | bit, core.age) if (bits >> i) & 1 else core
            for i, core in enumerate(state.cores)
        )
        return InclusionState(state.paras, cores, signed, state.exits, state.last_exit)

    @implements("INC-9")
    def process_block(self, state: InclusionState, a: Block) -> InclusionState:
        """The inclusion inherent's block-level steps, in the seed's order (INC-9)."""
        backed = a.backed
        n_paras = len(state.paras)
        require(0 <= backed < (1 << n_paras), "INC-5", f"backed mask {backed} names no para")
        cores = list(state.cores)
        exits = list(state.exits)
        last_exit = list(state.last_exit)
        # 1. availability: enact candidates with > 2/3 of the bits, free their cores
        # 2. timeouts (collect_pending): free cores whose candidate waited too long
        for i, core in enumerate(cores):
            if core is None:
                continue
            age = core.age + 1
            if self.is_available(core.votes):
                exits[core.para] += 1
                last_exit[core.para] = Outcome.INCLUDED
                cores[i] = None
            elif self.is_timed_out(age):
                exits[core.para] += 1
                last_exit[core.para] = Outcome.TIMED_OUT
                cores[i] = None
            else:
                cores[i] = PendingAvailability(core.para, core.serial, core.votes, age)
        # 3. schedule: every free parachain core is scheduled for its para
        scheduled = {i for i, core in enumerate(cores) if core is None}
        # 4. process_candidates: each backed candidate occupies its para's scheduled core
        paras = list(state.paras)
        for p in range(n_paras):
            if not (backed >> p) & 1:
                continue
            pp = paras[p]
            require(pp.stage == Stage.BACKABLE, "INC-4", f"para {p}'s candidate lacks backing")
            core = self.core_of(p)
            require(core in scheduled, "INC-5", f"core {core} of para {p} is not free")
            require(self.may_occupy(cores, p), "INC-6", f"para {p} already has a candidate pending availability")
            cores[core] = PendingAvailability(p, pp.produced)
            paras[p] = ParaPipeline(Stage.IDLE, 0, pp.produced)
        return InclusionState(
            paras=tuple(paras),
            cores=tuple(cores),
            signed=0,
            exits=tuple(exits),
            last_exit=tuple(int(x) for x in last_exit),
        )

    @implements("INC-6")
    def may_occupy(self, cores, para: int) -> bool:
        """INC-6: at most one candidate pending availability per para."""
        return all(c is None or c.para != para for c in cores)
