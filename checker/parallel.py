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

The pool owns its worker processes and talks to each over a pipe of its own; nothing is
shared between workers (no queue, no lock), so stopping them is killing them: a worker
stopped in the middle of anything cannot leave the search process waiting. A worker sent
one chunk at a time never blocks the search's sends, and the search reads the results as
they come (between the states it consumes), so the pipes cannot fill both ways. A worker
that dies is reported as an error of the search, not waited for.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from multiprocessing.connection import wait
from typing import Any, Callable, Iterator

__all__ = ["Pool", "WorkerDied"]

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


def _serve(conn, machine, props, symmetry, deadline, max_states) -> None:
    """A worker: expand the chunks the search sends, one reply per chunk, until the pipe
    closes (or a ``None``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the search's to handle: it stops the workers
    _init(machine, props, symmetry, deadline, max_states)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        tag, chunk = msg
        try:
            reply = _expand_chunk(chunk)
        except BaseException as e:  # _expand_chunk catches the model's exceptions; this is the worker's own
            reply = WorkerDied(f"a worker failed: {type(e).__name__}: {e}")
        try:
            conn.send((tag, reply))
        except OSError:  # the search has stopped
            return
        except Exception as e:  # the answer does not pickle (a state the model made of unpicklable values)
            conn.send((tag, WorkerDied(f"a worker cannot send its answer: {type(e).__name__}: {e}")))


class WorkerDied(RuntimeError):
    """A worker process ended (or failed) before it answered: the search stops with this error."""


#: frontier states consumed between two looks for finished chunks (to hand idle workers more)
_POLL_EVERY = 16


class Pool:
    """``workers`` processes, each expanding the chunks of the frontier it is sent."""

    def __init__(self, workers: int, machine, props, symmetry: bool, time_limit: float | None = None,
                 max_states: int | None = None):
        ctx = mp.get_context("fork")
        self.workers = workers
        deadline = None if time_limit is None else time.time() + time_limit
        #: the worker processes and the search's end of each one's pipe (index = worker number)
        self.processes: list = []
        self.conns: list = []
        #: per worker: the tag of the chunk it is working on, or None when idle
        self.busy: list = []
        self.generation = 0
        self.closed = False
        try:
            for _ in range(workers):
                mine, theirs = ctx.Pipe(duplex=True)
                proc = ctx.Process(target=_serve, args=(theirs, machine, props, symmetry, deadline, max_states),
                                   name="paraspec-worker", daemon=True)
                proc.start()
                theirs.close()  # only the worker holds its end: a dead worker is an EOF here
                self.processes.append(proc)
                self.conns.append(mine)
                self.busy.append(None)
        except BaseException:
            self.close()
            raise

    def expand(self, frontier: list, pos: int, skip: Callable[[int], bool]) -> Iterator:
        """Per frontier state from ``pos`` on, in order: (succs, tviol, twit), an error tuple, or a
        :class:`WorkerDied` (then nothing more)."""
        end = len(frontier)
        size = max(32, min(2000, (end - pos) // (self.workers * 8) + 1))
        # a chunk's states are read from the frontier (a compressed ``StateList``) when the chunk is
        # sent: never the whole level as Python objects at once
        bounds = [(k, min(k + size, end)) for k in range(pos, end, size)]
        self.generation += 1
        run = _Run(self, self.generation, frontier, bounds)
        for want in range(len(bounds)):
            try:
                res = run.result(want)
            except WorkerDied as e:
                yield e
                return
            for k, item in enumerate(res):
                if k % _POLL_EVERY == _POLL_EVERY - 1:
                    try:
                        run.pump(want, block=False)
                    except WorkerDied as e:
                        yield e
                        return
                yield item

    def close(self) -> None:
        """Stop the workers: kill them (their pending work is not wanted: the search has ended)
        and reap them. Nothing is shared with them, so this cannot wait on a worker."""
        self.closed = True
        for proc in self.processes:
            if proc.is_alive():
                proc.kill()
        for proc in self.processes:
            proc.join(30)  # a SIGKILLed process is reaped at once
        for conn in self.conns:
            conn.close()


class _Run:
    """One level's chunks: handed to idle workers in order, a few ahead of the one the
    search waits for; the results kept until the search asks for them."""

    def __init__(self, pool: Pool, generation: int, frontier, chunks: list):
        self.pool = pool
        self.gen = generation
        self.frontier = frontier
        #: (start, end) positions in the frontier of each chunk
        self.chunks = chunks
        self.sent = 0
        self.done: dict[int, list] = {}
        self.ahead = 4 * pool.workers  # chunks handed out beyond the one awaited (memory bound)

    def result(self, want: int) -> list:
        while want not in self.done:
            self.pump(want, block=True)
        return self.done.pop(want)

    def pump(self, want: int, block: bool) -> None:
        """Hand chunks to idle workers; read what the busy ones have finished (waiting for one
        when ``block``). ``want``: the chunk the search is at."""
        pool = self.pool
        if pool.closed:
            raise WorkerDied("the pool was closed")
        for w, tag in enumerate(pool.busy):
            if tag is None and self.sent < len(self.chunks) and self.sent <= want + self.ahead:
                self._send(w)
        busy = [w for w, tag in enumerate(pool.busy) if tag is not None]
        if not busy:
            return
        conns = {pool.conns[w]: w for w in busy}
        sentinels = {pool.processes[w].sentinel: w for w in busy}
        try:
            ready = wait(list(conns) + list(sentinels), None if block else 0)
        except OSError as e:
            raise WorkerDied(f"the pool was closed ({e})") from None
        for obj in ready:
            w = conns.get(obj)
            if w is not None:
                self._receive(w)
        for obj in ready:
            w = sentinels.get(obj)
            if w is not None and pool.busy[w] is not None:  # ended without an answer
                self._receive(w)

    def _send(self, w: int) -> None:
        pool = self.pool
        tag = (self.gen, self.sent)
        start, end = self.chunks[self.sent]
        chunk = [self.frontier[k][1] for k in range(start, end)]
        try:
            pool.conns[w].send((tag, chunk))
        except OSError:
            raise WorkerDied(self._death(w)) from None
        pool.busy[w] = tag
        self.sent += 1

    def _receive(self, w: int) -> None:
        pool = self.pool
        try:
            tag, reply = pool.conns[w].recv()
        except (EOFError, OSError):
            pool.processes[w].join(5)
            raise WorkerDied(self._death(w)) from None
        pool.busy[w] = None
        if isinstance(reply, WorkerDied):
            raise reply
        if tag[0] == self.gen:  # (a chunk of an abandoned level is dropped)
            self.done[tag[1]] = reply

    def _death(self, w: int) -> str:
        proc = self.pool.processes[w]
        return f"worker process {proc.pid} ended without answering (exit code {proc.exitcode})"
