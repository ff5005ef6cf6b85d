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
import time
from typing import Any, Callable, Iterator

__all__ = ["Pool"]

_WORKER: dict[str, Any] = {}


def _init(machine, props, symmetry, deadline: float | None = None, max_states: int | None = None) -> None:
    import gc

    from .expander import Expander

    gc.disable()
    x = _WORKER["x"] = Expander(machine, props, symmetry)
    _WORKER["sent"] = set()
    if deadline is not None or max_states is not None:
        # the limits inside one state's expansion (a worker does not know how many states
        # the search has stored: ``max_states`` counts this state's new successors alone; a
        # state whose inputs outnumber the limit is left unexpanded too, see ``Checker.max_states``)
        def interrupt(new: int, tried: int) -> str | None:
            if deadline is not None and time.time() > deadline:
                return "time_limit"
            if max_states is not None and max(new, tried) >= max_states:
                return "max_states"
            return None

        x.interrupt = interrupt


def _expand_chunk(states: list) -> list:
    from .expander import Interrupted

    x = _WORKER["x"]
    sent: set = _WORKER["sent"]
    out = []
    for s in states:
        try:
            succs, tviol, twit = x.expand(s, sent.__contains__)
        except Interrupted as e:
            out.append(("interrupted", e.reason))
            break
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
    def __init__(self, workers: int, machine, props, symmetry: bool, time_limit: float | None = None,
                 max_states: int | None = None):
        ctx = mp.get_context("fork")
        self.workers = workers
        deadline = None if time_limit is None else time.time() + time_limit
        self.pool = ctx.Pool(workers, initializer=_init, initargs=(machine, props, symmetry, deadline, max_states))

    def expand(self, frontier: list, pos: int, skip: Callable[[int], bool]) -> Iterator:
        """Per frontier state from ``pos`` on, in order: (succs, tviol, twit) or an error."""
        todo = frontier[pos:]
        size = max(32, min(2000, len(todo) // (self.workers * 8) + 1))
        chunks = [[s for _, s in todo[k:k + size]] for k in range(0, len(todo), size)]
        for res in self.pool.imap(_expand_chunk, chunks):
            yield from res

    def close(self) -> None:
        """Stop the workers. ``Pool.terminate`` first takes the task queue's lock, which an idle
        worker may hold while it waits for work; on a loaded machine that wait was seen to last
        for good (a search ending early on a property error with ``--workers 2``). So terminate
        runs in a thread given a generous minute; if it is still blocked then, the workers are
        killed (their pending work is not wanted: the search has ended)."""
        import threading

        t = threading.Thread(target=self._terminate, name="paraspec-pool-close", daemon=True)
        t.start()
        t.join(60)
        if t.is_alive():
            for proc in list(getattr(self.pool, "_pool", None) or ()):
                proc.kill()
            t.join(10)

    def _terminate(self) -> None:
        self.pool.terminate()
        self.pool.join()
