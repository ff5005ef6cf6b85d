"""Several runs of ``paraspec check`` at once: one worker process per run in progress.

``paraspec check`` over many machines (or ``--all-mutants``) is a list of independent runs.
:func:`run_jobs` hands them to ``n`` worker processes (forked, so each inherits the machines
and properties built by the command; nothing of the model is pickled on the way out) and
returns their results in the order of the runs, whatever order they finish in: the report is
the one a single process writes. The verdicts cannot differ: each run is the same search of
the same machine in a process of its own.

A worker reports its search's progress (rate-limited) and its result over its own pipe; the
result's properties travel by name (their predicates are closures and need not pickle) and are
linked back to the command's own property objects here. A run's usage error (a checkpoint that
cannot be resumed, an engine that cannot run it) is raised here as the same one-line error; a
worker that dies is one line naming the run. Stopping (the end, an error, Ctrl-C) kills the
workers: nothing is shared with them, so nothing can wait on one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from multiprocessing.connection import wait
from typing import Any, Callable, Sequence

import attrs

from .registry import UsageError
from .results import Result

__all__ = ["run_jobs", "JobFailed", "auto_jobs"]

#: seconds between two progress messages of one worker
PROGRESS_EVERY = 0.5


class JobFailed(UsageError):
    """A worker process ended without answering (killed, out of memory): one line, exit 2."""


def auto_jobs(runs: int) -> int:
    """The default number of runs at once: one per CPU this process may use, at most ``runs``."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, runs))


def _portable(result: Any) -> Any:
    """``result`` (a :class:`Result` or a list of them) with each property replaced by its name."""
    if isinstance(result, list):
        return [_portable(r) for r in result]
    if not isinstance(result, Result):
        return result
    props = tuple(attrs.evolve(p, property=p.property.name) for p in result.properties)
    return attrs.evolve(result, properties=props)


def _relink(result: Any, props: Sequence) -> Any:
    """The inverse of :func:`_portable`, with the command's own property objects."""
    if isinstance(result, list):
        return [_relink(r, props) for r in result]
    if not isinstance(result, Result):
        return result
    by_name = {p.name: p for p in props}
    return attrs.evolve(result, properties=tuple(attrs.evolve(p, property=by_name[p.property])
                                                 for p in result.properties))


def _serve(conn, run_one: Callable) -> None:
    """A worker: run the jobs whose index the command sends, one answer each, until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's: it kills the workers
    while True:
        try:
            idx = conn.recv()
        except (EOFError, OSError):
            return
        if idx is None:
            return
        last = [0.0]

        def update(states: int, depth: int, elapsed: float, _idx: int = idx) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                conn.send(("progress", _idx, (states, depth, elapsed)))

        try:
            answer = ("done", idx, _portable(run_one(idx, update)))
        except UsageError as e:
            answer = ("usage", idx, str(e))
        except BaseException as e:  # a bug of paraspec: the command prints it and stops
            import traceback

            answer = ("failed", idx, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        try:
            conn.send(answer)
        except OSError:  # the command has stopped
            return
        except Exception as e:  # the answer does not pickle
            conn.send(("failed", idx, f"the result cannot be sent back: {type(e).__name__}: {e}"))


def _dead(proc, label: str) -> JobFailed:
    """The one-line error of a worker that ended without answering the run ``label``."""
    proc.join(60)  # the pipe reached EOF: the process has ended, or is ending
    code = proc.exitcode
    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
    return JobFailed(f"check of {label}: its worker process {how} before it answered (out of memory? try --jobs 1)")


def run_jobs(n: int, labels: Sequence[str], props: Sequence[Sequence], run_one: Callable,
             on_progress: Callable[[int, int, int, float], None] | None = None,
             on_done: Callable[[int, Any], None] | None = None,
             started: Callable[[], None] | None = None) -> list:
    """Run the jobs ``0 .. len(labels) - 1`` on ``n`` worker processes: ``run_one(i, update)``
    (called in a worker; ``update(states, depth, elapsed)`` reports progress) returns a
    :class:`Result` or a list of them, whose properties are among ``props[i]``. Returns the
    results in job order. ``on_progress(i, states, depth, elapsed)`` and ``on_done(i, result)``
    are called here, as the workers report; ``started()`` once the workers are forked (a
    display thread is started after the fork, never before it)."""
    ctx = mp.get_context("fork")
    total = len(labels)
    results: list = [None] * total
    procs: list = []
    conns: list = []
    busy: dict[int, int] = {}  # worker -> job
    nxt = 0
    try:
        for _ in range(min(n, total)):
            mine, theirs = ctx.Pipe(duplex=True)
            # not a daemon: a run may itself start frontier workers (--workers)
            proc = ctx.Process(target=_serve, args=(theirs, run_one), name="paraspec-job")
            proc.start()
            theirs.close()
            procs.append(proc)
            conns.append(mine)
        if started is not None:
            started()
        for w in range(len(procs)):
            if nxt < total:
                conns[w].send(nxt)
                busy[w] = nxt
                nxt += 1
        while busy:
            ready = wait([conns[w] for w in busy])
            for conn in ready:
                w = conns.index(conn)
                job = busy[w]
                try:
                    tag, idx, payload = conn.recv()
                except (EOFError, OSError):
                    raise _dead(procs[w], labels[job]) from None
                if tag == "progress":
                    if on_progress is not None:
                        on_progress(idx, *payload)
                    continue
                if tag == "usage":
                    raise UsageError(payload)
                if tag == "failed":
                    print(f"paraspec: the check of {labels[idx]} failed in its worker process:\n{payload}",
                          file=sys.stderr, flush=True)
                    raise RuntimeError(f"check of {labels[idx]}: {payload.splitlines()[0]}")
                results[idx] = _relink(payload, props[idx])
                if on_done is not None:
                    on_done(idx, results[idx])
                del busy[w]
                if nxt < total:
                    conn.send(nxt)
                    busy[w] = nxt
                    nxt += 1
        for conn in conns:
            try:
                conn.send(None)
            except OSError:
                pass
        for proc in procs:
            proc.join(30)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
        for proc in procs:
            proc.join(30)
        for conn in conns:
            conn.close()
    return results

