"""The vector format's fields, rejection rules and abstractions -> polkadot-sdk: the data of the
mapping table that ``paraspec vectors mapping`` renders into ``docs/vectors-mapping.md``
(``checker.vectors.mapping`` says how). Protocol knowledge, so it lives with the model: the
sdk names were read from polkadot-sdk's ``master`` (2025), ``polkadot/runtime/parachains/src/``
([SDK] in ``spec/sources.md``)."""

from __future__ import annotations

__all__ = ["FIELDS", "ERRORS", "ABSTRACTIONS"]

#: (machine, generalized JSON path) -> (polkadot-sdk item, note). A path covers the fields under it.
FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    # -- runtime: pre_state / post_state ---------------------------------------------------------
    ("runtime", "now"): ("frame_system::Number (block_number())", "the last block applied; the case's block is now + 1"),
    ("runtime", "session"): ("shared::CurrentSessionIndex", "sessions started since genesis"),
    ("runtime", "validators"): ("shared::ActiveValidatorIndices / ActiveValidatorKeys",
                                "position = ValidatorIndex; the value is an account id"),
    ("runtime", "queued"): ("session::QueuedKeys (the next session's validators)", ""),
    ("runtime", "random_seed"): ("the session change's random_seed (SessionChangeNotification)", "the shuffle seed"),
    ("runtime", "configuration.current"): ("configuration::ActiveConfig", "HostConfiguration; see config.json"),
    ("runtime", "configuration.pending"): ("configuration::PendingConfigs",
                                           "[session, configuration], ascending: session + 1 under reading=seed, "
                                           "session + 2 (SESSION_DELAY) under reading=sdk (CFG-7)"),
    ("runtime", "paras.parachains"): ("paras::Parachains", "sorted para ids"),
    ("runtime", "paras.parathreads"): ("paras::ParaLifecycles (on-demand / parathread entries)",
                                       "older sdk: paras::Parathreads"),
    ("runtime", "paras.heads"): ("paras::Heads", "[para, head] pairs; a head is an integer standing for HeadData"),
    ("runtime", "paras.code"): ("paras::CurrentCodeHash (+ CodeByHash)", "[para, code]: code stands for the hash"),
    ("runtime", "paras.past_code"): ("paras::PastCodeHash", "[[para, at], code]"),
    ("runtime", "paras.past_code_meta"): ("paras::PastCodeMeta", "upgrade_times and last_pruned per para"),
    ("runtime", "paras.past_code_pruning"): ("paras::PastCodePruning", "[para, activated_at]"),
    ("runtime", "paras.future_code_upgrades"): ("paras::FutureCodeUpgrades", "[para, expected_at]"),
    ("runtime", "paras.future_code"): ("paras::FutureCodeHash", "[para, code]"),
    ("runtime", "paras.upcoming"): ("paras::UpcomingParasGenesis (lifecycle Onboarding)",
                                    "registered at the session its actions_queue entry names"),
    ("runtime", "paras.outgoing"): ("paras::ParaLifecycles (OffboardingParachain / OffboardingParathread)",
                                    "cleaned up at the session its actions_queue entry names"),
    ("runtime", "paras.actions_queue"): ("paras::ActionsQueue", "[session, para]: session + 1 under reading=seed, "
                                         "session + 2 (SESSION_DELAY) under reading=sdk (PAR-10)"),
    ("runtime", "paras.replacements"): ("model only (ghost)", "the history of code replacements; ignore it"),
    ("runtime", "scheduler.groups"): ("scheduler::ValidatorGroups", "group g = list of ValidatorIndex"),
    ("runtime", "scheduler.queue"): ("scheduler::ParathreadQueue (older sdk; on-demand: OnDemandQueue)", ""),
    ("runtime", "scheduler.next_core_offset"): ("scheduler::ParathreadQueue.next_core_offset (older sdk)", ""),
    ("runtime", "scheduler.cores"): ("scheduler::AvailabilityCores (older sdk; now derived from "
                                     "inclusion::PendingAvailability)", "null = free"),
    ("runtime", "scheduler.claim_index"): ("scheduler::ParathreadClaimIndex (older sdk)", ""),
    ("runtime", "scheduler.session_start"): ("scheduler::SessionStartBlock", "rotations count from here"),
    ("runtime", "scheduler.scheduled"): ("scheduler::Scheduled (older sdk; now scheduler::ClaimQueue)",
                                         "the cores scheduled for the current block"),
    ("runtime", "inclusion.pending"): ("inclusion::PendingAvailability (CandidatePendingAvailability)",
                                       "[para, entry]; runtime API availability_cores() shows it as Occupied"),
    ("runtime", "has_initialized"): ("initializer::HasInitialized", "false between blocks"),
    ("runtime", "included"): ("paras_inherent::Included", "false between blocks"),
    ("runtime", "disputable"): ("disputes::Included", "[session, para, backed_in]: the candidates the chain backed in this "
                                "and the previous session, which a dispute may name; backed_in - 1 is the revert point"),
    ("runtime", "disputes"): ("disputes::Disputes (DisputeState); runtime API disputes()",
                              "[[session, para, backed_in], state]: votes_for / votes_against bitmasks, start, "
                              "concluded_at, outcome code (0 none, 1 valid, 2 invalid, 3 invalid no slash, 4 both)"),
    ("runtime", "frozen"): ("disputes::Frozen (and the header digest ConsensusLog::Revert)",
                            "the block the chain reverted to; null when it has not"),
    ("runtime", "events"): ("frame_system::Events (the module events, in order)",
                            "the names, their order and their arguments are listed in docs/vectors.md (Runtime events)"),
    ("runtime", "notification"): ("initializer::SessionChangeNotification of the block", "null when none"),
    # -- runtime: input (one relay-chain block) ---------------------------------------------------
    ("runtime", "input.session_change"): ("initializer::on_new_session / BufferedSessionChanges",
                                          "the session pallet's change, delivered before initialization"),
    ("runtime", "input.session_change_after_init"): ("model only", "a delivery after initialization (INI-3): "
                                                     "the sdk buffers; a client rejects it in its harness"),
    ("runtime", "input.inherents"): ("paras_inherent::enter(ParachainsInherentData)",
                                     "one entry per call; exactly one is valid (INC-29)"),
    ("runtime", "input.inherents[].bitfields"): ("ParachainsInherentData.bitfields (SignedAvailabilityBitfields)", ""),
    ("runtime", "input.inherents[].backed"): ("ParachainsInherentData.backed_candidates", ""),
    ("runtime", "input.inherents[].disputes"): ("ParachainsInherentData.disputes (MultiDisputeStatementSet)",
                                                "processed first; the candidate is (para, backed_in), the session is "
                                                "DisputeStatementSet.session, statements are the valid/invalid bitmasks"),
    ("runtime", "input.calls"): ("extrinsics: configuration::set_*, paras::force_queue_action / "
                                 "registrar, on-demand place_order", "each fails alone (RT-3)"),
    # -- spine machines ------------------------------------------------------------------------------
    ("inclusion", "cores"): ("inclusion::PendingAvailability (runtime API availability_cores())", "null = free"),
    ("inclusion", "cores[].votes"): ("CandidatePendingAvailability.availability_votes", "bit v = ValidatorIndex v"),
    ("inclusion", "cores[].age"): ("now - CandidatePendingAvailability.backed_in_number", "blocks since backed"),
    ("inclusion", "cores[].serial"): ("CandidatePendingAvailability.hash", "an integer standing for the hash"),
    ("inclusion", "cores[].para"): ("CandidatePendingAvailability.descriptor.para_id", ""),
    ("inclusion", "paras"): ("node side (collator protocol, candidate backing subsystem)", "no runtime storage"),
    ("inclusion", "signed"): ("model only", "the block's bitfield order; the runtime takes them in one inherent"),
    ("inclusion", "exits"): ("model only (ghost)", ""),
    ("inclusion", "last_exit"): ("events CandidateIncluded (1) / CandidateTimedOut (5); node-side drops (2-4)", ""),
    ("availability", "paras"): ("inclusion::PendingAvailability, per para", "status, votes and age as above"),
    ("availability", "paras[].enacted"): ("model only (ghost)", "which candidates became available"),
    ("availability", "paras[].timed_out"): ("model only (ghost)", ""),
    ("availability", "signed"): ("model only", "as inclusion.signed"),
}

#: rule ID -> (the sdk's error or behaviour, where)
ERRORS: dict[str, tuple[str, str]] = {
    "AV-1": ("ValidatorIndexOutOfBounds", "inclusion::Error (sanitize_bitfields drops the bitfield in current sdk)"),
    "AV-2": ("WrongBitfieldSize", "older inclusion::Error; current sdk: sanitize_bitfields drops it"),
    "AV-3": ("BitfieldDuplicateOrUnordered", "older inclusion::Error; current sdk: sanitize_bitfields drops it"),
    "AV-4": ("InvalidBitfieldSignature", "older inclusion::Error; current sdk: sanitize_bitfields drops it"),
    "AV-5": ("UnoccupiedBitInBitfield", "older inclusion::Error (free_core_bit=reject); current sdk drops it"),
    "AV-10": ("CandidateScheduledBeforeParaFree", "older inclusion::Error"),
    "INC-4": ("InsufficientBacking", "inclusion::Error"),
    "INC-5": ("UnscheduledCandidate", "inclusion::Error / paras_inherent::Error"),
    "INC-6": ("CandidateScheduledBeforeParaFree", "older inclusion::Error"),
    "INC-23": ("UnscheduledCandidate, or ScheduledOutOfOrder (older)", "inclusion::Error; current sdk: "
               "CandidatesFilteredDuringExecution when sanitising drops one at execution"),
    "INC-24": ("PrematureCodeUpgrade", "inclusion::Error"),
    "INC-25": ("InsufficientBacking / InvalidBacking / InvalidGroupIndex", "inclusion::Error"),
    "INC-29": ("TooManyInclusionInherents (twice); a panic at on_finalize when Included is unset (never)",
               "paras_inherent::Error"),
    "INC-32": ("DuplicateDisputeStatementSets / ValidatorIndexOutOfBounds / SingleSidedDispute",
               "disputes::Error (current sdk: filter_dispute_data drops the set when the block is authored); "
               "a set naming a candidate the chain never backed is a remote dispute, which the sdk accepts and the "
               "model leaves to the disputes machine"),
    "DSP-9": ("AncientDisputeStatement", "disputes::Error (statements of a session older than dispute_period)"),
    "DSP-7": ("model only (reading=seed: no block builds on a reverted chain)",
              "sdk: the chain is Frozen and its inherents carry disputes only (DSP-13)"),
    "INI-3": ("model only", "the initializer buffers a session change until the next block"),
    "INI-5": ("model only", "a session with no validators cannot be produced by the session pallet"),
    "PAR-1": ("registrar / paras errors (e.g. CannotOnboard)", "paras::Error"),
    "PAR-2": ("CannotOffboard", "paras::Error"),
    "PAR-6": ("model only", "validation_code_at's argument check; the runtime API returns None"),
    "RT-3": ("the extrinsic's own DispatchError", "the block goes on"),
    "SCH-7": ("on-demand / parathread claim errors (older: ParathreadClaim rejected)", ""),
    "SCH-8": ("the queue is full (on-demand: QueueFull)", ""),
    "SCH-9": ("model only (a scheduler assertion)", ""),
    "CFG-1": ("InvalidNewValue", "configuration::Error"),
    "CFG-6": ("InvalidNewValue", "configuration::Error"),
    "CFG-2": ("model only", "a setter for a field the configuration does not have: no such call exists"),
    "CFG-3": ("BadOrigin", "frame_support::DispatchError"),
    "INC-1": ("node side", "no runtime error: the candidate never reaches the runtime"),
    "INC-2": ("node side", ""),
    "INC-3": ("node side (backing subsystem)", "the runtime's counterpart is INC-25"),
}

#: (abstraction, what it stands for, how a client fakes it)
ABSTRACTIONS: list[tuple[str, str, str]] = [
    ("`signer` of a bitfield or statement", "the signature: signer == validator is a good one",
     "sign with signer's key in the harness, or stub the signature check to compare the two indices"),
    ("`bits` of a bitfield", "the validator holds its erasure piece of each set core's candidate",
     "no erasure coding: set the bitfield's bits directly"),
    ("`head`, `code`, `serial`, candidate numbers", "hashes (HeadData, ValidationCodeHash, CandidateHash)",
     "map each integer to a fixed fake hash (e.g. blake2 of its decimal text)"),
    ("validators as integers", "ValidatorId keys; the index is the position in the active set",
     "generate one key per integer"),
    ("`statements`, `votes` bitmasks", "BitVec<u8, Lsb0> of the sdk", "bit i of the integer = bit i of the BitVec"),
    ("`events` names", "frame_system events", "compare the names' order"),
    ("a dispute's candidate `(para, backed_in)`", "its CandidateHash", "keep a map from (para, block backed in) to "
     "the hash of the candidate your runtime backed there"),
    ("`valid` / `invalid` of a dispute statement set", "signed DisputeStatements (BackingValid / Explicit valid and "
     "invalid kinds)", "one statement per set bit, signed by that validator's key in the harness"),
]
