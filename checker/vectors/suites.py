"""Which suite a handler's cases belong to: what kind of client entry point they drive.

* ``runtime``: one relay-chain block per case (the ``runtime`` machine's ``relay_block``):
  the whole inherent (bitfields and backed candidates) and the block's calls as input,
  the runtime's storage items (``docs/vectors-mapping.md``) as pre- and post-state, the
  block's events in the state, and the error. What a runtime (a pallet set) executes.
* ``runtime_module``: runtime logic at one module's entry point, narrower than a block
  (a bitfield at a time, a pallet's hook, a governance call, a runtime-API query).
* ``node``: node-side behaviour with no runtime entry point: backing, approval checking,
  the overseer, and the node-side steps of the candidate pipeline (collate, statement, drop).
* ``protocol``: abstract protocol machines (disputes across forks, escalation, halts,
  rescue, rollback, PoA, the upgrade RFC, the benchmark twin) that no single client entry
  point takes whole.

The split is recorded in ``index.json`` (``suites``); ``vectors run --suite NAME`` selects one.
"""

from __future__ import annotations

__all__ = ["SUITES", "suite_of"]

SUITES = {
    "runtime": "one relay-chain block per case: the whole inherent in, the runtime's storage items before and "
               "after, its events and error",
    "runtime_module": "runtime logic at one module's entry point (a bitfield, a pallet hook, a call, a query)",
    "node": "node-side behaviour: backing, approval checking, the overseer, collate/statement/drop",
    "protocol": "abstract protocol machines with no single client entry point",
}

_MACHINE = {
    "runtime": "runtime",
    "configuration": "runtime_module", "paras": "runtime_module", "scheduler": "runtime_module",
    "availability": "runtime_module",
    "backing": "node", "approval": "node", "overseer": "node",
}
_HANDLER = {
    "inclusion/bitfield": "runtime_module", "inclusion/block": "runtime_module",
    "inclusion/collate": "node", "inclusion/statement": "node", "inclusion/drop": "node",
}


def suite_of(qualified: str) -> str:
    """The suite of handler ``machine/handler``."""
    if qualified in _HANDLER:
        return _HANDLER[qualified]
    return _MACHINE.get(qualified.split("/", 1)[0], "protocol")
