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

from .availability import SignBitfield, bitfield_action_space, bitfield_actions, bitfield_explored, bitfield_guards, \
    counted_bits
from .core import Machine, register_machine, require
from .groups import partition
from .logic import And, Not, Or, and_then, is_present, ite, opt_ite, opt_map, popcount
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
    return is_more_than_two_thirds(popcount(votes), n_validators)


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


def drop_exit(stage):
    """INC-2: the exit code (:data:`DROP_EXIT`) of a candidate dropped at ``stage`` (dual-use:
    ``stage`` may be a frontier's array)."""
    out = 0
    for st, o in DROP_EXIT.items():
        out = ite(stage == st, int(o), out)
    return out


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
    #: the inputs, by name (``step`` is the machine's own, guards then effect, so the contract
    #: cannot read them off its ``process_<input>`` methods)
    action_classes = {c.__name__: c for c in (Block, Collate, Drop, Second, SignBitfield, Valid)}
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


    # -- rules (methods, so mutants can override one) -------------------------------------
    # Field arithmetic with the helpers of ``model.logic``: each runs on one state (ints: the
    # interpreter and the explicit engine), on a whole frontier (numpy arrays in the fields, an
    # optional core as ``logic.OptionalBatch``: ``checker.vector``) and in the symbolic executor,
    # so every engine runs this one text.
    @implements("INC-5")
    def core_of(self, para: int) -> int:
        """INC-5: the core scheduled for a parachain (core i belongs to parachain i)."""
        return para

    @implements("INC-3")
    def group_of(self, para: int) -> tuple[int, ...]:
        """INC-3: the validators assigned to the para's core (no rotation in this machine)."""
        return self.groups[self.core_of(para)]

    @implements("INC-4")
    def is_backable(self, statements, para: int):
        """INC-4: enough valid statements from the assigned group."""
        c = self.config
        return is_backable(popcount(statements), len(self.group_of(para)),
                           c.backing_threshold, c.minimum_backing_votes)

    def may_back(self, pp: ParaPipeline, para: int):
        """INC-4 (the guard of ``process_candidates`` that names it): a block may carry the para's
        candidate only once it is backable. Not a traced rule predicate: a rejected block's vector
        case reads "its guard rejects the input", as before the machine was vectorized."""
        return pp.stage == Stage.BACKABLE

    @implements("INC-7", "AV-6")
    def is_available(self, votes):
        """INC-7 (AV-6): more than 2/3 of all validators hold their piece."""
        return is_candidate_available(votes, self.config.n_validators)

    @implements("INC-8", "AV-7")
    def is_timed_out(self, age):
        """INC-8 (AV-7): pending for ``chain_availability_period`` blocks."""
        return is_candidate_timed_out(age, self.config.chain_availability_period)

    @implements("INC-3")
    def statement_guards(self, state: InclusionState, para: int, validator: int) -> list:
        """INC-3 as guards: the para exists and the validator is in its assigned group."""
        ok = 0 <= para < len(state.paras)
        return [(ok, "INC-3", f"no para {para}"),
                (ok and validator in self.group_of(para), "INC-3",
                 f"validator {validator} is not in the group assigned to para {para}")]

    def check_statement(self, state: InclusionState, para: int, validator: int) -> None:
        """INC-3 (:meth:`statement_guards`); raises Rejected."""
        for cond, rule, reason in self.statement_guards(state, para, validator):
            require(cond, rule, reason)

    def bitfield_guards(self, state: InclusionState, bf: SignBitfield) -> list:
        """AV-1 .. AV-4 (:func:`~model.availability.bitfield_guards`) against the block's bitfields so far."""
        return bitfield_guards(bf, self.config.n_validators, len(state.cores), state.signed)

    @implements("INC-6")
    def may_occupy(self, cores, para: int):
        """INC-6: at most one candidate pending availability per para."""
        return And(*[Or(Not(is_present(c)), c.para != para) for c in cores if c is not None])

    def occupied(self, cores):
        """The bitmask of the occupied cores."""
        live = 0
        for i, core in enumerate(cores):
            if core is not None:
                live = live | ite(is_present(core), 1 << i, 0)
        return live

    def backable_mask(self, state: InclusionState):
        """The bitmask of the paras whose candidate is backable."""
        backable = 0
        for p, pp in enumerate(state.paras):
            backable = backable | ite(pp.stage == Stage.BACKABLE, 1 << p, 0)
        return backable

    def settle(self, state: InclusionState):
        """INC-9 steps 1–2 of a block: enact the candidates with > 2/3 of the bits (INC-7), time
        out the others that have waited ``chain_availability_period`` blocks (INC-8), freeing their
        cores; the rest age by one block. Returns (cores, exits, last_exit) as lists."""
        cores = list(state.cores)
        exits = list(state.exits)
        last = list(state.last_exit)
        n_paras = len(exits)
        for i, core in enumerate(state.cores):
            if core is None:
                continue
            present = is_present(core)
            age = core.age + 1
            avail = and_then(present, lambda: self.is_available(core.votes))
            timed = and_then(And(present, Not(avail)), lambda: self.is_timed_out(age))
            out = Or(avail, timed)
            if out.__class__ is bool and not out:  # one state, the candidate stays: it ages
                cores[i] = PendingAvailability(core.para, core.serial, core.votes, age)
                continue
            outcome = ite(avail, int(Outcome.INCLUDED), int(Outcome.TIMED_OUT))
            for p in range(n_paras):
                hit = And(out, core.para == p)
                exits[p] = exits[p] + ite(hit, 1, 0)
                last[p] = ite(hit, outcome, last[p])
            cores[i] = opt_ite(out, None,
                               opt_map(core, lambda c: PendingAvailability(c.para, c.serial, c.votes, c.age + 1)))
        return cores, exits, last

    # -- declarations for proofs (``inclusion_proofs``) ------------------------------------
    proofs = ".inclusion_proofs"

    # -- the compact layout and the fixed action space (``checker.vector``) ---------------------
    #: the vectorized engine may run this machine (when its layout fits 63 bits)
    vectorized = True
    state_class = InclusionState

    def layout(self):
        """Bits of each field (``checker.packing``): per para its stage, statements (one bit per
        validator) and ``produced``; per core a presence bit and the pending candidate's para,
        serial, votes and age; ``signed``; per para the ghost exit count and last exit. None when
        it needs more than 63 bits (the ``polkadot`` preset): the engines then fingerprint the state."""
        c = self.config
        n, k, mc = c.n_validators, c.n_parachains, c.max_candidates
        paras = (("stage", 2), ("statements", n), ("produced", mc.bit_length()))
        cores = (("para", max(1, (k - 1).bit_length())), ("serial", mc.bit_length()), ("votes", n),
                 ("age", c.chain_availability_period.bit_length()))
        exits = (2 * mc + 2).bit_length()
        bits = k * (sum(b for _, b in paras) + 1 + sum(b for _, b in cores) + exits + 3) + n.bit_length()
        if bits > 63:
            return None
        return (("paras", paras), ("cores", cores, PendingAvailability), ("signed", n.bit_length()),
                ("exits", exits), ("last_exit", 3))

    def _outsider(self, para: int):
        group = self.group_of(para)
        return next((v for v in range(self.config.n_validators) if v not in group), None)

    def action_space(self) -> tuple:
        """Every input :meth:`actions` may try, in any state: the node-side inputs of each para, the
        bitfields of :func:`~model.availability.bitfield_action_space` and each backed mask.
        :meth:`explored` says which of them ``actions`` tries in a given state."""
        c = self.config
        acts: list = []
        for p in range(c.n_parachains):
            acts.append(Collate(p))
            acts += [Second(p, v) for v in self.group_of(p)]
            if self._outsider(p) is not None:
                acts.append(Second(p, self._outsider(p)))
            acts += [Valid(p, v) for v in self.group_of(p)]
            acts.append(Drop(p))
        acts += bitfield_action_space(c.n_validators, c.n_parachains)
        acts += [Block(b) for b in range(1 << c.n_parachains)]
        return tuple(acts)

    def explored(self, state: InclusionState, a) -> list:
        """Whether :meth:`actions` tries the input ``a`` of :meth:`action_space` in ``state``, as a
        guard with rule ``None`` (the search's choice of inputs, not a protocol rule)."""
        c = self.config
        if isinstance(a, SignBitfield):
            return bitfield_explored(a, c.n_validators, c.n_parachains, self.occupied(state.cores), state.signed)
        if isinstance(a, Block):
            backable = self.backable_mask(state)
            others = ((1 << c.n_parachains) - 1) & ~backable
            # every subset of the backable paras, and one block carrying the first other para (INC-4)
            return [(Or(a.backed & ~backable == 0, a.backed == others & -others), None, "not a block tried here")]
        pp = state.paras[a.para]
        if isinstance(a, Collate):  # exploration bound: at most max_candidates per para
            return [(And(pp.stage == Stage.IDLE, pp.produced < c.max_candidates), None, "no collation here")]
        if isinstance(a, Second):
            return [(pp.stage == Stage.CANDIDATE, None, "no candidate awaiting a second")]
        if isinstance(a, Valid):
            return [(And(Or(pp.stage == Stage.SECONDED, pp.stage == Stage.BACKABLE),
                         (pp.statements >> a.validator) & 1 == 0), None, "no statement to add")]
        return [(pp.stage != Stage.IDLE, None, "nothing to drop")]

    def rule_guards(self, state: InclusionState, a):
        """The conditions an input needs, each with the rule that rejects it otherwise, in the
        order they are checked. A generator: :meth:`step` stops at the first that fails, so the
        later ones are not evaluated (as in a chain of ``require``)."""
        c = self.config
        n_paras = len(state.paras)
        if isinstance(a, SignBitfield):
            yield from self.bitfield_guards(state, a)
            if c.free_core_bit == "reject":
                free = a.bits & ~self.occupied(state.cores)
                yield free == 0, "AV-5", "a bit set for a core with no candidate pending availability"
        elif isinstance(a, Block):
            backed = a.backed
            yield 0 <= backed < (1 << n_paras), "INC-5", f"backed mask {backed} names no para"
            cores = self.settle(state)[0]
            # 3. schedule: every free parachain core is scheduled for its para
            scheduled = [Not(is_present(core)) for core in cores]
            # 4. process_candidates: each backed candidate occupies its para's scheduled core
            for p in range(n_paras):
                if not (backed >> p) & 1:
                    continue
                pp = state.paras[p]
                yield self.may_back(pp, p), "INC-4", f"para {p}'s candidate lacks backing"
                core = self.core_of(p)
                yield scheduled[core], "INC-5", f"core {core} of para {p} is not free"
                yield self.may_occupy(cores, p), "INC-6", f"para {p} already has a candidate pending availability"
                cores[core] = PendingAvailability(p, pp.produced)
        elif isinstance(a, Collate):
            ok = 0 <= a.para < n_paras
            yield ok, "INC-1", f"no para {a.para}"
            yield ok and state.paras[a.para].stage == Stage.IDLE, "INC-1", \
                f"para {a.para} already has a candidate in flight"
        elif isinstance(a, (Second, Valid)):
            yield from self.statement_guards(state, a.para, a.validator)
            stage = state.paras[a.para].stage
            if isinstance(a, Second):
                yield stage == Stage.CANDIDATE, "INC-1", f"para {a.para}'s candidate is not awaiting a second"
            else:
                yield Or(stage == Stage.SECONDED, stage == Stage.BACKABLE), "INC-1", \
                    f"para {a.para}'s candidate has not been seconded"
        elif isinstance(a, Drop):
            ok = 0 <= a.para < n_paras
            yield ok, "INC-2", f"no para {a.para}"
            yield ok and state.paras[a.para].stage != Stage.IDLE, "INC-2", f"para {a.para} has no candidate in flight"

    def guards(self, state: InclusionState, a) -> list:
        """What the vectorized engine evaluates on a frontier: :meth:`explored` (rule ``None``)
        then :meth:`rule_guards`."""
        return self.explored(state, a) + list(self.rule_guards(state, a))

    def effect(self, state: InclusionState, a) -> InclusionState:
        """The next state of an input its guards accept: its ``process_<input>`` (the dispatch
        of :meth:`Machine.step`), on one state or on a whole frontier."""
        return super().step(state, a)

    def step(self, state: InclusionState, a) -> InclusionState:
        """The rule guards, then the effect (kept apart, as in ``availability``: on a frontier
        ``require`` cannot branch, so the vectorized engine masks by the guards instead)."""
        for cond, rule, reason in self.rule_guards(state, a):
            require(cond, rule, reason)
        return self.effect(state, a)

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
                outsider = self._outsider(p)
                if outsider is not None:  # INC-3: one statement from outside the group
                    yield Second(p, outsider)
                yield Drop(p)
            else:
                for v in self.group_of(p):
                    if not (pp.statements >> v) & 1:
                        yield Valid(p, v)
                yield Drop(p)

    # -- transitions: one ``process_<input>`` per input class (``effect`` dispatches), after the guards --

    # -- node side: the candidate before the relay chain ------------------------------------
    def _set_para(self, state: InclusionState, para: int, pp: ParaPipeline, outcome=None):
        paras = state.paras[:para] + (pp,) + state.paras[para + 1:]
        # the constructor, not ``attrs.evolve``: this is the hot path of the explicit search
        if outcome is None:
            return InclusionState(paras, state.cores, state.signed, state.exits, state.last_exit)
        exits = state.exits[:para] + (state.exits[para] + 1,) + state.exits[para + 1:]
        last = state.last_exit[:para] + (outcome,) + state.last_exit[para + 1:]
        return InclusionState(paras, state.cores, state.signed, exits, last)

    def process_collate(self, state: InclusionState, a: Collate) -> InclusionState:
        """INC-1: a new candidate in flight for the para (its guards: the para is idle)."""
        pp = state.paras[a.para]
        return self._set_para(state, a.para, ParaPipeline(Stage.CANDIDATE, 0, pp.produced + 1))

    def _stage(self, stmts, para: int):
        """INC-4: backable once the statements back it, else seconded."""
        return ite(self.is_backable(stmts, para), Stage.BACKABLE, Stage.SECONDED)

    def process_second(self, state: InclusionState, a: Second) -> InclusionState:
        stmts = 1 << a.validator
        pp = state.paras[a.para]
        return self._set_para(state, a.para, ParaPipeline(self._stage(stmts, a.para), stmts, pp.produced))

    def process_valid(self, state: InclusionState, a: Valid) -> InclusionState:
        pp = state.paras[a.para]
        stmts = pp.statements | (1 << a.validator)
        return self._set_para(state, a.para, ParaPipeline(self._stage(stmts, a.para), stmts, pp.produced))

    def process_drop(self, state: InclusionState, a: Drop) -> InclusionState:
        """INC-2: the candidate in flight leaves by the exit of its stage."""
        pp = state.paras[a.para]
        return self._set_para(state, a.para, ParaPipeline(Stage.IDLE, 0, pp.produced), drop_exit(pp.stage))

    # -- relay chain: the inclusion inherent -------------------------------------------------
    def process_sign_bitfield(self, state: InclusionState, bf: SignBitfield) -> InclusionState:
        """``process_bitfields`` for one bitfield ([IG §2.5.6] steps 1–5), after the AV-1 .. AV-4
        guards: its counted bits (AV-5) become its validator's votes on the occupied cores."""
        signed = bf.validator + 1
        bits = counted_bits(bf, self.occupied(state.cores), self.config.free_core_bit)
        # the constructors, not ``attrs.evolve``: this is the hot path of the explicit search
        if bits.__class__ is int and not bits:  # AV-5: disregarded
            return InclusionState(state.paras, state.cores, signed, state.exits, state.last_exit)
        bit = 1 << bf.validator
        cores = tuple(
            opt_map(core, lambda c, i=i: PendingAvailability(c.para, c.serial, c.votes | ite((bits >> i) & 1 == 1,
                                                                                          bit, 0), c.age))
            for i, core in enumerate(state.cores))
        return InclusionState(state.paras, cores, signed, state.exits, state.last_exit)

    @implements("INC-9")
    def process_block(self, state: InclusionState, a: Block) -> InclusionState:
        """The inclusion inherent's block-level steps, in the seed's order (INC-9): availability and
        timeouts (:meth:`settle`), then every free core is scheduled for its para and each backed
        candidate occupies its para's core (INC-4 .. INC-6 are guards)."""
        cores, exits, last = self.settle(state)
        paras = list(state.paras)
        for p in range(len(paras)):
            if not (a.backed >> p) & 1:
                continue
            pp = paras[p]
            cores[self.core_of(p)] = PendingAvailability(p, pp.produced)
            paras[p] = ParaPipeline(Stage.IDLE, 0, pp.produced)
        return InclusionState(paras=tuple(paras), cores=tuple(cores), signed=0, exits=tuple(exits),
                              last_exit=tuple(last))
