"""Driving an implementation's adapter over the JSON-lines protocol.

The adapter is started once and answers one request line with one response line
(see ``docs/vectors.md``). The runner survives a misbehaving adapter:

* a line that is not a JSON object fails the case ("garbage"), and the adapter is
  restarted so that the next request starts on a clean stream;
* an adapter that exits fails the case with its exit status and the last line of
  its stderr, and is restarted for the next case;
* an adapter that does not answer within the per-case timeout is killed (its whole
  process group) and restarted;
* after ``max_crashes`` crashes or timeouts in a row on one handler, the rest of that
  handler's cases are skipped; when that happened on two handlers and the adapter
  never answered anything, the run stops.
"""

from __future__ import annotations

import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import attrs

from ..limits import MAX_LINE_BYTES, InputError, load_json_bytes
from .cases import first_difference
from .suite import Case

__all__ = ["CaseResult", "AdapterProcess", "AdapterStartError", "run_cases", "Status"]


class Status:
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"

    ALL = (PASS, FAIL, ERROR, UNSUPPORTED, SKIPPED)


@attrs.frozen
class CaseResult:
    id: str
    handler: str
    kind: str
    status: str
    message: str = ""
    elapsed: float = 0.0


class AdapterStartError(Exception):
    """The adapter command cannot be started at all (not found, not executable)."""


class _Crash(Exception):
    pass


class _Timeout(Exception):
    pass


class AdapterProcess:
    """One running adapter: write a request line, read a response line, with a deadline."""

    def __init__(self, command: str, cwd: str | None = None):
        try:
            self.argv = shlex.split(command)
        except ValueError as e:
            raise AdapterStartError(f"cannot parse the command: {e}") from None
        if not self.argv:
            raise AdapterStartError("the command is empty")
        # a command installed beside this Python (``paraspec`` in a venv not on PATH)
        if "/" not in self.argv[0] and shutil.which(self.argv[0]) is None:
            beside = Path(sys.executable).parent / self.argv[0]
            if beside.is_file() and os.access(beside, os.X_OK):
                self.argv[0] = str(beside)
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self.buf = b""
        self.stderr_file = tempfile.TemporaryFile()
        self.starts = 0

    def start(self) -> None:
        self.stderr_file.seek(0)
        self.stderr_file.truncate()
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr_file, cwd=self.cwd, start_new_session=True,
                                         bufsize=0)
        except OSError as e:
            raise AdapterStartError(f"cannot start {self.argv[0]!r}: {e.strerror or e}") from None
        os.set_blocking(self.proc.stdin.fileno(), False)
        self.buf = b""
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Kill the adapter and its children (it runs in its own process group)."""
        p = self.proc
        if p is None:
            return
        self.proc = None
        for f in (p.stdin, p.stdout):
            try:
                f.close()
            except OSError:
                pass
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                p.kill()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
            pass

    def close(self) -> None:
        """End of the run: close stdin, give the adapter a moment to exit, then kill it."""
        p = self.proc
        if p is not None and p.poll() is None:
            try:
                p.stdin.close()
                p.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()
        self.stderr_file.close()

    def stderr_tail(self) -> str:
        try:
            self.stderr_file.seek(0)
            data = self.stderr_file.read()[-4000:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        lines = [ln for ln in data.splitlines() if ln.strip()]
        return lines[-1].strip()[:200] if lines else ""

    def _exit_text(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is None and self.proc is not None:
            try:
                code = self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                code = None
        if code is None:
            what = "closed its stdout"
        elif code < 0:
            what = f"was killed by signal {-code}"
        else:
            what = f"exited with status {code}"
        tail = self.stderr_tail()
        return f"adapter {what}" + (f" (stderr: {tail})" if tail else "")

    def exchange(self, line: bytes, timeout: float) -> bytes:
        """Send one request line, return the response line (without the newline)."""
        deadline = time.monotonic() + timeout
        p = self.proc
        assert p is not None
        out_fd = p.stdin.fileno()
        view = memoryview(line)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout()
            _, w, _ = select.select([], [out_fd], [], left)
            if not w:
                continue
            try:
                n = os.write(out_fd, view)
            except BrokenPipeError:
                raise _Crash(self._exit_text()) from None
            except BlockingIOError:
                continue
            view = view[n:]
        in_fd = p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout()
            r, _, _ = select.select([in_fd], [], [], left)
            if not r:
                continue
            chunk = os.read(in_fd, 1 << 16)
            if not chunk:
                raise _Crash(self._exit_text())
            self.buf += chunk
            if len(self.buf) > MAX_LINE_BYTES and b"\n" not in self.buf:
                raise _Crash(f"adapter sent a line longer than {MAX_LINE_BYTES} bytes (MAX_LINE_BYTES)")
        resp, _, self.buf = self.buf.partition(b"\n")
        return resp


def _excerpt(data: bytes, limit: int = 80) -> str:
    text = data.decode("utf-8", "replace").strip()
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def judge(case: Case, raw: bytes) -> tuple[str, str, bool]:
    """(status, message, stream still in sync) for one response line."""
    try:
        resp = load_json_bytes(raw, "response", MAX_LINE_BYTES)
    except InputError as e:
        if str(e).startswith("response: not JSON"):
            return Status.ERROR, f"adapter printed a line that is not JSON: {_excerpt(raw)}", False
        return Status.ERROR, f"adapter answered a line the runner refuses: {e}", True
    if not isinstance(resp, dict):
        return Status.ERROR, f"adapter answered {_excerpt(raw)}, not a JSON object", True
    if "id" in resp and resp["id"] != case.id:
        return Status.ERROR, f"response id {resp['id']!r} does not match the request", False
    if "unsupported" in resp:
        return Status.UNSUPPORTED, f"adapter does not support this handler: {resp['unsupported']}", True
    if "error" in resp:
        return Status.ERROR, f"adapter error: {resp['error']}", True
    missing = [k for k in ("output", "post_state") if k not in resp]
    if missing:
        return Status.ERROR, f"response lacks {missing[0]!r}", True
    diff = first_difference(case.expected(), {"output": resp["output"], "post_state": resp["post_state"]})
    if diff is not None:
        return Status.FAIL, diff, True
    return Status.PASS, "", True


def run_cases(cases: list[Case], command: str, timeout: float = 10.0, max_crashes: int = 5,
              on_result: Callable[[CaseResult], None] | None = None, cwd: str | None = None,
              exitfirst: bool = False) -> list[CaseResult]:
    """Run every case through the adapter ``command`` (with ``exitfirst``, stop after the
    first case that does not pass); raises AdapterStartError when the command cannot be
    started at all."""
    adapter = AdapterProcess(command, cwd)
    results: list[CaseResult] = []
    crashes_in_a_row: dict[str, int] = {}
    answered_ever = False
    aborted: str | None = None

    def record(r: CaseResult) -> None:
        results.append(r)
        if on_result is not None:
            on_result(r)

    try:
        adapter.start()
        for case in cases:
            if exitfirst and results and results[-1].status != Status.PASS:
                break
            h = case.handler
            kind = case.data.get("kind", "")
            if aborted is not None:
                record(CaseResult(case.id, h, kind, Status.SKIPPED, aborted))
                continue
            if crashes_in_a_row.get(h, 0) >= max_crashes:
                record(CaseResult(case.id, h, kind, Status.SKIPPED,
                                  f"not run: the adapter crashed or hung on the last {max_crashes} cases "
                                  f"of {h}"))
                continue
            if not adapter.alive:
                adapter.stop()
                adapter.start()
            line = (json.dumps(case.request(), separators=(",", ":")) + "\n").encode()
            t0 = time.perf_counter()
            try:
                raw = adapter.exchange(line, timeout)
            except _Timeout:
                adapter.stop()
                crashes_in_a_row[h] = crashes_in_a_row.get(h, 0) + 1
                record(CaseResult(case.id, h, kind, Status.ERROR,
                                  f"no response within {timeout:g} s (adapter killed and restarted)",
                                  time.perf_counter() - t0))
            except _Crash as e:
                adapter.stop()
                crashes_in_a_row[h] = crashes_in_a_row.get(h, 0) + 1
                record(CaseResult(case.id, h, kind, Status.ERROR, f"{e} (restarted)", time.perf_counter() - t0))
            else:
                status, msg, in_sync = judge(case, raw)
                crashes_in_a_row[h] = 0
                answered_ever = True
                if not in_sync:
                    adapter.stop()
                    msg += " (adapter restarted)"
                record(CaseResult(case.id, h, kind, status, msg, time.perf_counter() - t0))
            given_up = [k for k, n in crashes_in_a_row.items() if n >= max_crashes]
            if not answered_ever and len(given_up) >= 2:
                aborted = f"not run: the adapter never answered ({adapter.starts} starts, {len(given_up)} handlers)"
    finally:
        adapter.close()
    return results


def summarize(results: list[CaseResult]) -> dict[str, dict[str, int]]:
    """handler -> status -> count (plus "total")."""
    out: dict[str, dict[str, int]] = {}
    for r in results:
        row = out.setdefault(r.handler, {s: 0 for s in Status.ALL} | {"total": 0})
        row[r.status] += 1
        row["total"] += 1
    return dict(sorted(out.items()))


__all__ += ["summarize", "judge"]
