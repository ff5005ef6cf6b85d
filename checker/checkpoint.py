"""Checkpoints of the explicit engine: a file that carries data only.

A checkpoint is one file, ``search.ckpt``, in the directory of one search (one
machine, or machine and mutant). Loading it runs no code from it: it holds JSON, raw
integer arrays and states written as their canonical forms (``checker.fingerprint``:
nested arrays of ints, strings, booleans and nulls), which are decoded by the types
the machine declares (a record's name in the file only picks among the subclasses of
its declared type). Layout (integers little-endian)::

    MAGIC                  b"PARASPEC-CHECKPOINT\\n"
    version  u32           FORMAT_VERSION
    length   u64           of the header
    header                 UTF-8 JSON: the format, the paraspec version, the identity of the
                           check (machine, preset, parameters, mutant, properties, symmetry),
                           the scalars of the search, and the sections that follow
    sections               back to back: integer arrays (fingerprints, parent pointers,
                           frontier indices, the liveness graph) and the states of the
                           frontier and of the next level (zlib-compressed lines, each a
                           JSON array of states in order)
    sha256   32 bytes      of everything before it

Loading checks, in order: the magic, the version, the checksum, the header, the
identity (a checkpoint of another check is refused), the sections, and every stored
state against its fingerprint. Each failure is one line naming the file and what is
wrong (:class:`~checker.results.CheckpointMismatch`). Saving writes a temporary file
in the same directory and renames it over the checkpoint, so a kill at any moment
leaves the previous checkpoint or the new one, never a mix.

Saving is incremental where the search is: the frontier and the next level only grow
during a level, so each state is encoded and compressed once (``_StateStream``): a
save costs the states new since the last one, and writing the integer arrays.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import os
import struct
import sys
import types
import typing
import zlib
from array import array
from pathlib import Path
from typing import Any, Callable

import attrs

from .codec import CodecError, field_types
from .explore import Exploration
from .fingerprint import canonical
from .results import CheckpointMismatch

__all__ = ["FILE", "LEGACY_FILE", "FORMAT_VERSION", "MAGIC", "Checkpoints", "present", "form_decoder",
           "SEARCH_FIELDS", "one_line"]

FILE = "search.ckpt"
#: the pickle of paraspec before format 1: refused, never loaded
LEGACY_FILE = "search.pickle"
MAGIC = b"PARASPEC-CHECKPOINT\n"
#: 2: the liveness graph holds int32 edges and shares the parent pointers of the exploration;
#: 3: the graph's edges are held in source order with one offset per state (no source array)
FORMAT_VERSION = 3
_PREFIX = struct.Struct("<IQ")
_DIGEST = 32
#: the attributes of the explicit search a checkpoint holds besides its ``Exploration``
SEARCH_FIELDS = ("graph", "transitions", "deadlocks", "deadlock_idx", "dead", "rejections", "witness_hits",
                 "violations", "some_found", "elapsed_before")
_ITEMSIZE = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8}


def present(directory: str | Path) -> bool:
    """Whether ``directory`` holds a checkpoint (in this format or the old one)."""
    d = Path(directory)
    return (d / FILE).exists() or (d / LEGACY_FILE).exists()


def _le(a: array) -> array:
    """``a`` with little-endian items (a copy on a big-endian machine)."""
    if sys.byteorder == "little" or a.itemsize == 1:
        return a
    b = array(a.typecode, a)
    b.byteswap()
    return b


def _dumps(x: Any) -> bytes:
    return json.dumps(x, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------------------------------
# states: canonical forms, decoded by declared types


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _shape(v: Any) -> str:
    return {type(None): "null", bool: "a boolean", int: "an integer", str: "a string",
            list: "an array"}.get(type(v), type(v).__name__)


def _fail(want: str, v: Any):
    raise CodecError("$", f"expected {want}, got {_shape(v)}")


_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def form_decoder(tp: Any) -> Callable[[Any], Any]:
    """A function from the canonical form (``checker.fingerprint.canonical``, read back from
    JSON) of a value of declared type ``tp`` to the value; raises :class:`CodecError`."""
    got = _DECODERS.get(tp)
    if got is None:
        got = _DECODERS[tp] = _compile(tp)
    return got


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, list):
        if v and v[0] == "#set":
            return frozenset(_plain(x) for x in v[1:])
        if v and v[0] == "#map":
            return dict(_pair(x, _plain, _plain) for x in v[1:])
        return tuple(_plain(x) for x in v)
    _fail("a JSON scalar or array", v)


def _pair(kv: Any, dk, dv) -> tuple:
    if not isinstance(kv, list) or len(kv) != 2:
        _fail("a [key, value] pair", kv)
    return dk(kv[0]), dv(kv[1])


def _scalar(kind: type, want: str) -> Callable[[Any], Any]:
    def dec(v):
        if type(v) is not kind:
            _fail(want, v)
        return v
    return dec


def _compile(tp: Any) -> Callable[[Any], Any]:
    if tp is Any or tp is None or tp is object:
        return _plain
    if tp is type(None):
        return _scalar(type(None), "null")
    if _is_union(tp):
        return _union(tp)
    if getattr(tp, "__supertype__", None) is not None:  # a typing.NewType
        return form_decoder(tp.__supertype__)
    origin, args = typing.get_origin(tp) or tp, typing.get_args(tp)
    if origin in (tuple, list, typing.Sequence):
        return _sequence(origin, args)
    if origin in (frozenset, set, typing.AbstractSet):
        return _collection("#set", args, lambda d, items: frozenset(d(x) for x in items))
    if origin in (dict, typing.Mapping):
        dk, dv = (form_decoder(args[0]), form_decoder(args[1])) if len(args) == 2 else (_plain, _plain)
        return _collection("#map", (), lambda d, items: dict(_pair(x, dk, dv) for x in items))
    if tp in (bool, str):
        return _scalar(tp, "a boolean" if tp is bool else "a string")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum(tp)
    if tp is int:
        return _scalar(int, "an integer")
    if isinstance(tp, type) and attrs.has(tp):
        return _record(tp)
    if isinstance(tp, type) and issubclass(tp, int):
        return lambda v: tp(_scalar(int, "an integer")(v))
    return _plain


def _union(tp: Any) -> Callable[[Any], Any]:
    args = typing.get_args(tp)
    nullable = type(None) in args
    alts = [form_decoder(a) for a in args if a is not type(None)]

    def dec(v):
        if v is None and nullable:
            return None
        first = None
        for d in alts:
            try:
                return d(v)
            except CodecError as e:
                first = first or e
        raise first or CodecError("$", "null is not allowed here")
    return dec


def _sequence(origin: Any, args: tuple) -> Callable[[Any], Any]:
    make = list if origin is list else tuple
    if len(args) == 2 and args[1] is Ellipsis or origin is not tuple and args:
        d = form_decoder(args[0])

        def dec(v):
            if type(v) is not list:
                _fail("an array", v)
            return make(d(x) for x in v)
        return dec
    if args and args != ((),):
        ds = [form_decoder(a) for a in args]

        def fixed(v):
            if type(v) is not list or len(v) != len(ds):
                _fail(f"an array of {len(ds)} elements", v)
            return tuple(d(x) for d, x in zip(ds, v))
        return fixed
    return lambda v: make(_plain(x) for x in v) if type(v) is list else _fail("an array", v)


def _collection(tag: str, args: tuple, build) -> Callable[[Any], Any]:
    d = form_decoder(args[0]) if args else _plain

    def dec(v):
        if type(v) is not list or not v or v[0] != tag:
            _fail(f"an array starting with {tag!r}", v)
        return build(d, v[1:])
    return dec


def _enum(cls: type) -> Callable[[Any], Any]:
    def dec(v):
        if type(v) is not list or len(v) != 2 or v[0] != cls.__name__ or type(v[1]) is not str:
            _fail(f"[{cls.__name__!r}, member]", v)
        member = cls.__members__.get(v[1])
        if member is None:
            raise CodecError("$", f"{v[1]!r} is not a member of {cls.__name__}")
        return member
    return dec


def _subclass_named(cls: type, name: str) -> type | None:
    for sub in cls.__subclasses__():
        if sub.__name__ == name and attrs.has(sub):
            return sub
        deeper = _subclass_named(sub, name)
        if deeper is not None:
            return deeper
    return None


def _record(cls: type) -> Callable[[Any], Any]:
    fields: list[tuple[str | None, Callable[[Any], Any]]] = []

    def dec(v):
        if type(v) is not list or not v or type(v[0]) is not str:
            _fail(f"a {cls.__name__} record", v)
        if v[0] != cls.__name__:
            sub = _subclass_named(cls, v[0])
            if sub is None:
                raise CodecError("$", f"{v[0]!r} is not a {cls.__name__}")
            return form_decoder(sub)(v)
        if not fields:  # compiled on first use: a record type may refer to itself
            hints = field_types(cls)
            for f in attrs.fields(cls):
                fields.append((getattr(f, "alias", None) or f.name.lstrip("_") if f.init else None,
                               form_decoder(hints[f.name])))
        if len(v) != len(fields) + 1:
            _fail(f"a {cls.__name__} record of {len(fields)} fields", v)
        kwargs = {name: d(x) for (name, d), x in zip(fields, v[1:]) if name is not None}
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as e:
            raise CodecError("$", f"not a valid {cls.__name__}: {e}") from None
    return dec


class _StateStream:
    """The states of one append-only list of ``(index, state)`` pairs (a frontier or a next
    level), encoded and compressed as the list grows: each state once."""

    def __init__(self, items: list):
        self.items = items
        self.indices = array("q")
        self.z = zlib.compressobj(1)
        self.chunks: list[bytes] = []
        self.raw = 0

    def update(self) -> None:
        items, indices = self.items, self.indices
        start = len(indices)
        if start == len(items):
            return
        new = items[start:]
        text = _dumps([canonical(s) for _, s in new]) + b"\n"
        indices.extend(i for i, _ in new)
        self.raw += len(text)
        out = self.z.compress(text)
        if out:
            self.chunks.append(out)

    def data(self) -> bytes:
        return b"".join(self.chunks) + self.z.copy().flush()


# ---------------------------------------------------------------------------------------------------
# the checkpoint of one search


class Checkpoints:
    """Saving and loading the checkpoint of one explicit search (``checker.explicit._Search``)
    in ``directory``; ``identity`` is the check's (compared on load)."""

    def __init__(self, directory: str | Path, identity: dict[str, Any], machine: Any, key: Callable):
        self.dir = Path(directory)
        self.path = self.dir / FILE
        self.identity = json.loads(json.dumps(identity, default=repr))
        self.machine = machine
        self.key = key
        self.state_type = type(next(iter(machine.init())))
        self.front: _StateStream | None = None
        self.next: _StateStream | None = None

    def _bad(self, what: str, path: Path | None = None) -> CheckpointMismatch:
        return one_line(f"{path or self.path}: {what}")

    # -- before the search ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create the directory, remove temporaries of killed runs, and check that the
        machine's states survive the round trip (so a saved search can be resumed)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._bad(f"cannot create the checkpoint directory: {e.strerror or e}", self.dir) from None
        for tmp in self.dir.glob(f"{FILE}.*.tmp"):
            pid = tmp.name[len(FILE) + 1:-len(".tmp")]
            if pid.isdigit() and not _alive(int(pid)):
                tmp.unlink(missing_ok=True)
        decode = form_decoder(self.state_type)
        for s in self.machine.init():
            rep, fp = self.key(s)
            try:
                back = decode(json.loads(_dumps(canonical(rep))))
                same = self.key(back)[1] == fp
            except (CodecError, TypeError, ValueError) as e:
                raise self._bad(f"the states of machine {self.machine.name!r} cannot be checkpointed: {e}",
                                self.dir) from None
            if not same:
                raise self._bad(f"the states of machine {self.machine.name!r} cannot be checkpointed: a "
                                "state read back differs from the state written", self.dir)

    # -- saving ------------------------------------------------------------------------------------
    def _streams(self, ex: Exploration) -> tuple[_StateStream, _StateStream]:
        if self.front is None or self.front.items is not ex.frontier:
            nxt = self.next
            self.front = nxt if nxt is not None and nxt.items is ex.frontier else _StateStream(ex.frontier)
        if self.next is None or self.next.items is not ex.nxt:
            self.next = _StateStream(ex.nxt)
        self.front.update()
        self.next.update()
        return self.front, self.next

    def save(self, search: Any, elapsed: float) -> None:
        """Write the search's state (atomically: a temporary file renamed over the checkpoint)."""
        ex = search.ex
        front, nxt = self._streams(ex)
        sections: list[tuple[dict[str, Any], Any]] = []

        def arr(name: str, a: array) -> None:
            sections.append(({"name": name, "type": a.typecode, "bytes": len(a) * a.itemsize}, _le(a)))

        def states(name: str, st: _StateStream) -> None:
            data = st.data()
            arr(name, st.indices)
            sections.append(({"name": name + "_states", "type": "zlib", "bytes": len(data), "count": len(st.indices),
                              "raw": st.raw}, data))

        for name in ("fps", "parent", "parent_act"):
            arr(name, getattr(ex, name))
        states("frontier", front)
        states("next", nxt)
        if search.graph is not None:
            arr("dead", search.dead)
            for name in search.graph.OWN:
                arr("graph." + name, getattr(search.graph, name))
        header = _dumps({"format": "paraspec-checkpoint", "paraspec": _version(), "identity": self.identity,
                         "search": _scalars(search, elapsed), "sections": [h for h, _ in sections]})
        self._write(header, [data for _, data in sections])

    def _write(self, header: bytes, payload: list[Any]) -> None:
        tmp = self.dir / f"{FILE}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as f:
                h = hashlib.sha256()
                for part in (MAGIC, _PREFIX.pack(FORMAT_VERSION, len(header)), header, *payload):
                    h.update(part)
                    f.write(part)
                f.write(h.digest())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # -- loading -------------------------------------------------------------------------------------
    def load(self, search: Any) -> bool:
        """Restore ``search`` from the checkpoint (False when there is none); a checkpoint
        that is unreadable, corrupt, of another format or of another check raises
        :class:`CheckpointMismatch` (one line)."""
        if not self.path.exists():
            legacy = self.dir / LEGACY_FILE
            if legacy.exists():
                raise self._bad("a checkpoint in the pickle format of older paraspec versions, which is not "
                                "loaded (it could run code): start the search again with --checkpoint", legacy)
            return False
        try:
            blob = self.path.read_bytes()
        except OSError as e:
            raise self._bad(f"cannot read the checkpoint: {e.strerror or e}") from None
        header, payload = self._verify(blob)
        self._check_identity(header)
        data = _Reader(self, payload).sections(header["sections"], search)
        _restore(self, search, header["search"], data)
        return True

    def _verify(self, blob: bytes) -> tuple[dict[str, Any], memoryview]:
        """(the header, the sections) of a file whose magic, version and checksum are right."""
        if not blob:
            raise self._bad("the checkpoint file is empty")
        if MAGIC.startswith(blob):
            raise self._bad("the checkpoint is truncated")
        if not blob.startswith(MAGIC):
            what = "a pickle" if blob[:1] == b"\x80" else "not a paraspec checkpoint"
            raise self._bad(f"{what} (no {MAGIC[:-1].decode()} signature); refused")
        if len(blob) < len(MAGIC) + _PREFIX.size + _DIGEST:
            raise self._bad("the checkpoint is truncated")
        version, hlen = _PREFIX.unpack_from(blob, len(MAGIC))
        if version != FORMAT_VERSION:
            raise self._bad(f"checkpoint format version {version}; this paraspec reads version {FORMAT_VERSION}")
        body = memoryview(blob)[:-_DIGEST]
        if hashlib.sha256(body).digest() != blob[-_DIGEST:]:
            raise self._bad("checksum mismatch: the checkpoint is corrupt or truncated")
        start = len(MAGIC) + _PREFIX.size
        if hlen > len(body) - start:
            raise self._bad("malformed checkpoint: the header runs past the end")
        try:
            header = json.loads(bytes(body[start:start + hlen]).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise self._bad(f"malformed checkpoint header: {e}") from None
        for key, kind in (("format", str), ("paraspec", str), ("identity", dict), ("search", dict),
                          ("sections", list)):
            if not isinstance(header, dict) or not isinstance(header.get(key), kind):
                raise self._bad(f"malformed checkpoint header: no {key!r} {kind.__name__}")
        if header["format"] != "paraspec-checkpoint":
            raise self._bad(f"not a paraspec checkpoint (format {header['format']!r})")
        return header, body[start + hlen:]

    def _check_identity(self, header: dict[str, Any]) -> None:
        got = header["identity"]
        if got != self.identity:
            diff = [k for k in sorted(set(got) | set(self.identity)) if got.get(k) != self.identity.get(k)]
            raise self._bad(f"the checkpoint is of another check (machine {got.get('machine')!r}, preset "
                            f"{got.get('preset')!r}, mutant {got.get('mutant')!r}; differs in "
                            f"{', '.join(diff)}): resume it with the same machine, preset, parameters, mutant, "
                            "properties and --symmetry")
        if header["paraspec"] != _version():
            raise self._bad(f"the checkpoint was written by paraspec {header['paraspec']}, this is paraspec "
                            f"{_version()}: start the search again with --checkpoint")


def one_line(message: str) -> CheckpointMismatch:
    """The error for the CLI's one line (line breaks in a file name or a value escaped)."""
    return CheckpointMismatch(message.replace("\r", "\\r").replace("\n", "\\n"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _version() -> str:
    from paraspec import __version__

    return str(__version__)


def _scalars(search: Any, elapsed: float) -> dict[str, Any]:
    ex = search.ex
    return {"pos": ex.pos, "depth": ex.depth, "stopped": ex.stopped, "started": ex.started,
            "transitions": search.transitions, "deadlocks": search.deadlocks, "deadlock_idx": search.deadlock_idx,
            "rejections": search.rejections, "witness_hits": search.witness_hits,
            "violations": {k: list(v) for k, v in search.violations.items()}, "some_found": search.some_found,
            "elapsed": elapsed, "graph_n": search.graph.n if search.graph is not None else None}


class _Reader:
    """The sections of a verified checkpoint, each checked against what the search expects."""

    def __init__(self, ck: Checkpoints, payload: memoryview):
        self.ck = ck
        self.payload = payload

    def sections(self, specs: list, search: Any) -> dict[str, Any]:
        expected = self._expected(search)
        out: dict[str, Any] = {}
        offset = 0
        for spec in specs:
            name = spec.get("name") if isinstance(spec, dict) else None
            size = spec.get("bytes") if isinstance(spec, dict) else None
            if type(name) is not str or name not in expected or name in out or type(size) is not int or size < 0:
                raise self.ck._bad(f"malformed checkpoint: unexpected section {name!r}")
            if offset + size > len(self.payload):
                raise self.ck._bad(f"malformed checkpoint: section {name!r} runs past the end")
            raw = self.payload[offset:offset + size]
            offset += size
            out[name] = self._states(name, spec, raw) if expected[name] == "zlib" else \
                self._array(name, spec, raw, expected[name])
        missing = [n for n in expected if n not in out]
        if missing or offset != len(self.payload):
            what = f"missing section {missing[0]!r}" if missing else "data after the last section"
            raise self.ck._bad(f"malformed checkpoint: {what}")
        return out

    def _expected(self, search: Any) -> dict[str, str]:
        ex = Exploration()
        out = {name: getattr(ex, name).typecode for name in ("fps", "parent", "parent_act")}
        out.update({"frontier": "q", "frontier_states": "zlib", "next": "q", "next_states": "zlib"})
        if search.graph is not None:
            out["dead"] = search.dead.typecode
            g = type(search.graph)()
            out.update({"graph." + name: getattr(g, name).typecode for name in g.OWN})
        return out

    def _array(self, name: str, spec: dict, raw: memoryview, typecode: str) -> array:
        size = _ITEMSIZE.get(typecode, array(typecode).itemsize)
        if spec.get("type") != typecode or len(raw) % size or array(typecode).itemsize != size:
            raise self.ck._bad(f"malformed checkpoint: section {name!r} is not an array of type {typecode!r}")
        a = array(typecode)
        a.frombytes(raw)
        if sys.byteorder != "little" and size > 1:
            a.byteswap()
        return a

    def _states(self, name: str, spec: dict, raw: memoryview) -> list[Any]:
        count, size = spec.get("count"), spec.get("raw")
        if spec.get("type") != "zlib" or type(count) is not int or type(size) is not int or count < 0 or size < 0:
            raise self.ck._bad(f"malformed checkpoint: section {name!r}")
        z = zlib.decompressobj()
        try:
            text = z.decompress(raw, size + 1) + (z.flush() if not z.unconsumed_tail else b"")
        except zlib.error as e:
            raise self.ck._bad(f"malformed checkpoint: section {name!r}: {e}") from None
        if len(text) != size or z.unconsumed_tail or not z.eof:
            raise self.ck._bad(f"malformed checkpoint: section {name!r} does not hold {size} bytes")
        lines = text.split(b"\n")
        if lines[-1] != b"":
            raise self.ck._bad(f"malformed checkpoint: section {name!r} does not end with a line break")
        decode = form_decoder(self.ck.state_type)
        out: list[Any] = []
        for line in lines[:-1]:
            try:
                batch = json.loads(line)
                if type(batch) is not list:
                    raise CodecError("$", f"expected an array of states, got {_shape(batch)}")
                for form in batch:
                    out.append(decode(form))
            except (CodecError, ValueError, RecursionError) as e:
                raise self.ck._bad(f"malformed checkpoint: {name.removesuffix('_states')} state {len(out)}: "
                                   f"{e}") from None
        if len(out) != count:
            raise self.ck._bad(f"malformed checkpoint: section {name!r} holds {len(out)} states, not {count}")
        return out


def _restore(ck: Checkpoints, search: Any, sc: dict[str, Any], data: dict[str, Any]) -> None:
    """Check the search's scalars and arrays against each other, then install them."""
    import numpy as np

    n = len(data["fps"])
    names = [p.name for p in search.props]
    _check_scalars(ck, sc, n, names)
    _check_tree(ck, data, n)
    ex = search.ex
    for which, items in (("frontier", "frontier_states"), ("next", "next_states")):
        idx, states = data[which], data[items]
        if len(idx) != len(states):
            raise ck._bad(f"malformed checkpoint: {len(idx)} {which} indices for {len(states)} states")
        pairs = []
        for i, s in zip(idx, states):
            rep, fp = ck.key(s)
            if not 0 <= i < n or fp != data["fps"][i]:
                raise ck._bad(f"malformed checkpoint: a {which} state does not match its fingerprint")
            pairs.append((i, rep))
        data[which] = pairs
    if not sc["pos"] <= len(data["frontier"]):
        raise ck._bad("malformed checkpoint: the frontier position is past the frontier")
    ex.restore({"fps": data["fps"], "parent": data["parent"], "parent_act": data["parent_act"],
                "frontier": data["frontier"], "pos": sc["pos"], "nxt": data["next"], "depth": sc["depth"],
                "stopped": sc["stopped"], "started": sc["started"]})
    if n and len(np.unique(np.frombuffer(data["fps"], dtype=np.uint64))) != n:
        raise ck._bad("malformed checkpoint: a fingerprint is stored twice")
    if search.graph is not None:
        _restore_graph(ck, search, sc, data, n)
    for k in ("transitions", "deadlocks", "deadlock_idx", "rejections", "witness_hits", "some_found"):
        setattr(search, k, sc[k])
    search.violations = {k: (v[0], v[1]) for k, v in sc["violations"].items()}
    search.elapsed_before = float(sc["elapsed"])


def _want(ck: Checkpoints, ok: bool, what: str) -> None:
    if not ok:
        raise ck._bad(f"malformed checkpoint: {what}")


def _nat(v: Any, below: int | None = None) -> bool:
    return type(v) is int and v >= 0 and (below is None or v < below)


def _check_scalars(ck: Checkpoints, sc: dict[str, Any], n: int, names: list[str]) -> None:
    _want(ck, _nat(sc.get("pos")) and _nat(sc.get("depth")), "bad frontier position or depth")
    _want(ck, sc.get("stopped") is None or isinstance(sc.get("stopped"), str), "bad stop reason")
    _want(ck, type(sc.get("started")) is bool, "bad 'started'")
    _want(ck, _nat(sc.get("transitions")) and _nat(sc.get("deadlocks")), "bad counters")
    _want(ck, sc.get("deadlock_idx") is None or _nat(sc.get("deadlock_idx"), n), "bad deadlock index")
    rej = sc.get("rejections")
    _want(ck, isinstance(rej, dict) and all(_nat(v) for v in rej.values()), "bad rejection counts")
    hits = sc.get("witness_hits")
    _want(ck, isinstance(hits, dict) and sorted(hits) == sorted(names) and all(_nat(v) for v in hits.values()),
          "bad witness counts")
    viol = sc.get("violations")
    _want(ck, isinstance(viol, dict) and all(
        k in names and isinstance(v, list) and len(v) == 2 and _nat(v[0], n) and (v[1] is None or _nat(v[1]))
        for k, v in viol.items()), "bad violations")
    some = sc.get("some_found")
    _want(ck, isinstance(some, dict) and all(k in names and _nat(v, n) for k, v in some.items()),
          "bad witnesses found")
    e = sc.get("elapsed")
    _want(ck, type(e) in (int, float) and math.isfinite(e) and e >= 0, "bad elapsed time")


def _check_tree(ck: Checkpoints, data: dict[str, Any], n: int) -> None:
    """The parent pointers form a tree in discovery order (each parent stored before its child)."""
    import numpy as np

    _want(ck, len(data["parent"]) == n and len(data["parent_act"]) == n, "the parent arrays are not one per state")
    if n:
        parent = np.frombuffer(data["parent"], dtype=np.int64)
        _want(ck, bool(((parent >= -1) & (parent < np.arange(n))).all()), "a parent pointer is out of range")
        _want(ck, bool((np.frombuffer(data["parent_act"], dtype=np.int32) >= 0).all()), "a negative action index")


def _restore_graph(ck: Checkpoints, search: Any, sc: dict[str, Any], data: dict[str, Any], n: int) -> None:
    import numpy as np

    cls = type(search.graph)
    arrays = {name: data["graph." + name] for name in cls.OWN}
    _want(ck, sc.get("graph_n") == n and len(data["dead"]) == n, "the liveness graph is not one node per state")
    edges = {len(arrays[k]) for k in ("dst", "act", "label")}
    _want(ck, len(edges) == 1 and len(arrays["enabled"]) == n and len(arrays["off"]) <= n,
          "the liveness graph's arrays disagree in length")
    if len(arrays["dst"]):
        a = np.frombuffer(arrays["dst"], dtype=np.int32)
        _want(ck, bool(((a >= 0) & (a < n)).all()), "a liveness edge is out of range")
    if len(arrays["off"]):
        o = np.frombuffer(arrays["off"], dtype=np.int64)
        _want(ck, bool(o[0] >= 0 and o[-1] <= len(arrays["dst"]) and (o[1:] >= o[:-1]).all()),
              "the liveness graph's edge offsets are out of order")
    search.graph = cls(n=n, parent=search.ex.parent, parent_act=search.ex.parent_act, **arrays)
    search.dead = data["dead"]
