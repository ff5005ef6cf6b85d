"""Checkpoints of the Ray search: one file per partition, and a manifest.

Each partition encodes its own share (``Partition.snapshot``): its stored states (global
index, key, parent, parent action), its frontier (global indices and the states as their
canonical forms, zlib-compressed JSON lines) and, for liveness, its accepted edges. The
driver writes each partition's bytes to ``ray-part-K.TOKEN.ckpt`` as it fetches them
(one partition's bytes at a time in the driver), then the manifest ``ray.ckpt``: the
identity of the check, the search's counters (transitions, rejections, witnesses,
violations, deadlocks), the frontier position, and the name and sha256 of each
partition file. Every file is data only, framed like the single-process checkpoint
(``checker.checkpoint``)::

    MAGIC  version u32  header-length u64  header (UTF-8 JSON)  sections  sha256 (of all before)

A save writes the partition files under new names and renames the manifest over the old
one last, so a kill at any moment leaves the previous checkpoint or the new one whole;
the files of older saves are removed after. Loading checks the magic, version and
checksum of every file, the manifest's identity and sha256 of each partition file, and,
in each partition, that every key is owned by it, stored once, with a parent before it,
and that every frontier state matches its key; the driver checks the partitions hold
the global indices 0..n-1 once each. Every failure is one line naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys
import zlib
from array import array
from pathlib import Path
from typing import Any

from ..checkpoint import FILE as LOCAL_FILE
from ..checkpoint import _alive, _check_scalars, _le, _version, form_decoder, one_line
from ..codec import CodecError
from ..fingerprint import canonical

__all__ = ["MANIFEST", "VERSION", "RayCheckpoints", "encode_partition", "decode_partition", "present",
           "local_resume_problem"]

MANIFEST = "ray.ckpt"
MAGIC = b"PARASPEC-RAY-CHECKPOINT\n"
PART_MAGIC = b"PARASPEC-RAY-PARTITION\n"
VERSION = 1
_PREFIX = struct.Struct("<IQ")
_DIGEST = 32
#: states per JSON line of a frontier section (bounds the text held while encoding)
_LINE = 2048


def present(directory: str | Path) -> bool:
    """Whether ``directory`` holds a Ray checkpoint."""
    return (Path(directory) / MANIFEST).exists()


def local_resume_problem(directory: str | Path) -> str | None:
    """Why the single-process engine cannot resume ``directory`` (a Ray checkpoint only), if so."""
    d = Path(directory)
    if present(d) and not (d / LOCAL_FILE).exists():
        return (f"{d / MANIFEST}: a checkpoint of the Ray search (one file per partition): resume it with --ray "
                "and the same --ray-workers")
    return None


def _dumps(x: Any) -> bytes:
    return json.dumps(x, separators=(",", ":")).encode()


def frame(magic: bytes, header: dict[str, Any], sections: list[tuple[str, str, bytes]]) -> bytes:
    """One file: ``sections`` are (name, type code or "zlib", bytes)."""
    header = {**header, "sections": [{"name": n, "type": t, "bytes": len(b)} for n, t, b in sections]}
    head = _dumps(header)
    body = b"".join([magic, _PREFIX.pack(VERSION, len(head)), head, *(b for _, _, b in sections)])
    return body + hashlib.sha256(body).digest()


def unframe(magic: bytes, blob: bytes, where: str, fmt: str) -> tuple[dict[str, Any], dict[str, memoryview]]:
    """(header, sections by name) of a file whose magic, version and checksum are right."""
    def bad(what: str):
        return one_line(f"{where}: {what}")

    if not blob.startswith(magic):
        raise bad("the checkpoint is truncated" if magic.startswith(blob) else f"not a {fmt} file; refused")
    if len(blob) < len(magic) + _PREFIX.size + _DIGEST:
        raise bad("the checkpoint is truncated")
    version, hlen = _PREFIX.unpack_from(blob, len(magic))
    if version != VERSION:
        raise bad(f"{fmt} format version {version}; this paraspec reads version {VERSION}")
    body = memoryview(blob)[:-_DIGEST]
    if hashlib.sha256(body).digest() != blob[-_DIGEST:]:
        raise bad("checksum mismatch: the checkpoint is corrupt or truncated")
    start = len(magic) + _PREFIX.size
    try:
        header = json.loads(bytes(body[start:start + hlen]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise bad(f"malformed checkpoint header: {e}") from None
    if not isinstance(header, dict) or header.get("format") != fmt or not isinstance(header.get("sections"), list):
        raise bad(f"malformed checkpoint header (not a {fmt} header)")
    out: dict[str, memoryview] = {}
    offset = start + hlen
    for spec in header["sections"]:
        name, size = (spec.get("name"), spec.get("bytes")) if isinstance(spec, dict) else (None, None)
        if type(name) is not str or name in out or type(size) is not int or size < 0 or offset + size > len(body):
            raise bad(f"malformed checkpoint: section {name!r}")
        out[name] = body[offset:offset + size]
        offset += size
    if offset != len(body):
        raise bad("malformed checkpoint: data after the last section")
    return header, out


def _array(sections: dict[str, memoryview], name: str, typecode: str, where: str) -> array:
    raw = sections.get(name)
    a = array(typecode)
    if raw is None or len(raw) % a.itemsize:
        raise one_line(f"{where}: malformed checkpoint: section {name!r} is not an array of type {typecode!r}")
    a.frombytes(raw)
    if sys.byteorder != "little" and a.itemsize > 1:
        a.byteswap()
    return a


# ---------------------------------------------------------------------------------------------------
# one partition's file (encoded and decoded inside the partition actor)

_PART_ARRAYS = (("gidx", "q"), ("fps", "Q"), ("parent", "q"), ("parent_act", "i"), ("front", "q"),
                ("e_src", "q"), ("e_act", "i"), ("e_label", "B"), ("e_dst", "Q"))


def encode_partition(part: Any) -> bytes:
    """The bytes of partition ``part``'s file (between levels: its stored states and frontier)."""
    z = zlib.compressobj(1)
    chunks = []
    raw = 0
    fr = part.frontier
    for i in range(0, len(fr), _LINE):
        text = _dumps([canonical(s) for _, s in fr[i:i + _LINE]]) + b"\n"
        raw += len(text)
        chunks.append(z.compress(text))
    chunks.append(z.flush())
    edges = part.edges
    cols = {"gidx": part.gidx, "fps": part.fps, "parent": part.parent, "parent_act": part.parent_act,
            "front": array("q", fr.idx),
            "e_src": edges.src, "e_act": edges.act, "e_label": edges.label, "e_dst": edges.dst}
    sections = [(name, code, _le(cols[name]).tobytes()) for name, code in _PART_ARRAYS]
    sections.append(("front_states", "zlib", b"".join(chunks)))
    header = {"format": "paraspec-ray-partition", "paraspec": _version(), "partition": part.k,
              "partitions": part.n, "states": len(part.fps), "frontier": len(fr), "raw": raw}
    return frame(PART_MAGIC, header, sections)


def decode_partition(part: Any, blob: bytes, where: str, states: int, lo: int) -> dict[str, Any]:
    """Partition ``part``'s share read back from ``blob`` and checked (``states`` in all, the
    frontier holding global indices ``lo..states-1``); raises ``CheckpointMismatch``."""
    import numpy as np

    from .partition import owner_array

    header, secs = unframe(PART_MAGIC, blob, where, "paraspec-ray-partition")

    def bad(what: str):
        return one_line(f"{where}: malformed checkpoint: {what}")

    if header.get("partition") != part.k or header.get("partitions") != part.n:
        raise bad(f"the file of partition {header.get('partition')} of {header.get('partitions')}, "
                  f"read as partition {part.k} of {part.n}")
    cols = {name: _array(secs, name, code, where) for name, code in _PART_ARRAYS}
    n = len(cols["fps"])
    if not len(cols["gidx"]) == len(cols["parent"]) == len(cols["parent_act"]) == n:
        raise bad("the state arrays disagree in length")
    gidx, fps = np.frombuffer(cols["gidx"], np.int64), np.frombuffer(cols["fps"], np.uint64)
    parent = np.frombuffer(cols["parent"], np.int64)
    if n and not (((gidx >= 0) & (gidx < states)).all() and ((parent >= -1) & (parent < gidx)).all()
                  and (np.frombuffer(cols["parent_act"], np.int32) >= 0).all()):
        raise bad("a global index, parent pointer or action index is out of range")
    if n and ((owner_array(fps, part.n) != part.k).any() or len(np.unique(fps)) != n):
        raise bad("a key is not owned by this partition or is stored twice")
    at = {g: i for i, g in enumerate(cols["gidx"])}
    front = _frontier(part, secs.get("front_states"), header, cols, at, where, lo)
    ne = len(cols["e_src"])
    if not len(cols["e_act"]) == len(cols["e_label"]) == len(cols["e_dst"]) == ne or \
            any(g not in at for g in cols["e_src"]):
        raise bad("the liveness edges disagree in length or leave a state of another partition")
    edges = list(zip(cols["e_src"], cols["e_act"], cols["e_label"], cols["e_dst"]))
    return {"rows": (cols["gidx"], cols["fps"], cols["parent"], cols["parent_act"]), "frontier": front,
            "edges": edges}


def _frontier(part, raw, header: dict, cols: dict, at: dict, where: str, lo: int) -> list:
    count, size = header.get("frontier"), header.get("raw")
    if raw is None or type(count) is not int or type(size) is not int or count != len(cols["front"]) or size < 0:
        raise one_line(f"{where}: malformed checkpoint: the frontier section")
    z = zlib.decompressobj()
    try:
        text = z.decompress(raw, size + 1)
    except zlib.error as e:
        raise one_line(f"{where}: malformed checkpoint: the frontier: {e}") from None
    if len(text) != size or not z.eof:
        raise one_line(f"{where}: malformed checkpoint: the frontier does not hold {size} bytes")
    decode = form_decoder(part.state_type)
    out: list = []
    forms = (form for line in text.split(b"\n")[:-1] for form in json.loads(line))
    try:
        for g, form in zip(cols["front"], forms, strict=True):
            rep, fp = part.x.key(decode(form))
            if g < lo or g not in at or cols["fps"][at[g]] != fp or (out and g <= out[-1][0]):
                raise one_line(f"{where}: malformed checkpoint: frontier state {len(out)} does not match its "
                               "key or is out of order")
            out.append((g, rep))
    except (CodecError, ValueError, TypeError, RecursionError) as e:
        raise one_line(f"{where}: malformed checkpoint: frontier state {len(out)}: {e}") from None
    return out


# ---------------------------------------------------------------------------------------------------
# the manifest (written and read by the driver)


class RayCheckpoints:
    """The Ray checkpoint of one search in ``directory`` (``identity``: the check's)."""

    def __init__(self, directory: str | Path, identity: dict[str, Any], partitions: int):
        self.dir = Path(directory)
        self.path = self.dir / MANIFEST
        self.identity = json.loads(json.dumps({**identity, "engine": "ray"}, default=repr))
        self.n = partitions

    def _bad(self, what: str, path: Path | None = None):
        return one_line(f"{path or self.path}: {what}")

    def prepare(self) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._bad(f"cannot create the checkpoint directory: {e.strerror or e}", self.dir) from None
        for tmp in self.dir.glob("ray*.tmp"):
            pid = tmp.name.rsplit(".", 2)[-2]
            if pid.isdigit() and not _alive(int(pid)):
                tmp.unlink(missing_ok=True)

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def save(self, blobs, search: dict[str, Any], dead: list[int]) -> None:
        """Write the partitions' files (``blobs`` yields each partition's bytes in order), then
        the manifest naming them; then remove the files of earlier saves."""
        token = f"{os.getpid()}-{os.urandom(4).hex()}"
        files = []
        for k, blob in enumerate(blobs):
            name = f"ray-part-{k}.{token}.ckpt"
            self._write(self.dir / name, blob)
            files.append({"name": name, "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()})
            del blob
        header = {"format": "paraspec-ray-checkpoint", "paraspec": _version(), "identity": self.identity,
                  "partitions": self.n, "files": files, "search": search}
        self._write(self.path, frame(MAGIC, header, [("dead", "q", _le(array("q", dead)).tobytes())]))
        keep = {f["name"] for f in files}
        for old in self.dir.glob("ray-part-*.ckpt"):
            if old.name not in keep:
                old.unlink(missing_ok=True)

    def load(self, names: list[str]) -> tuple[dict[str, Any], list[int], list[tuple[Path, str]]]:
        """(the search's scalars, the deadlock indices, the partition files) of the manifest, checked."""
        try:
            blob = self.path.read_bytes()
        except OSError as e:
            raise self._bad(f"cannot read the checkpoint: {e.strerror or e}") from None
        header, secs = unframe(MAGIC, blob, str(self.path), "paraspec-ray-checkpoint")
        got = header.get("identity")
        if got != self.identity:
            diff = [k for k in sorted(set(got or {}) | set(self.identity))
                    if (got or {}).get(k) != self.identity.get(k)]
            raise self._bad(f"the checkpoint is of another check (differs in {', '.join(diff)}): resume it with "
                            "the same machine, preset, parameters, mutant, properties and --symmetry")
        if header.get("paraspec") != _version():
            raise self._bad(f"the checkpoint was written by paraspec {header.get('paraspec')}, this is paraspec "
                            f"{_version()}: start the search again with --checkpoint")
        if header.get("partitions") != self.n:
            raise self._bad(f"saved by {header.get('partitions')} partitions: resume it with --ray-workers "
                            f"{header.get('partitions')}")
        sc, files = header.get("search"), header.get("files")
        if not isinstance(sc, dict) or not isinstance(files, list) or len(files) != self.n:
            raise self._bad("malformed checkpoint: no search record or not one file per partition")
        states = sc.get("states")
        if type(states) is not int or states < 0 or type(sc.get("lo")) is not int or not 0 <= sc["lo"] <= states:
            raise self._bad("malformed checkpoint: bad state count or frontier position")
        _check_scalars(self, {**sc, "pos": 0, "started": True}, states, names)
        dead = list(_array(secs, "dead", "q", str(self.path)))
        if any(not 0 <= i < states for i in dead):
            raise self._bad("malformed checkpoint: a deadlock index is out of range")
        return sc, dead, [self._part_file(f) for f in files]

    def _part_file(self, f: Any) -> tuple[Path, str]:
        name, sha = (f.get("name"), f.get("sha256")) if isinstance(f, dict) else (None, None)
        if type(name) is not str or "/" in name or not name.startswith("ray-part-") or type(sha) is not str:
            raise self._bad("malformed checkpoint: a partition file entry")
        return self.dir / name, sha

    def read_part(self, path: Path, sha: str) -> bytes:
        try:
            blob = path.read_bytes()
        except OSError as e:
            raise self._bad(f"cannot read a partition file of the checkpoint: {e.strerror or e}", path) from None
        if hashlib.sha256(blob).hexdigest() != sha:
            raise self._bad("the partition file is not the one the manifest names (sha256 differs)", path)
        return blob
