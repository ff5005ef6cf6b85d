"""Driving an implementation's adapter over the JSON-lines protocol.

The adapter is started once and answers one request line with one response line
(see ``docs/vectors.md``). The runner survives a misbehaving adapter:

* responses are matched to requests by ``id``: a line that is not a response, or a
  response to another request, fails the case being waited for, and the adapter is
  restarted so that the next request starts on a clean stream;
* an adapter that exits fails the case with its exit status and the last line of
  its stderr, and is restarted for the next case;
* an adapter that does not answer within the per-case timeout is killed (its session,
  its descendants and every process carrying its environment mark: ``kill_tree``)
  and restarted;
* after ``max_crashes`` crashes or timeouts in a row on one handler, the rest of that
  handler's cases are skipped; when that happened on two handlers and the adapter
  never answered anything, the run stops.
"""

from __future__ import annotations

import json
import os
import secrets
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
        self.buf = bytearray()
        self.stderr_file = tempfile.TemporaryFile()
        self.starts = 0
        #: marks the adapter's environment, so that its descendants are found even after they
        #: left its session and lost their parent
        self.token = secrets.token_hex(16)

    def start(self) -> None:
        self.stderr_file.seek(0)
        self.stderr_file.truncate()
        env = dict(os.environ)
        env[_TOKEN_VAR] = self.token
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr_file, cwd=self.cwd, start_new_session=True,
                                         bufsize=0, env=env)
        except OSError as e:
            raise AdapterStartError(f"cannot start {self.argv[0]!r}: {e.strerror or e}") from None
        os.set_blocking(self.proc.stdin.fileno(), False)
        self.buf = bytearray()
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Kill the adapter and everything it started: its session (it is started in a new one)
        and every process descended from it or carrying its environment mark (see ``kill_tree``)."""
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
                os.kill(p.pid, signal.SIGSTOP)  # it starts nothing new while its tree is collected
            except (ProcessLookupError, PermissionError):
                pass
        kill_tree(p.pid, self.token)
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
        return self.read_line(deadline)

    def read_line(self, deadline: float) -> bytes:
        """The next line of the adapter's stdout (without the newline). Linear in its length: the
        buffer grows in place and only the bytes not yet searched are searched for the newline."""
        p = self.proc
        assert p is not None
        in_fd = p.stdout.fileno()
        buf = self.buf
        scanned = 0
        while True:
            nl = buf.find(b"\n", scanned)
            if nl >= 0:
                line = bytes(buf[:nl])
                del buf[: nl + 1]
                return line
            scanned = len(buf)
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Timeout()
            r, _, _ = select.select([in_fd], [], [], min(left, 1.0))
            if not r:
                if p.poll() is not None:  # exited, its stdout held open by a process it left behind
                    raise _Crash(self._exit_text())
                continue
            chunk = os.read(in_fd, 1 << 20)
            if not chunk:
                raise _Crash(self._exit_text())
            buf += chunk
            if len(buf) > MAX_LINE_BYTES and buf.find(b"\n", scanned) < 0:
                raise _Crash(f"adapter sent a line longer than {MAX_LINE_BYTES} bytes (MAX_LINE_BYTES)")


_TOKEN_VAR = "PARASPEC_ADAPTER_RUN"


def _processes(root: int, token: str) -> set[int]:
    """Processes descended from ``root`` (by parent links) or whose environment carries ``token``
    (read from ``/proc``; empty where there is none)."""
    mark = f"{_TOKEN_VAR}={token}".encode()
    parent: dict[int, int] = {}
    found: set[int] = set()
    try:
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return found
    me = os.getpid()
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            parent[pid] = int(stat[stat.rindex(b")") + 2:].split()[1])
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read():
                    found.add(pid)
        except (OSError, ValueError, IndexError):
            continue
    children: dict[int, list[int]] = {}
    for pid, pp in parent.items():
        children.setdefault(pp, []).append(pid)
    todo = [root, *found]
    while todo:
        for c in children.get(todo.pop(), ()):
            if c not in found and c != me:
                found.add(c)
                todo.append(c)
    found.discard(root)
    return found


def kill_tree(root: int, token: str) -> None:
    """Kill what an adapter left running: its descendants and the processes carrying its
    environment mark, including a grandchild that called ``setsid`` and lost its parent. They are
    stopped first (a stopped process cannot fork) until no new one appears, then killed.

    The limit: a process that both cleared its environment and lost its parent (or a system
    without ``/proc``) is not found; its process group is still killed when it stayed in it."""
    stopped: set[int] = set()
    for _ in range(20):
        new = _processes(root, token) - stopped
        if not new:
            break
        for pid in new:
            try:
                os.kill(pid, signal.SIGSTOP)
            except (ProcessLookupError, PermissionError):
                pass
        stopped |= new
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _excerpt(data: bytes, limit: int = 80) -> str:
    text = data.decode("utf-8", "replace").strip()
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


_RESPONSE_KEYS = ("output", "post_state", "unsupported", "error")


_VALIDATOR = None


def _response_validator():
    """The validator of ``checker/schemas/response.schema.json`` (the adapter protocol's response)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema

        from .schemas import SCHEMA_DIR

        schema = json.loads((Path(SCHEMA_DIR) / "response.schema.json").read_text())
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _VALIDATOR


def schema_problem(resp: dict) -> str | None:
    """Why ``resp`` does not match ``response.schema.json`` (one line naming the field), or None. The branch
    of the schema's ``oneOf`` is chosen by the keys present (``error``, ``unsupported``, else a result), so
    the message is about the response the adapter meant to send."""
    import jsonschema

    v = _response_validator()
    if v.is_valid(resp):
        return None
    branches = v.schema["oneOf"]
    branch = branches[1] if "error" in resp else branches[2] if "unsupported" in resp else branches[0]
    err = jsonschema.exceptions.best_match(type(v)(branch).iter_errors(resp))
    if err is None:  # valid against its branch but also against another: ambiguous keys
        return f"response mixes the keys of several kinds: {', '.join(sorted(resp))} (response.schema.json)"
    if err.validator == "required":
        missing = next((k for k in err.validator_value if k not in err.instance), "?")
        return f"response lacks {missing!r} (response.schema.json)"
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path) or " itself"
    return f"response{where}: {err.message[:160]} (response.schema.json)"


def judge(case: Case, raw: bytes) -> tuple[str, str, bool]:
    """(status, message, stream still in sync) for one response line, matched to the request by its
    ``id``: a line that is not a response, or a response to another request, fails the case being
    waited for and is not in sync (the adapter is restarted, so the next case starts on a clean
    stream and is never judged by a line meant for another). A response without ``id`` is taken as
    the answer to the request waited for."""
    try:
        resp = load_json_bytes(raw, "response", MAX_LINE_BYTES)
    except InputError as e:
        if str(e).startswith("response: not JSON"):
            return Status.ERROR, f"adapter printed a line that is not JSON: {_excerpt(raw)}", False
        return Status.ERROR, f"adapter answered a line the runner refuses: {e}", True
    if not isinstance(resp, dict):
        return Status.ERROR, f"adapter answered {_excerpt(raw)}, not a JSON object", False
    if "id" in resp and resp["id"] != case.id:
        return Status.ERROR, f"response id {_excerpt(json.dumps(resp['id']).encode())} does not match the request", \
            False
    if "id" not in resp and not any(k in resp for k in _RESPONSE_KEYS):
        return Status.ERROR, f"adapter printed a line that is not a response: {_excerpt(raw)}", False
    problem = schema_problem(resp)
    if problem is not None:
        return Status.ERROR, problem, True
    if "unsupported" in resp:
        return Status.UNSUPPORTED, f"adapter does not support this handler: {resp['unsupported']}", True
    if "error" in resp:
        return Status.ERROR, f"adapter error: {resp['error']}", True
    for key in ("output", "post_state"):  # optional in the schema (a query's answer has no post-state)
        if key not in resp:
            return Status.ERROR, f"response lacks '{key}'", True
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
