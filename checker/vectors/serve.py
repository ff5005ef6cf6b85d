"""The reference interpreter (or a mutant) answering adapter-protocol requests.

``paraspec adapter`` runs :func:`serve` on stdin/stdout; the vector generator and
the mutation-adequacy measure call :meth:`Reference.answer` in-process, so both
give the same answers.
"""

from __future__ import annotations

import json
from typing import IO, Any, Iterator

from paraspec.model.core import Machine

from ..limits import MAX_LINE_BYTES, InputError, load_json_bytes
from .cases import (
    VectorError,
    decode_input,
    decode_state,
    execute,
    machine_for,
    resolve_handler,
    split_handler,
)

__all__ = ["Reference", "serve", "REQUEST_KEYS"]

REQUEST_KEYS = ("handler", "config", "pre_state", "input")


class Reference:
    """Answers requests with the model, or with ``mutant`` for that mutant's machine."""

    def __init__(self, mutant: str | None = None, reading: str | None = None):
        self.mutant = mutant
        #: answer only cases of this reading (``--reading``); others are ``unsupported``
        self.reading = reading
        self._machines: dict[tuple[str, str], Machine] = {}

    def machine(self, name: str, config_obj: Any) -> Machine:
        key = (name, json.dumps(config_obj, sort_keys=True))
        m = self._machines.get(key)
        if m is None:
            m = machine_for(name, config_obj, self.mutant, "request.config")
            self._machines[key] = m
        return m

    def answer(self, req: Any) -> dict[str, Any]:
        """The response to one request; never raises (errors become ``{"error": ...}``)."""
        rid = req.get("id") if isinstance(req, dict) else None
        out: dict[str, Any] = {} if rid is None else {"id": rid}
        try:
            if not isinstance(req, dict):
                raise VectorError("request: expected a JSON object")
            if "query" in req:  # a runtime-API query (checker.interp.adapter)
                from ..interp.adapter import answer_query

                out.update(answer_query(req, self.machine))
                return out
            missing = [k for k in REQUEST_KEYS if k not in req]
            if missing:
                raise VectorError(f"request.{missing[0]}: missing")
            machine_name, handler_name = split_handler(req["handler"], "request.handler")
            case_reading = req["config"].get("reading", "seed") if isinstance(req["config"], dict) else None
            if self.reading is not None and case_reading != self.reading:
                out["unsupported"] = f"reading={case_reading}: this adapter serves reading={self.reading} (CFG-D5)"
                return out
            m = self.machine(machine_name, req["config"])
            h = resolve_handler(m, handler_name)
            pre = decode_state(m, req["pre_state"], "request.pre_state")
            action = decode_input(h, req["input"], "request.input")
            out.update(execute(h, m, pre, action))
        except VectorError as e:
            out["error"] = str(e)
        except Exception as e:  # a bug of the model or of the mutant: reported, not fatal
            out["error"] = f"model raised {type(e).__name__}: {e}"
        return out


def _lines(stdin: IO) -> Iterator[bytes | str | None]:
    """The request lines of ``stdin`` (bytes from a binary stream, text from a text one);
    ``None`` for a line longer than ``MAX_LINE_BYTES`` (skipped up to its end)."""
    src = getattr(stdin, "buffer", stdin)
    while True:
        line = src.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n" if isinstance(line, bytes) else "\n"):
            while line and not line.endswith(b"\n" if isinstance(line, bytes) else "\n"):
                line = src.readline(1 << 20)
            yield None
            continue
        yield line


def serve(stdin: IO[str], stdout: IO[str], mutant: str | None = None, reading: str | None = None) -> int:
    """Answer one JSON request per line until end of input (only cases of ``reading`` when given)."""
    ref = Reference(mutant, reading)
    for line in _lines(stdin):
        if line is not None and not line.strip():
            continue
        if line is None:
            resp: dict[str, Any] = {"error": f"request longer than {MAX_LINE_BYTES} bytes (MAX_LINE_BYTES)"}
        else:
            try:
                req = load_json_bytes(line, "request", MAX_LINE_BYTES + 1)
            except InputError as e:
                resp = {"error": str(e).replace("request: not JSON", "request is not JSON", 1)}
            else:
                resp = ref.answer(req)
        stdout.write(json.dumps(resp, separators=(",", ":")) + "\n")
        stdout.flush()
    return 0
