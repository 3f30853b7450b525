"""The ``terndb`` command: ``terndb [shell] [options] [PATH] [SQL ...]``.

Subcommands live in :data:`SUBCOMMANDS` (name -> (parser builder, handler)); a
command line that does not start with one means ``shell``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, Optional, Sequence

import terndb

from .render import MODES

Handler = Callable[[argparse.Namespace], int]


# ------------------------------------------------------------------- shell

def _shell_parser(p: argparse.ArgumentParser) -> None:
    p.description = ("Open the TernDB shell on database PATH (a transient in-memory database "
                     "without PATH).  SQL arguments and -c commands run in order and the shell "
                     "exits; otherwise it reads SQL and dot commands from the terminal, or from "
                     "stdin when that is not a terminal.")
    p.add_argument("path", nargs="?", default=":memory:", metavar="PATH",
                   help="database file, :memory: or a backend URL (default :memory:)")
    p.add_argument("sql", nargs="*", metavar="SQL",
                   help="SQL statements or a dot command to run before exiting")
    p.add_argument("-c", "--command", "-cmd", action="append", default=[], metavar="SQL",
                   help="run SQL (or a dot command) and exit; repeatable")
    p.add_argument("-bail", "--bail", action="store_true",
                   help="stop at the first error when reading a script")
    p.add_argument("-echo", "--echo", action="store_true", help="print statements before running them")
    p.add_argument("-readonly", "--readonly", action="store_true", help="open the database read-only")
    p.add_argument("-header", "--header", "--headers", dest="header", action="store_const", const=True,
                   default=None, help="show column names")
    p.add_argument("-noheader", "--noheader", "--no-header", dest="header", action="store_const",
                   const=False, help="hide column names")
    p.add_argument("--mode", choices=MODES, metavar="MODE",
                   help=f"output mode: {', '.join(MODES)}")
    for m in MODES:
        p.add_argument(f"-{m}", f"--{m}", dest="mode", action="store_const", const=m,
                       help=argparse.SUPPRESS)
    p.add_argument("-nullvalue", "--nullvalue", metavar="TEXT", help="text for NULL values")
    p.add_argument("-separator", "--separator", metavar="SEP", help="column separator")
    p.add_argument("-i", "-interactive", "--interactive", dest="interactive", action="store_const",
                   const=True, default=None, help="force interactive mode (prompts)")
    p.add_argument("-batch", "--batch", dest="interactive", action="store_const", const=False,
                   help="force batch mode (no prompts)")
    p.epilog = 'Inside the shell, enter ".help" for the dot commands.'


def _tolerant_streams() -> None:
    """Never die on text the terminal cannot encode or input that is not UTF-8."""
    for stream, errors in ((sys.stdin, "replace"), (sys.stdout, "backslashreplace"),
                           (sys.stderr, "backslashreplace")):
        try:
            if getattr(stream, "errors", None) == "strict":
                stream.reconfigure(errors=errors)  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def _run_shell(args: argparse.Namespace) -> int:
    from .shell import Shell, ShellExit, resolve_backslashes, stdin_lines
    _tolerant_streams()
    try:
        shell = Shell(args.path, readonly=args.readonly, bail=args.bail, echo=args.echo)
    except terndb.Error as e:
        sys.stderr.write(f"Error: unable to open database \"{args.path}\": {e}\n")
        return 1
    if args.mode:
        shell.settings.set_mode(args.mode)
    if args.header is not None:
        shell.settings.set_headers(args.header)
    if args.nullvalue is not None:
        shell.settings.nullvalue = args.nullvalue
    if args.separator is not None:
        shell.settings.colsep = resolve_backslashes(args.separator)
    commands = list(args.sql) + list(args.command)
    interactive = args.interactive
    if interactive is None:
        interactive = not commands and sys.stdin.isatty()
    code: Optional[int] = None
    try:
        try:
            for text in commands:
                if not shell.process_text(text):
                    code = 1
                    break
            if code is None and (interactive or not commands):
                if interactive:
                    shell.repl()
                else:
                    shell.process_stream(stdin_lines(sys.stdin))
        except ShellExit as e:
            if e.code is not None:
                code = e.code
        if code is None:
            code = 1 if shell.errors and not interactive else 0
        return code
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted\n")
        return 130
    finally:
        shell.close()


# ------------------------------------------------------------------- serve

def _serve_parser(p: argparse.ArgumentParser) -> None:
    p.description = ("Run the TernDB sync server: push/pull sync, SQL over HTTP, health, metrics, "
                     "and optionally a static directory.  Needs the server extra: "
                     "pip install 'terndb[server]'.")
    p.add_argument("--data", required=True, metavar="DIR", help="data directory (created if missing)")
    p.add_argument("--config", metavar="FILE", help="TOML config: synced tables, rules, auth (see docs/SYNC.md)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8787, help="port (default 8787; 0 picks a free one)")
    p.add_argument("--static", metavar="DIR", help="serve the files of DIR at /")


def _run_serve(args: argparse.Namespace) -> int:
    from ..server.config import ConfigError, load
    try:
        cfg = load(args.config)
        cfg.get_secret()
    except ConfigError as e:
        sys.stderr.write(f"Error: {e}\n")
        return 2
    try:
        from ..server.app import serve
    except ImportError as e:
        sys.stderr.write(f"Error: terndb serve needs the server extra (pip install 'terndb[server]'): {e}\n")
        return 2
    try:
        serve(args.data, cfg, args.host, args.port, args.static)
    except (terndb.Error, OSError) as e:
        sys.stderr.write(f"Error: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


# --------------------------------------------------------------- the command

SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "shell": ("open the interactive SQL shell (the default)", _shell_parser, _run_shell),
    "serve": ("run the sync server (terndb[server])", _serve_parser, _run_serve),
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="terndb", allow_abbrev=False,
        description="TernDB: a pure-Python SQL database with SQLite semantics.",
        epilog="Without a subcommand, the arguments are those of 'terndb shell'.")
    parser.add_argument("--version", action="version", version=terndb.__version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers = {}
    for name, (help_text, build, _handler) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, allow_abbrev=False)
        build(sp)
        subparsers[name] = sp
    return parser, subparsers


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``terndb`` console script and ``python -m terndb``."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser, subparsers = build_parser()
    if not args or (args[0] not in SUBCOMMANDS and args[0] not in ("-h", "--help", "--version")):
        args.insert(0, "shell")
    try:
        if args[0] in SUBCOMMANDS:
            ns = subparsers[args[0]].parse_intermixed_args(args[1:])
            handler = SUBCOMMANDS[args[0]][2]
            return handler(ns)
        parser.parse_args(args)
        parser.print_help()
        return 0
    except SystemExit as e:     # argparse: --help, --version, usage errors
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BrokenPipeError:
        # The reader went away (e.g. `terndb ... | head`): stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 1


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
