"""What every field of ``<preset>/<machine>/config.json`` means: unit, meaning, polkadot-sdk name.

``config.json`` holds ``preset`` and the value of every parameter the machine honours
(``Machine.parameter_values()``: a field the machine ignores is not recorded). The
``HostConfiguration`` fields (the runtime-side machines: ``availability``, ``inclusion``,
``paras``, ``scheduler``, ``configuration``, ``runtime``) are documented here, all of them;
the other machines' own parameters are documented on their fields (``#:`` comments of
their ``Params`` class). Both go into ``config.schema.json`` and the mapping document.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["HOST_FIELDS", "config_schema", "field_doc"]

#: HostConfiguration field -> (unit, meaning, polkadot-sdk HostConfiguration field or "model only")
HOST_FIELDS: dict[str, tuple[str, str, str]] = {
    "preset": ("name", "the preset the values came from (`paraspec list` shows a machine's presets); "
               "every other field is recorded as used, so a client needs only the values", "-"),
    "reading": ("seed | sdk", "the reading of the whole host the case was made under (decision CFG-D5, "
                "docs/decisions.md): seed = the seeds where explicit, polkadot-sdk where silent; sdk = "
                "polkadot-sdk wherever the two differ. A client following polkadot-sdk replays the sdk cases",
                "model only"),
    "n_validators": ("validators", "the session's active validators; ValidatorIndex 0 .. n-1",
                     "(session) shared::ActiveValidatorIndices length"),
    "n_parachains": ("paras / cores", "parachains, one availability core each: core i belongs to para i",
                     "(registered parachains; coretime assignments)"),
    "parathread_cores": ("cores", "extra cores multiplexing parathreads after the parachain cores (0 in the "
                         "spine machines)", "older sdk: parathread_cores; now on-demand coretime cores"),
    "chain_availability_period": ("blocks", "t: blocks a parachain candidate may stay pending availability "
                                  "before it times out (see `age`)", "older sdk: chain_availability_period; "
                                  "now scheduler_params.paras_availability_period"),
    "thread_availability_period": ("blocks", "the same for a parathread candidate",
                                   "older sdk: thread_availability_period"),
    "group_rotation_frequency": ("blocks", "blocks between two rotations of validator groups across cores, "
                                 "counted from the session start (scheduler, runtime; not inclusion, which "
                                 "has no rotation and does not record it)", "scheduler_params.group_rotation_frequency"),
    "session_length": ("blocks", "blocks per session (only the configuration machine reads it; in runtime, "
                       "session changes are inputs)", "(session pallet's period)"),
    "scheduling_lookahead": ("claims per core", "how far ahead parathread claims may be queued: the queue "
                             "holds at most scheduling_lookahead * parathread_cores claims",
                             "scheduler_params.lookahead"),
    "parathread_retries": ("retries", "times a parathread claim that was not backed is retried before it is "
                           "dropped", "older sdk: parathread_retries / on-demand retries"),
    "validation_upgrade_frequency": ("blocks", "minimum blocks between a para's code upgrades",
                                     "validation_upgrade_cooldown"),
    "validation_upgrade_delay": ("blocks", "blocks from a code upgrade's signal to its enactment (> 1)",
                                 "validation_upgrade_delay"),
    "acceptance_period": ("blocks", "how long replaced code is kept for disputes and approvals before it is "
                          "pruned", "code_retention_period"),
    "max_code_size": ("abstract units", "the largest validation code accepted (model sizes are small "
                      "integers)", "max_code_size (bytes)"),
    "max_head_data_size": ("abstract units", "the largest head data accepted", "max_head_data_size (bytes)"),
    "max_pov_size": ("bytes", "the largest proof of validity (not read by the state machines)", "max_pov_size"),
    "backing_threshold": ("choice", "which reading of 'enough valid statements' backs a candidate (decision "
                          "INC-D1): majority (more than half the group), two_thirds, or sdk "
                          "(min(minimum_backing_votes, group size))", "(sdk: effective_minimum_backing_votes)"),
    "minimum_backing_votes": ("statements", "the sdk's minimum number of valid statements (used when "
                              "backing_threshold is sdk)", "minimum_backing_votes"),
    "free_core_bit": ("choice", "a bitfield with a 1 bit for a core with no candidate pending (decision "
                      "AV-D2): disregard the bitfield ([IG]) or reject the block (older sdk: "
                      "UnoccupiedBitInBitfield)", "model only (a reading)"),
    "max_candidates": ("candidates", "exploration bound: candidates each para may produce in one exploration; "
                       "it limits which inputs the explorer tries and never how an input is processed, so a "
                       "client ignores it", "model only"),
    "dispute_rule": ("choice", "how a dispute is decided (decision ESC-D1): seed (three outcomes once > 2n/3 "
                     "attest) or sdk (confirmed at > f participants, concluded at a supermajority)",
                     "model only (a reading)"),
}


#: fields of other machines' own parameter classes that carry no ``#:`` comment there
OTHER_FIELDS: dict[str, str] = {
    "n_blocks": "relay-chain blocks with candidates to approve (approval; unit: blocks)",
    "n_cores": "availability cores (avail_core, upgrades; unit: cores)",
    "multisig_threshold": "signatures the emergency multisig needs (halts, rollback; unit: signatures)",
    "multisig_size": "members of the emergency multisig (halts, rollback; unit: members)",
    "max_height": "exploration bound: the highest block height explored (halts, rollback; model only)",
    "n_subsystems": "subsystems the overseer drives (overseer; unit: subsystems)",
    "n_paras": "paras that may be rescued (rescue; unit: paras)",
    "availability_period": "blocks a candidate may stay pending availability (upgrades; unit: blocks)",
    "genesis_code_size": "the size of a para's genesis code (upgrades; abstract units)",
}


def field_doc(params_cls: type, name: str) -> str:
    """The description of one configuration field of a machine's parameter class."""
    from paraspec.model.config import HostConfiguration

    from ..codec import field_docs

    own = field_docs(params_cls).get(name, "") if params_cls is not HostConfiguration and params_cls is not object \
        else ""
    if own:
        return own
    if name in HOST_FIELDS:
        unit, meaning, sdk = HOST_FIELDS[name]
        return f"{meaning} (unit: {unit}; polkadot-sdk: {sdk})"
    return OTHER_FIELDS.get(name, "")


def config_schema() -> dict[str, Any]:
    """``config.schema.json``: every field a machine's ``config.json`` may hold, described."""
    from ..codec import field_types, schema
    from ..registry import get_machine_class, load_all, machine_names

    load_all()
    props: dict[str, Any] = {"preset": {"type": "string", "description": field_doc(object, "preset")}}
    used: dict[str, list[str]] = {}
    for name in machine_names():
        cls = get_machine_class(name)
        hints = field_types(cls.Params)
        for f in cls.parameter_names():
            used.setdefault(f, []).append(name)
            if f in props:
                continue
            sub = dict(schema(hints[f], {}))
            doc = field_doc(cls.Params, f)
            if doc:
                sub["description"] = doc
            props[f] = sub
    for f, machines in used.items():
        props[f]["description"] = (props[f].get("description", "") + f" Honoured by: {', '.join(machines)}.").strip()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "paraspec vector configuration (<preset>/<machine>/config.json)",
        "description": "the preset and the value of every parameter the machine honours; a field the machine "
                       "ignores is not recorded",
        "type": "object",
        "properties": {k: props[k] for k in sorted(props, key=lambda k: (k != "preset", k))},
        "required": ["preset"],
        "additionalProperties": False,
    }


def host_fields_complete() -> list[str]:
    """HostConfiguration fields with no row in :data:`HOST_FIELDS` (should be none)."""
    from paraspec.model.config import HostConfiguration

    return [f.name for f in attrs.fields(HostConfiguration) if f.name != "name" and f.name not in HOST_FIELDS]
