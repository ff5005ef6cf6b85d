"""Output files: checked before the work starts, written atomically, temporaries swept.

The rule (``docs/guide.md``, *Output files*):

* every output path (``--json``, ``--junit``, ``--trace-dir``, ``--checkpoint``, ``vectors generate
  --out``) is checked before any search starts: a file in place of a directory component, a name
  component longer than the file system allows (an output's own name has to leave ``NAME_SLACK`` bytes
  for its temporary), a directory that cannot be written: one line, exit 2;
* a file is written to a temporary beside it, ``.NAME.paraspec-PID-N.tmp``, and renamed into place, so
  a reader sees the old file or the new one, never half of one; a temporary is removed when the write
  fails or is interrupted (Ctrl-C, SIGTERM, SIGHUP); one left by a ``kill -9`` is removed by the next
  paraspec run that checks that directory (a temporary whose process is still alive is left alone);
* an output path that is a symbolic link is written through: the link's target is replaced, the link
  stays; an existing special file (``/dev/stdout``, a FIFO) is written directly;
* a directory replaced as a whole (``vectors generate --out``) is swapped in by one atomic exchange
  where the system has one (Linux ``renameat2``); elsewhere the old one is renamed aside
  (``.NAME.paraspec-PID-N.old``), the new one renamed in, and the old one deleted; a failure restores
  it, and a kill between the two renames is repaired by the next run (the aside is renamed back).
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import shutil
import stat
from pathlib import Path

from .registry import UsageError

__all__ = ["OutputError", "NAME_SLACK", "dir_problem", "check_file", "check_dir", "check_replaced_dir",
           "atomic_write", "Staged", "temp_path", "sweep", "replace_dir"]

#: bytes an output's own name leaves for the suffix of its temporary (``.paraspec-PID-N.tmp``)
NAME_SLACK = 40
_TEMP = re.compile(r"^\.(?P<name>.+)\.paraspec-(?P<pid>\d+)-(?P<n>\d+)\.(?P<tag>tmp|old)$", re.S)
_counter = itertools.count()


class OutputError(UsageError):
    """An output path that cannot be written (one line, exit 2)."""


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _path_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_PATH_MAX")
    except (OSError, ValueError):
        return 4096


def _nearest_existing(path: Path, flag: str, shown: str) -> Path:
    """The deepest existing ancestor of ``path`` (a directory, or one line naming the file in the way)."""
    for anc in [path, *path.parents]:
        try:
            os.stat(anc)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as e:
            if e.errno == errno.ENAMETOOLONG:
                continue
            raise OutputError(f"{flag} {shown}: {anc}: {e.strerror or e}") from None
        if not os.path.isdir(anc):
            raise OutputError(f"{flag} {shown}: {anc} is not a directory")
        return anc
    return Path(".")  # pragma: no cover - the root always exists


def _check_names(path: Path, flag: str, shown: str, own_slack: int) -> None:
    """Every name component fits the file system (the last one with ``own_slack`` bytes to spare)."""
    absolute = Path(os.path.abspath(path))
    base = _nearest_existing(absolute.parent, flag, shown) if absolute.parent != absolute else absolute
    limit = _name_max(base)
    parts = [p for p in path.parts if p not in ("/", "")]
    for i, part in enumerate(parts):
        n = len(os.fsencode(part))
        slack = own_slack if i == len(parts) - 1 else 0
        if n + slack > limit:
            extra = f" (at most {limit - slack}, to leave room for a temporary beside it)" if slack else \
                f" (at most {limit})"
            raise OutputError(f"{flag} {shown}: a name component is {n} bytes long{extra}")
    if len(os.fsencode(str(absolute))) + own_slack >= _path_max(base):
        raise OutputError(f"{flag} {shown}: the path is too long")


def _probe(directory: Path, flag: str, shown: str) -> None:
    """Create and remove a temporary in ``directory``: it can be written (root ignores modes, so
    ``os.access`` would not tell)."""
    tmp = temp_path(directory / "probe")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise OutputError(f"{flag} {shown}: cannot write in {directory}: {e.strerror or e}") from None
    os.close(fd)
    try:
        os.unlink(tmp)
    except OSError:  # pragma: no cover
        pass


def _special(path: Path) -> bool:
    """An existing file that is neither a regular file nor a directory (a device, a FIFO, a socket,
    or a link to one such as ``/dev/stdout``)."""
    try:
        return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)
    except (OSError, ValueError):
        return False


def _target(path: Path) -> Path:
    """Where a write to ``path`` lands: a symbolic link is followed (the link stays)."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def dir_problem(path: str | Path) -> str | None:
    """Why ``path`` is not a directory that can be read (an input: ``--resume``, a vector suite),
    in a few words, or ``None``: a missing one, a file, a name the system refuses (too long, a NUL
    byte) and one that cannot be looked at are each told apart, never raised."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "no such directory"
    except OSError as e:
        return e.strerror or str(e)
    except ValueError as e:  # an embedded NUL byte
        return str(e)
    return None if stat.S_ISDIR(st.st_mode) else "not a directory"


def check_file(path: str | Path, flag: str) -> Path:
    """An output file: its directory exists and is writable, its names fit; returns where it is written."""
    shown = str(path)
    if shown.endswith(("/", os.sep)) or os.path.basename(shown) in ("", ".", ".."):
        raise OutputError(f"{flag} {shown}: names a directory, not a file")
    p = Path(path)
    if _special(p):
        return p  # /dev/stdout, a FIFO: written directly
    if os.path.islink(p):
        try:
            os.stat(p)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise OutputError(f"{flag} {shown}: a loop of symbolic links") from None
    p = _target(p)
    _check_names(p, flag, shown, NAME_SLACK)
    parent = Path(os.path.abspath(p)).parent
    base = _nearest_existing(parent, flag, shown)
    if os.path.isdir(p):
        raise OutputError(f"{flag} {shown}: is a directory")
    if base != parent:
        raise OutputError(f"{flag} {shown}: directory {parent} does not exist")
    _probe(parent, flag, shown)
    sweep(parent)
    return p


def check_dir(path: str | Path, flag: str) -> Path:
    """An output directory, made (with its parents) when missing: nothing in the way, writable."""
    shown = str(path)
    p = Path(path)
    _check_names(p, flag, shown, 0)
    if os.path.exists(p) and not os.path.isdir(p):
        raise OutputError(f"{flag} {shown}: exists and is not a directory")
    base = _nearest_existing(Path(os.path.abspath(p)), flag, shown)
    _probe(base, flag, shown)
    if base == Path(os.path.abspath(p)):
        sweep(base)
    return p


def check_replaced_dir(path: str | Path, flag: str) -> Path:
    """A directory replaced as a whole: its parent exists and is writable, its name leaves room for
    the temporary beside it."""
    shown = str(path)
    p = Path(path)
    _check_names(p, flag, shown, NAME_SLACK)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{flag} {shown}: exists and is not a directory")
    parent = Path(os.path.abspath(p)).parent
    if _nearest_existing(parent, flag, shown) != parent:
        raise OutputError(f"{flag} {shown}: directory {parent} does not exist")
    _probe(parent, flag, shown)
    sweep(parent)
    return p


# -- temporaries ---------------------------------------------------------------------------------


def temp_path(target: Path, tag: str = "tmp") -> Path:
    """A fresh temporary name beside ``target`` (hidden; names this process, so a later run can tell
    a leftover from a temporary in use)."""
    name = target.name
    raw = os.fsencode(name)
    if len(raw) > 200:
        name = os.fsdecode(raw[:200])
    return target.with_name(f".{name}.paraspec-{os.getpid()}-{next(_counter)}.{tag}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


def sweep(directory: str | Path) -> list[Path]:
    """Remove the temporaries of dead paraspec processes in ``directory``; an old directory set aside
    by an interrupted replacement is put back when its place is empty. Returns what was touched."""
    directory = Path(directory)
    touched = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return touched
    for entry in entries:
        m = _TEMP.match(entry.name)
        if m is None or _alive(int(m["pid"])):
            continue
        path = directory / entry.name
        original = directory / m["name"]
        if m["tag"] == "old" and not os.path.lexists(original):
            try:
                os.rename(path, original)
            except OSError:
                continue
        else:
            _remove(path)
        touched.append(path)
    return touched


def _write_new(tmp: Path, text: str) -> None:
    with open(tmp, "x", encoding="utf-8") as f:
        f.write(text)


def atomic_write(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary beside it: never a half-written file, never a
    temporary left behind by a failure or an interrupt."""
    target = _target(Path(path))
    try:
        if _special(Path(path)):
            with open(path, "w", encoding="utf-8") as f:  # /dev/stdout, a FIFO
                f.write(text)
            return
        tmp = temp_path(target)
        try:
            _write_new(tmp, text)
            os.replace(tmp, target)
        finally:
            if os.path.lexists(tmp):
                _remove(tmp)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


class Staged:
    """Files written to temporaries now and renamed into place together by ``commit()``; on leaving
    the ``with`` block, whatever was not committed is removed."""

    def __init__(self) -> None:
        self._items: list[tuple[Path, Path]] = []

    def write(self, path: str | Path, text: str) -> Path:
        target = _target(Path(path))
        tmp = temp_path(target)
        try:
            self._items.append((tmp, target))
            _write_new(tmp, text)
        except OSError as e:
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        return target

    def commit(self) -> None:
        while self._items:
            tmp, target = self._items[0]
            try:
                os.replace(tmp, target)
            except OSError as e:
                raise OutputError(f"cannot write {target}: {e.strerror or e}") from None
            self._items.pop(0)

    def discard(self) -> None:
        for tmp, _ in self._items:
            if os.path.lexists(tmp):
                _remove(tmp)
        self._items.clear()

    def __enter__(self) -> "Staged":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


# -- replacing a directory -----------------------------------------------------------------------


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


def replace_dir(out: Path, new: Path) -> None:
    """Put the directory ``new`` (a temporary beside ``out``) in place of ``out``: the old ``out``
    stays until the new one is wholly in place."""
    if not os.path.lexists(out):
        os.rename(new, out)
        return
    if _exchange(new, out):  # now ``new`` holds the old suite
        shutil.rmtree(new, ignore_errors=True)
        return
    aside = temp_path(out, "old")
    os.rename(out, aside)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside, ignore_errors=True)
