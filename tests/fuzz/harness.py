"""Running one fuzzed input through a real entry point, in-process, and judging the outcome.

Every input is run under a SIGALRM guard (``HANG_SECONDS``, generous: a loaded 2-core machine
must not turn a slow input into a "hang"); an input that outlives it is a hang. An exception that
escapes the entry point, an exit code other than 0/1/2, or an exit 2 whose stderr is not exactly one
line is a crash. Crashes that match an entry of ``known.py`` are recorded (and make the test xfail at
its end); any other crash fails the example at once, so Hypothesis shrinks it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
import threading
import traceback
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from . import known

HANG_SECONDS = int(os.environ.get("PARASPEC_FUZZ_HANG", "60"))
MEMORY_MB = int(os.environ.get("PARASPEC_FUZZ_MEMORY_MB", "2048"))
SURVEY = os.environ.get("PARASPEC_FUZZ_SURVEY", "") == "1"
FULL = os.environ.get("PARASPEC_FUZZ", "") == "full"

#: channel -> inputs tried / crashes / hangs (known and unknown), written at session end
TRIED: Counter = Counter()
CRASHES: Counter = Counter()
HANGS: Counter = Counter()
#: crash signature -> (channel, first reproducer) for every crash seen (known or not)
SITES: dict[str, tuple[str, str]] = {}
#: known-entry name -> hits in the current test (reset per test by ``KnownCollector``)
_known_hits: dict[str, int] = defaultdict(int)


def examples(default: int, full: int = 2000) -> int:
    """Examples for one test: ``full`` with PARASPEC_FUZZ=full, else ``default``."""
    return full if FULL else default


def fuzz_settings(default: int, full: int = 2000):
    """Hypothesis settings of a fuzz test (no deadline: hangs are caught by ``guard``)."""
    from hypothesis import HealthCheck, settings

    # derandomized: CI runs exactly the inputs a local run of the same tree ran
    return settings(max_examples=examples(default, full), deadline=None, suppress_health_check=list(HealthCheck),
                    print_blob=True, derandomize=True, database=None)


#: set when the hang guard fired during the current input (even if its Hang was swallowed)
FIRED = [False]


class Hang(BaseException):
    """A BaseException, so that no ``except Exception`` under test swallows it."""


@contextlib.contextmanager
def guard(seconds: int = HANG_SECONDS):
    def on_alarm(signum, frame):
        # re-armed: a Hang raised where exceptions are swallowed (a gc callback, __del__) is raised again
        signal.alarm(1)
        FIRED[0] = True
        raise Hang(f"no answer within {seconds} s")

    main = threading.current_thread() is threading.main_thread()  # signals need the main thread
    old = signal.signal(signal.SIGALRM, on_alarm) if main else None
    old_as = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_memory_cap(old_as), old_as[1]))
    if main:
        signal.alarm(seconds)
    try:
        yield
    finally:
        if main:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        resource.setrlimit(resource.RLIMIT_AS, old_as)


def _memory_cap(old: tuple[int, int]) -> int:
    """Address space allowed while one input runs: what the process has now plus MEMORY_MB, so that
    an input that would exhaust the machine's memory ends in MemoryError (a finding) instead."""
    try:
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        return old[0]
    cap = vm + MEMORY_MB * 2**20
    return cap if old[0] == resource.RLIM_INFINITY or cap < old[0] else old[0]


class Outcome:
    def __init__(self, code, out: str, err: str, exc: BaseException | None, tb: str):
        self.code, self.out, self.err, self.exc, self.tb = code, out, err, exc, tb


def call(fn, stdin: io.TextIOBase | None = None) -> Outcome:
    """Run ``fn()`` with stdout/stderr (and stdin) captured, under the hang guard."""
    out, err = io.StringIO(), io.StringIO()
    code, exc, tb = None, None, ""
    old_in = sys.stdin
    FIRED[0] = False
    try:
        if stdin is not None:
            sys.stdin = stdin
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), guard():
            try:
                code = fn()
            except SystemExit as e:  # argparse --help/--version, or a command that exits
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except Hang as e:
        exc, tb = e, "".join(traceback.format_exception(e))
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - everything that escapes is the finding
        exc, tb = e, "".join(traceback.format_exception(e))
    finally:
        sys.stdin = old_in
    if FIRED[0] and not isinstance(exc, Hang):
        exc = Hang(f"no answer within {HANG_SECONDS} s (the guard's exception was swallowed)")
    return Outcome(code, out.getvalue(), err.getvalue(), exc, tb)


#: the working directory generated commands run in: relative output paths they name (``--out nan``,
#: ``--json x``) land there, never in the repository
_SCRATCH: list[str] = []


def run_cli(argv: list[str], stdin: io.TextIOBase | None = None) -> Outcome:
    import os
    import tempfile

    from paraspec.checker.cli import main

    if not _SCRATCH:
        _SCRATCH.append(tempfile.mkdtemp(prefix="paraspec-fuzz-"))
    here = os.getcwd()
    os.chdir(_SCRATCH[0])
    try:
        return call(lambda: main(list(argv)), stdin)
    finally:
        os.chdir(here)


def crash_site(exc: BaseException) -> str:
    """``Type@file:line`` of the innermost frame inside paraspec (or the innermost frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    inner = [f for f in frames if "/checker/" in f.filename or "/model/" in f.filename
             or "/properties/" in f.filename or "/spec/" in f.filename]
    f = (inner or frames or [None])[-1]
    where = "?" if f is None else f"{_short(f.filename)}:{f.lineno}"
    return f"{type(exc).__name__}@{where}"


def _short(path: str) -> str:
    p = Path(path)
    for anchor in ("checker", "model", "properties", "spec"):
        if anchor in p.parts:
            i = len(p.parts) - 1 - p.parts[::-1].index(anchor)
            return "/".join(p.parts[i:])
    return p.name


def problem(o: Outcome) -> tuple[str, str] | None:
    """(kind, signature) when the outcome breaks the contract, else None."""
    if isinstance(o.exc, Hang):
        return "hang", "Hang"
    if o.exc is not None:
        return "crash", crash_site(o.exc)
    if o.code not in (0, 1, 2):
        return "crash", f"exit code {o.code!r}"
    if o.code == 2 and (o.err.count("\n") != 1 or not o.err.endswith("\n")):
        return "crash", "exit 2 with " + f"{o.err.count(chr(10))}-line stderr"
    if "Traceback (most recent call last)" in o.err:
        return "crash", "traceback printed on stderr"
    return None


def judge(channel: str, o: Outcome, reproducer: str, broken: str | None = None) -> None:
    """Count the input; record a problem (``broken``: a protocol break the caller saw); fail on a
    problem that known.py does not list."""
    TRIED[channel] += 1
    p = problem(o) or (("crash", broken) if broken else None)
    if p is None:
        return
    kind, sig = p
    (HANGS if kind == "hang" else CRASHES)[channel] += 1
    SITES.setdefault(f"{channel}: {sig}", (channel, reproducer[:2000]))
    entry = known.match(channel, kind, sig, o)
    if entry is None and SURVEY:  # PARASPEC_FUZZ_SURVEY=1: record every site, fail nothing
        entry = "unlisted " + sig
    if entry is not None:
        _known_hits[entry] += 1
        return
    detail = o.tb or f"exit {o.code}; stderr: {o.err[:2000]!r}"
    pytest.fail(f"[{channel}] {kind} {sig}\nreproducer: {reproducer[:2000]}\n{detail[-6000:]}", pytrace=False)


@contextlib.contextmanager
def known_collector():
    """Around a fuzz test: xfail (non-strict) at its end when only known crashes were hit."""
    _known_hits.clear()
    yield
    if _known_hits:
        hits = ", ".join(f"{k} x{n}" for k, n in sorted(_known_hits.items()))
        _known_hits.clear()
        pytest.xfail(f"known crash classes (tests/fuzz/known.py): {hits}")


def write_summary(path: Path) -> dict:
    channels = sorted(set(TRIED) | set(CRASHES) | set(HANGS))
    data = {
        "profile": "full" if FULL else "default",
        "channels": {c: {"tried": TRIED[c], "crashes": CRASHES[c], "hangs": HANGS[c]} for c in channels},
        "total": {"tried": sum(TRIED.values()), "crashes": sum(CRASHES.values()), "hangs": sum(HANGS.values())},
        "sites": {k: v[1] for k, v in sorted(SITES.items())},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return data
