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

__all__ = ["main", "build_parser"]


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "register"):
            mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"paraspec: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paraspec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
