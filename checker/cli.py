"""The ``paraspec`` command line.

Subcommands live in ``paraspec.checker.commands.<name>`` (``checker/commands/``), each exposing
``register(subparsers)``; they are discovered, so an area adds a command by adding
a file. Exit codes: 0 when everything selected holds, 1 when a property is
violated (or vacuous, or a witness is missing, or the model raised), 2 on bad
input (one line on stderr naming the argument, file or field).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from .registry import UsageError

__all__ = ["main", "build_parser", "one_line"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(message)


def _version() -> str:
    from paraspec import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    from . import commands

    parser = _Parser(prog="paraspec", description="Executable specification and model checker for the "
                                                  "Polkadot parachain host protocol.")
    parser.add_argument("--version", action="version", version=f"paraspec {_version()}")
    parser.add_argument("--load", action="append", default=[], metavar="MODULE_OR_PATH",
                        help="import a spec of your own (a module name, a .py file or a folder) before the "
                             "command runs, so its machines, properties, mutants and lemmas are known "
                             "(repeatable; also PARASPEC_PATH and the paraspec.machines entry points; "
                             "see docs/authors.md)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "register"):
            mod.register(sub)
    from .commands._help import explain

    explain(parser)  # a description and an example for every subcommand
    return parser


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` on one printable line: control characters (newlines, escapes, line separators) and
    undecodable bytes of a file name are shown escaped, so an error message stays one line."""
    out = []
    for ch in str(text):
        o = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif o < 0x20 or 0x7F <= o < 0xA0 or o in (0x2028, 0x2029):
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}")
        elif 0xDC80 <= o <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
            out.append(f"\\x{o - 0xDC00:02x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out)


class Terminated(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so that temporaries are removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _install_handlers() -> dict:
    """Turn SIGTERM and SIGHUP into ``Terminated`` in this process (a forked worker keeps the
    default action); returns the previous handlers."""
    import os
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    owner = os.getpid()

    def handler(signum, frame):
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)
    return previous


def main(argv: list[str] | None = None) -> int:
    import signal

    argv = sys.argv[1:] if argv is None else argv
    previous = _install_handlers()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        from .registry import add_load, load_all

        for entry in args.load:
            add_load(entry)
        if args.load:
            load_all()  # a spec that fails to import: one line, exit 2, before any work
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"paraspec: error: {one_line(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paraspec: interrupted", file=sys.stderr)
        return 130
    except Terminated as e:
        print("paraspec: terminated", file=sys.stderr)
        return 128 + e.signum
    except BrokenPipeError:
        return 0
    finally:
        for sig, h in previous.items():
            signal.signal(sig, h)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
