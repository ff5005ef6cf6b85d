"""Parallel expansion of the BFS frontier over worker processes.

The search stays level-synchronous and its bookkeeping (the fingerprint set, parent
pointers, verdicts) stays in the search process; the workers do the expensive part:
``actions``/``step`` for every action of a frontier state, the fingerprints (or
canonical forms) of the successors, and every property on the transition and on the
successor. Results come back in frontier order, so the search makes exactly the same
decisions as with one process: the same states, the same first violations, the same
shortest traces.

Each worker remembers the fingerprints it has already sent; a successor it sent
before is returned without its state (the search has stored it already: results are
consumed in order), which keeps the traffic to new states only.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any, Callable, Iterator

__all__ = ["Pool"]

_WORKER: dict[str, Any] = {}


def _init(machine, props, symmetry) -> None:
    import gc

    from .expander import Expander

    gc.disable()
    _WORKER["x"] = Expander(machine, props, symmetry)
    _WORKER["sent"] = set()


def _expand_chunk(states: list) -> list:
    x = _WORKER["x"]
    sent: set = _WORKER["sent"]
    out = []
    for s in states:
        try:
            succs, tviol, twit = x.expand(s, sent.__contains__)
        except Exception as e:  # a model bug (or a property raising): reported by the search with its trace
            from .results import model_error

            err = model_error(e, None, x.invariants + x.trans + x.somes)
            out.append(("error", err.message, err.detail, err.property, err.where))
            break
        for item in succs:
            if item[4] is not None:
                sent.add(item[3])
        out.append((succs, tviol, twit))
    return out


class Pool:
    def __init__(self, workers: int, machine, props, symmetry: bool):
        ctx = mp.get_context("fork")
        self.workers = workers
        self.pool = ctx.Pool(workers, initializer=_init, initargs=(machine, props, symmetry))

    def expand(self, frontier: list, pos: int, skip: Callable[[int], bool]) -> Iterator:
        """Per frontier state from ``pos`` on, in order: (succs, tviol, twit) or an error."""
        todo = frontier[pos:]
        size = max(32, min(2000, len(todo) // (self.workers * 8) + 1))
        chunks = [[s for _, s in todo[k:k + size]] for k in range(0, len(todo), size)]
        for res in self.pool.imap(_expand_chunk, chunks):
            yield from res

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()
