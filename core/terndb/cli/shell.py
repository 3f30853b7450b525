"""The TernDB interactive shell, modelled on the sqlite3 command-line shell.

:class:`Shell` owns one connection (in autocommit mode, so every statement is
durable at once; explicit BEGIN ... COMMIT still works), the output settings
and the dot commands.  It reads SQL from a terminal (with prompts and line
editing), from a pipe or file, or from ``-c`` arguments.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import time
import traceback
from typing import Any, Callable, Iterable, Optional, TextIO

import terndb

from .complete import is_blank, is_complete, split_statements
from .dump import dump
from .render import MODES, Renderer, Settings, quote_ident, quote_ident_always, query_plan_tree

PROMPT = "terndb> "
CONTINUE = "   ...> "

_EQP = re.compile(r"\s*EXPLAIN\s+QUERY\s+PLAN\b", re.IGNORECASE)
_EXPLAIN = re.compile(r"\s*EXPLAIN\b", re.IGNORECASE)
_MAX_READ_DEPTH = 25


class ShellExit(Exception):
    """Raised by ``.quit``/``.exit`` to leave the shell."""

    def __init__(self, code: Optional[int] = None) -> None:
        super().__init__(code)
        self.code = code


class CommandError(Exception):
    """A dot command failed; the message is printed as ``Error: <message>``."""


def _bool_arg(value: str) -> bool:
    v = value.lower()
    if v in ("on", "yes", "true", "1"):
        return True
    if v in ("off", "no", "false", "0"):
        return False
    raise CommandError(f"not a boolean value: {value!r} (use on or off)")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def resolve_backslashes(s: str) -> str:
    """Interpret C-style escapes (``\\t``, ``\\n``, ``\\\\`` ...) as the sqlite3 shell does."""
    if "\\" not in s:
        return s
    out = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s):
            nxt = s[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", s[i + 1:i + 4]):
                out.append(chr(int(s[i + 1:i + 4], 8)))
                i += 4
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def split_args(line: str) -> list[str]:
    """Split a dot command line into arguments; quotes group words.

    Text in double quotes has its backslash escapes interpreted; text in single
    quotes is taken literally.
    """
    args = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            break
        q = line[i]
        if q in "\"'":
            j = i + 1
            buf = []
            while j < n and line[j] != q:
                if q == '"' and line[j] == "\\" and j + 1 < n:
                    buf.append(line[j])
                    j += 1
                buf.append(line[j])
                j += 1
            text = "".join(buf)
            args.append(resolve_backslashes(text) if q == '"' else text)
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace():
                j += 1
            args.append(line[i:j])
            i = j
    return args


def _fallback_names(sql: str, rows: list[tuple]) -> list[str]:
    """Column names for rows that came without ``cursor.description``.

    The engine has been seen to leave ``description`` as None for EXPLAIN and
    EXPLAIN QUERY PLAN although they return rows; use their documented names.
    """
    width = len(rows[0])
    if _EQP.match(sql) and width == 4:
        return ["id", "parent", "notused", "detail"]
    if _EXPLAIN.match(sql) and width == 3:
        return ["addr", "opcode", "detail"]
    return [f"column{i + 1}" for i in range(width)]


def _columns_layout(names: list[str], width: int = 80) -> list[str]:
    """Names in column-major columns that fit ``width`` (like ``.tables``)."""
    if not names:
        return []
    maxlen = max(len(n) for n in names)
    ncol = max(1, width // (maxlen + 2))
    nrow = (len(names) + ncol - 1) // ncol
    lines = []
    for i in range(nrow):
        parts = []
        for j in range(i, len(names), nrow):
            parts.append(("" if j < nrow else "  ") + names[j].ljust(maxlen))
        lines.append("".join(parts).rstrip())
    return lines


class Shell:
    """One shell session: a connection, output settings, dot commands."""

    def __init__(self, path: str = ":memory:", *, readonly: bool = False,
                 stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None,
                 bail: bool = False, echo: bool = False) -> None:
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.out: TextIO = self.stdout
        self.out_name = "stdout"
        self._out_file: Optional[TextIO] = None
        self._once = 0      # 2: .once just ran; 1: the next unit writes to the file
        self.settings = Settings()
        self.renderer = Renderer(self.settings)
        self.con: Optional[Any] = None
        self.path = path
        self.readonly = readonly
        self.bail = bail
        self.echo = echo
        self.timer = False
        self.changes = False
        self.explain = "auto"
        self.errors = 0
        self.prompt = PROMPT
        self.continuation = CONTINUE
        self._read_depth = 0
        self.open(path, readonly=readonly)

    # ---------------------------------------------------------------- helpers

    def open(self, path: str, *, readonly: bool = False) -> None:
        """Connect to ``path`` in autocommit mode, replacing the current connection."""
        con = terndb.connect(path, isolation_level=None, readonly=readonly)
        old = self.con
        self.con = con
        self.path = path
        self.readonly = readonly
        if old is not None:
            try:
                old.close()
            except terndb.Error:
                pass

    def close(self) -> None:
        self._reset_output()
        if self.con is not None:
            try:
                self.con.close()
            except terndb.Error:
                pass
            self.con = None

    @property
    def is_memory(self) -> bool:
        return self.path in ("", ":memory:")

    def error(self, message: str, lineno: Optional[int] = None) -> None:
        self.errors += 1
        where = f"near line {lineno}: " if lineno is not None else ""
        self._write_err(f"Error: {where}{message}\n")

    def warn(self, message: str) -> None:
        self._write_err(message + "\n")

    def _write_err(self, text: str) -> None:
        try:
            self.out.flush()
        except (OSError, ValueError):
            pass
        self.stderr.write(text)
        self.stderr.flush()

    def _set_output(self, target: Optional[str], once: bool) -> None:
        self._reset_output()
        if target is None or target in ("-", "stdout"):
            return
        if target.startswith("|"):
            raise CommandError("output to a pipe is not supported")
        try:
            f = open(target, "w", encoding="utf-8", newline="")
        except OSError as e:
            raise CommandError(f"cannot open \"{target}\": {e.strerror}") from None
        self._out_file = f
        self.out = f
        self.out_name = target
        self._once = 2 if once else 0

    def _reset_output(self) -> None:
        if self._out_file is not None:
            try:
                self._out_file.close()
            except OSError:
                pass
        self._out_file = None
        self._once = 0
        self.out = self.stdout
        self.out_name = "stdout"

    def _end_unit(self) -> None:
        """After one input unit (an SQL chunk or a dot command): end a ``.once``."""
        if self._once:
            self._once -= 1
            if not self._once:
                self._reset_output()
        else:
            try:
                self.out.flush()
            except (OSError, ValueError):
                pass

    # ----------------------------------------------------------- running SQL

    def run_sql(self, sql: str, lineno: Optional[int] = None, final: bool = True,
                bail: Optional[bool] = None) -> bool:
        """Run every statement in ``sql``; return False if one failed.

        ``lineno`` is the input line ``sql`` starts on (for error messages);
        with ``final``, trailing text without a semicolon runs too; with ``bail``
        (default: the .bail setting) the first failure stops the rest.
        """
        if bail is None:
            bail = self.bail
        stmts, rest = split_statements(sql)
        if rest is not None and final and not is_blank(rest.text):
            stmts.append(rest)
        ok = True
        for st in stmts:
            line = None if lineno is None else lineno + sql.count("\n", 0, st.offset)
            if not self.run_statement(st.text, line):
                ok = False
                if bail:
                    break
        return ok

    def run_statement(self, sql: str, lineno: Optional[int] = None) -> bool:
        """Execute one statement and write its result rows; False on error."""
        assert self.con is not None
        if self.echo:
            self.out.write(sql + "\n")
        start = time.perf_counter()
        ok = True
        try:
            cur = self.con.execute(sql)
            if cur.description is not None:
                names = [d[0] for d in cur.description]
                self._write_rows(sql, names, cur)
            else:
                # A statement without a description should return no rows; show any it
                # does return rather than dropping them (see _fallback_names).
                rows = cur.fetchall()
                if rows:
                    self._write_rows(sql, _fallback_names(sql, rows), rows)
            if self.changes and (cur.description is None or cur.rowcount >= 0):
                self.out.write(f"changes: {max(cur.rowcount, 0)}   "
                               f"total_changes: {self.con.total_changes}\n")
        except terndb.Error as e:
            self.error(str(e), lineno)
            ok = False
        except (KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as e:     # a bug: report it without a traceback
            if os.environ.get("TERNDB_TRACEBACK"):
                traceback.print_exc(file=self.stderr)
            self.error(f"internal error: {type(e).__name__}: {e}", lineno)
            ok = False
        if self.timer:
            self.stdout.write(f"Run Time: real {time.perf_counter() - start:.3f} sec\n")
        return ok

    def _write_rows(self, sql: str, names: list[str], rows: Iterable[tuple]) -> None:
        if self.explain != "off":
            if names == ["id", "parent", "notused", "detail"] and _EQP.match(sql):
                self.out.write("\n".join(query_plan_tree(rows)) + "\n")
                return
            if names == ["addr", "opcode", "detail"] and _EXPLAIN.match(sql):
                saved = (self.settings.mode, self.settings.headers)
                self.settings.mode, self.settings.headers = "column", True
                try:
                    self.renderer.write(self.out, names, rows)
                finally:
                    self.settings.mode, self.settings.headers = saved
                return
        self.renderer.write(self.out, names, rows)

    # ---------------------------------------------------------- input loops

    def process_text(self, text: str) -> bool:
        """Run one ``-c`` argument (SQL statements and dot commands on lines of
        their own), stopping at the first error; False if something failed."""
        lines = iter(text.split("\n"))
        return self.process_stream(lambda _prompt: next(lines, None), bail=True,
                                   line_numbers=False)

    def process_stream(self, read_line: Callable[[str], Optional[str]], *,
                       interactive: bool = False, bail: Optional[bool] = None,
                       line_numbers: bool = True) -> bool:
        """Read lines until EOF, running SQL as statements complete and dot commands
        as they come; return False if anything failed.

        Without ``interactive``, a failure stops the input when ``bail`` (default:
        the .bail setting) is on, and errors name their input line when
        ``line_numbers`` is on.
        """
        ok = True

        def stop() -> bool:
            return not interactive and (self.bail if bail is None else bail)
        where = (lambda n: None) if interactive or not line_numbers else (lambda n: n)
        buf: list[str] = []
        buf_line = 0
        lineno = 0
        while True:
            try:
                line = read_line(self.continuation if buf else self.prompt)
            except KeyboardInterrupt:
                if not interactive:
                    raise
                self.stdout.write("\n")
                buf = []
                continue
            if line is None:
                break
            lineno += 1
            if not buf:
                if is_blank(line):
                    continue
                stripped = line.lstrip()
                if stripped.startswith("."):
                    try:
                        if not self.do_command(stripped.rstrip()):
                            ok = False
                    finally:
                        self._end_unit()
                    if not ok and stop():
                        break
                    continue
                if stripped.startswith("#"):
                    continue
                buf_line = lineno
            elif line.strip().lower() in ("/", "go"):
                line = ";"
            buf.append(line)
            if ";" not in line and "*/" not in line:
                continue
            text = "\n".join(buf)
            if not is_complete(text):
                continue
            buf = []
            try:
                if not self._run_chunk(text, where(buf_line), interactive, stop()):
                    ok = False
            finally:
                self._end_unit()
            if not ok and stop():
                break
        if buf:     # the input ended inside a statement: run what there is
            text = "\n".join(buf)
            if not is_blank(text):
                try:
                    if not self._run_chunk(text, where(buf_line), interactive, stop()):
                        ok = False
                finally:
                    self._end_unit()
        return ok

    def _run_chunk(self, text: str, lineno: Optional[int], interactive: bool, bail: bool) -> bool:
        if not interactive:
            return self.run_sql(text, lineno, bail=bail)
        try:
            return self.run_sql(text, lineno, bail=False)
        except KeyboardInterrupt:
            self.error("interrupted")
            return False

    def run_file(self, path: str) -> bool:
        if self._read_depth >= _MAX_READ_DEPTH:
            raise CommandError(".read nested too deeply")
        try:
            f = open(path, encoding="utf-8-sig")
        except OSError as e:
            raise CommandError(f"cannot open \"{path}\": {e.strerror}") from None
        self._read_depth += 1
        saved = self.prompt, self.continuation
        try:
            with f:
                it = iter(f)

                def read_line(_prompt: str) -> Optional[str]:
                    try:
                        line = next(it, None)
                    except UnicodeDecodeError as e:
                        raise CommandError(f"{path}: not UTF-8 text: {e}") from None
                    return None if line is None else line.rstrip("\n")
                self.prompt = self.continuation = ""
                return self.process_stream(read_line)
        finally:
            self.prompt, self.continuation = saved
            self._read_depth -= 1

    def repl(self, stdin: Optional[TextIO] = None, banner: bool = True) -> None:
        """The interactive loop: prompts, line editing and history where available."""
        stdin = stdin if stdin is not None else sys.stdin
        history = _setup_readline(self) if stdin.isatty() else None
        if banner:
            self.stdout.write(f"TernDB version {terndb.__version__} "
                              f"(SQLite {terndb.sqlite_version} dialect)\n"
                              'Enter ".help" for usage hints.\n')
        if banner and self.is_memory:
            self.stdout.write("Connected to a transient in-memory database.\n"
                              'Use ".open FILENAME" to reopen on a persistent database.\n')

        use_input = stdin is sys.stdin

        def read_line(prompt: str) -> Optional[str]:
            self.stdout.flush()
            if use_input:
                try:
                    return input(prompt)
                except EOFError:
                    self.stdout.write("\n")
                    return None
            self.stdout.write(prompt)
            self.stdout.flush()
            line = stdin.readline()
            if not line:
                self.stdout.write("\n")
                return None
            return line.rstrip("\n")
        try:
            self.process_stream(read_line, interactive=True)
        finally:
            if history:
                _save_history(history)

    # ---------------------------------------------------------- dot commands

    def do_command(self, line: str) -> bool:
        """Run one dot command; False (after printing why) when it failed."""
        args = split_args(line[1:])
        if not args:
            return True
        name = args[0].lower()
        handler = self._find_command(name)
        if handler is None:
            self.error(f'unknown command or invalid arguments: "{args[0]}". '
                       'Enter ".help" for help')
            return False
        try:
            result = handler(self, args[1:])
        except CommandError as e:
            self.error(str(e))
            return False
        except terndb.Error as e:
            self.error(str(e))
            return False
        except (ShellExit, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as e:
            if os.environ.get("TERNDB_TRACEBACK"):
                traceback.print_exc(file=self.stderr)
            self.error(f"internal error in .{name}: {type(e).__name__}: {e}")
            return False
        return result is not False

    @staticmethod
    def _find_command(name: str) -> Optional[Callable[..., Any]]:
        name = _ALIASES.get(name, name)
        if name in COMMANDS:
            return COMMANDS[name][0]
        hits = [c for c in COMMANDS if c.startswith(name)]
        if len(hits) == 1:
            return COMMANDS[hits[0]][0]
        return None

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        assert self.con is not None
        return self.con.execute(sql, params).fetchall()

    def _write_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.out.write(line + "\n")


# ------------------------------------------------------------- the commands

COMMANDS: dict[str, tuple[Callable[[Shell, list[str]], Any], str, str]] = {}
_ALIASES = {"header": "headers", "indices": "indexes", "exit": "exit", "q": "quit"}


def command(name: str, usage: str, text: str) -> Callable:
    def deco(fn: Callable[[Shell, list[str]], Any]) -> Callable[[Shell, list[str]], Any]:
        COMMANDS[name] = (fn, usage, text)
        return fn
    return deco


def _need(args: list[str], lo: int, hi: int, usage: str) -> None:
    if not lo <= len(args) <= hi:
        raise CommandError(f"usage: {usage}")


@command("bail", ".bail on|off", "Stop at the first error in a script")
def _bail(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 1, ".bail on|off")
    sh.bail = _bool_arg(args[0])


@command("changes", ".changes on|off", "Show rows changed by each statement")
def _changes(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 1, ".changes on|off")
    sh.changes = _bool_arg(args[0])


@command("databases", ".databases", "List the attached databases and their files")
def _databases(sh: Shell, args: list[str]) -> None:
    if sh.is_memory:
        name = ""
    elif "://" in sh.path:
        name = sh.path
    else:
        name = os.path.abspath(sh.path)
    sh.out.write(f"main: {name} {'r/o' if sh.readonly else 'r/w'}\n")


@command("dump", ".dump ?TABLE ...?",
         "Write the database (or matching tables) as SQL")
def _dump(sh: Shell, args: list[str]) -> None:
    assert sh.con is not None
    for line in dump(sh.con, args):
        sh.out.write(line + "\n")


@command("echo", ".echo on|off", "Print each SQL statement before running it")
def _echo(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 1, ".echo on|off")
    sh.echo = _bool_arg(args[0])


@command("exit", ".exit ?CODE?", "Exit the shell with status CODE (default 0)")
def _exit(sh: Shell, args: list[str]) -> None:
    _need(args, 0, 1, ".exit ?CODE?")
    if args:
        try:
            code = int(args[0])
        except ValueError:
            raise CommandError(f"not an exit status: {args[0]!r}") from None
        raise ShellExit(code)
    raise ShellExit(0)


@command("explain", ".explain ?on|off|auto?",
         "Draw EXPLAIN QUERY PLAN as a tree (auto, the default)")
def _explain(sh: Shell, args: list[str]) -> None:
    _need(args, 0, 1, ".explain ?on|off|auto?")
    if not args:
        sh.explain = "on"
    elif args[0].lower() == "auto":
        sh.explain = "auto"
    else:
        sh.explain = "on" if _bool_arg(args[0]) else "off"


@command("headers", ".headers on|off", "Show column names in list-like modes")
def _headers(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 1, ".headers on|off")
    sh.settings.set_headers(_bool_arg(args[0]))


@command("help", ".help ?PATTERN?", "Show help for the dot commands (matching PATTERN)")
def _help(sh: Shell, args: list[str]) -> None:
    names = sorted(COMMANDS)
    if args:
        want = args[0].lstrip(".").lower()
        names = [n for n in names if n.startswith(want)]
        if not names:
            raise CommandError(f'no dot command matches "{args[0]}"')
    width = min(24, max(len(COMMANDS[n][1]) for n in names))
    for n in names:
        _, usage, text = COMMANDS[n]
        if len(usage) > width:
            sh.out.write(f"{usage}\n{'':{width}}  {text}\n")
        else:
            sh.out.write(f"{usage.ljust(width)}  {text}\n")
    if not args:
        sh.out.write("\nSQL statements end with a semicolon and may span lines.\n"
                     f"Output modes: {', '.join(MODES)}.\n")


@command("import", ".import ?--skip N? ?--sep C? FILE TABLE",
         "Load CSV FILE into TABLE (created from the header)")
def _import(sh: Shell, args: list[str]) -> None:
    usage = ".import ?--skip N? ?--sep C? FILE TABLE"
    skip = 0
    sep = ","
    pos: list[str] = []
    it = iter(args)
    for a in it:
        if a in ("--skip", "-skip"):
            v = next(it, None)
            if v is None or not v.isdigit():
                raise CommandError("--skip needs a number of lines")
            skip = int(v)
        elif a in ("--sep", "--separator", "-sep"):
            v = next(it, None)
            if not v:
                raise CommandError("--sep needs a separator character")
            sep = resolve_backslashes(v)
            if len(sep) != 1:
                raise CommandError("the .import separator must be one character")
        elif a in ("--csv", "-csv"):
            sep = ","
        elif a.startswith("-") and len(a) > 1:
            raise CommandError(f"unknown option {a!r}; usage: {usage}")
        else:
            pos.append(a)
    if len(pos) != 2:
        raise CommandError(f"usage: {usage}")
    path, table = pos
    count = import_csv(sh, path, table, sep=sep, skip=skip)
    sh.stdout.write(f"Imported {count} row{'s' if count != 1 else ''} into {table}\n")


@command("indexes", ".indexes ?TABLE?", "List the indexes (of tables matching TABLE)")
def _indexes(sh: Shell, args: list[str]) -> None:
    _need(args, 0, 1, ".indexes ?TABLE?")
    pat = args[0] if args else "%"
    rows = sh._query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE ? "
                     "ORDER BY name", (pat,))
    sh._write_lines(_columns_layout([r[0] for r in rows]))


@command("mode", ".mode MODE ?TABLE?", "Set the output mode (.help lists the modes)")
def _mode(sh: Shell, args: list[str]) -> None:
    if not args:
        sh.out.write(f"current output mode: {sh.settings.mode}\n")
        return
    _need(args, 1, 2, ".mode MODE ?TABLE?")
    mode = args[0].lower()
    if mode in ("lines",):
        mode = "line"
    if mode in ("columns",):
        mode = "column"
    if mode == "tab":
        mode = "tabs"
    if mode not in MODES:
        raise CommandError(f"unknown mode {args[0]!r}; choose one of: {', '.join(MODES)}")
    if len(args) == 2 and mode != "insert":
        raise CommandError("only .mode insert takes a TABLE argument")
    sh.settings.set_mode(mode, args[1] if len(args) == 2 else None)


@command("nullvalue", ".nullvalue STRING", "Show STRING in place of NULL values")
def _nullvalue(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 1, ".nullvalue STRING")
    sh.settings.nullvalue = args[0]


@command("once", ".once FILE", "Send the next command's output to FILE")
def _once(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 1, ".once FILE")
    sh._set_output(args[0], once=True)
    return None


@command("open", ".open ?--readonly? ?--new? ?FILE?",
         "Open FILE (in-memory without FILE)")
def _open(sh: Shell, args: list[str]) -> None:
    readonly = new = False
    pos = []
    for a in args:
        if a in ("--readonly", "-readonly"):
            readonly = True
        elif a in ("--new", "-new"):
            new = True
        elif a.startswith("--"):
            raise CommandError(f"unknown option {a!r}")
        else:
            pos.append(a)
    if len(pos) > 1:
        raise CommandError("usage: .open ?--readonly? ?--new? ?FILE?")
    path = pos[0] if pos else ":memory:"
    if new and path not in ("", ":memory:") and "://" not in path:
        if os.path.isfile(path):
            if sh.con is not None and os.path.abspath(sh.path) == os.path.abspath(path):
                sh.close()
            try:
                os.remove(path)
            except OSError as e:
                raise CommandError(f"cannot remove \"{path}\": {e.strerror}") from None
    try:
        sh.open(path, readonly=readonly)
    except terndb.Error as e:
        if sh.con is None:      # the old database was closed for --new
            sh.open(":memory:")
        raise CommandError(str(e)) from None


@command("output", ".output ?FILE?", "Send output to FILE (stdout without FILE)")
def _output(sh: Shell, args: list[str]) -> None:
    _need(args, 0, 1, ".output ?FILE?")
    sh._set_output(args[0] if args else None, once=False)


@command("print", ".print STRING...", "Print the arguments")
def _print(sh: Shell, args: list[str]) -> None:
    sh.out.write(" ".join(args) + "\n")


@command("prompt", ".prompt MAIN ?CONTINUE?", "Replace the standard prompts")
def _prompt(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 2, ".prompt MAIN ?CONTINUE?")
    sh.prompt = args[0]
    if len(args) > 1:
        sh.continuation = args[1]


@command("quit", ".quit", "Exit the shell")
def _quit(sh: Shell, args: list[str]) -> None:
    raise ShellExit(None)


@command("read", ".read FILE", "Run the SQL and dot commands in FILE")
def _read(sh: Shell, args: list[str]) -> bool:
    _need(args, 1, 1, ".read FILE")
    return sh.run_file(args[0])


@command("schema", ".schema ?PATTERN?", "Show the CREATE statements")
def _schema(sh: Shell, args: list[str]) -> None:
    _need(args, 0, 1, ".schema ?PATTERN?")
    pat = args[0] if args else "%"
    rows = sh._query("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                     "AND (tbl_name LIKE ?1 OR name LIKE ?1) AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                     (pat,))
    for (sql,) in rows:
        sql = sql.rstrip()
        sh.out.write(sql + ("" if sql.endswith(";") else ";") + "\n")


@command("separator", ".separator COL ?ROW?", "Set the column (and row) separators")
def _separator(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 2, ".separator COL ?ROW?")
    sh.settings.colsep = resolve_backslashes(args[0])
    if len(args) > 1:
        sh.settings.rowsep = resolve_backslashes(args[1])


@command("show", ".show", "Show the current settings")
def _show(sh: Shell, args: list[str]) -> None:
    s = sh.settings

    def esc(v: str) -> str:
        return '"' + v.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    items = [
        ("bail", "on" if sh.bail else "off"),
        ("changes", "on" if sh.changes else "off"),
        ("echo", "on" if sh.echo else "off"),
        ("explain", sh.explain),
        ("headers", "on" if s.headers else "off"),
        ("mode", s.mode + (f" {quote_ident(s.insert_table)}" if s.mode == "insert" else "")),
        ("nullvalue", esc(s.nullvalue)),
        ("output", sh.out_name),
        ("colseparator", esc(s.colsep)),
        ("rowseparator", esc(s.rowsep)),
        ("timer", "on" if sh.timer else "off"),
        ("filename", sh.path),
    ]
    w = max(len(k) for k, _ in items)
    for k, v in items:
        sh.out.write(f"{k.rjust(w)}: {v}\n")


@command("tables", ".tables ?PATTERN?", "List the tables and views")
def _tables(sh: Shell, args: list[str]) -> None:
    _need(args, 0, 1, ".tables ?PATTERN?")
    pat = args[0] if args else "%"
    rows = sh._query("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                     "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name LIKE ? ORDER BY name",
                     (pat,))
    sh._write_lines(_columns_layout([r[0] for r in rows]))


@command("timer", ".timer on|off", "Print the run time of each statement")
def _timer(sh: Shell, args: list[str]) -> None:
    _need(args, 1, 1, ".timer on|off")
    sh.timer = _bool_arg(args[0])


# ------------------------------------------------------------------ .import

def import_csv(sh: Shell, path: str, table: str, *, sep: str = ",", skip: int = 0) -> int:
    """Load the CSV file ``path`` into ``table`` in one transaction; return the row count.

    A missing table is created with TEXT columns named by the header row; into an
    existing table every row (the first one too) is inserted.
    """
    con = sh.con
    assert con is not None
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as e:
        raise CommandError(f"cannot open \"{path}\": {e.strerror}") from None
    with f:
        reader = csv.reader(f, delimiter=sep, strict=False)

        def records() -> Any:
            try:
                for rec in reader:
                    if rec:           # blank lines
                        yield reader.line_num, rec
            except csv.Error as e:
                raise CommandError(f"{path}:{reader.line_num}: {e}") from None
            except UnicodeDecodeError as e:
                raise CommandError(f"{path}: not UTF-8 text: {e}") from None
        rows = records()
        for _ in range(skip):
            if next(rows, None) is None:
                break
        exists = bool(con.execute(
            "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND lower(name) = lower(?)",
            (table,)).fetchall())
        savepoint = con.in_transaction
        con.execute("SAVEPOINT terndb_import" if savepoint else "BEGIN")
        count = 0
        try:
            qt = quote_ident_always(table)
            if exists:
                ncol = len(con.execute(f"PRAGMA table_info({qt})").fetchall())
                if ncol == 0:
                    raise CommandError(f"cannot import into {table}: it has no columns")
            else:
                first = next(rows, None)
                if first is None:
                    raise CommandError(f"{path}: no header row to create {table} from (empty file?)")
                cols = _header_names(first[1])
                ncol = len(cols)
                con.execute(f"CREATE TABLE {qt}("
                            + ", ".join(f"{quote_ident_always(c)} TEXT" for c in cols) + ")")
            sql = f"INSERT INTO {qt} VALUES({', '.join('?' * ncol)})"
            for line, rec in rows:
                if len(rec) != ncol:
                    if len(rec) < ncol:
                        sh.warn(f"{path}:{line}: expected {ncol} columns but found {len(rec)}"
                                " - filling the rest with NULL")
                        rec = rec + [None] * (ncol - len(rec))
                    else:
                        sh.warn(f"{path}:{line}: expected {ncol} columns but found {len(rec)}"
                                " - extras ignored")
                        rec = rec[:ncol]
                try:
                    con.execute(sql, rec)
                except terndb.Error as e:
                    raise CommandError(f"{path}:{line}: {e}") from None
                count += 1
        except BaseException:
            if savepoint:
                con.execute("ROLLBACK TO terndb_import")
                con.execute("RELEASE terndb_import")
            else:
                con.execute("ROLLBACK")
            raise
        con.execute("RELEASE terndb_import" if savepoint else "COMMIT")
    return count


def _header_names(header: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        name = raw.strip() or f"c{i + 1}"
        base, k = name, 1
        while name.lower() in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name.lower())
        names.append(name)
    return names


# ----------------------------------------------------------------- readline

def _setup_readline(sh: Shell) -> Optional[str]:
    """Enable line editing, history and tab completion; return the history file."""
    try:
        import readline
    except ImportError:
        return None
    hist = os.environ.get("TERNDB_HISTORY")
    if hist is None:
        hist = os.path.join(os.path.expanduser("~"), ".terndb_history")
    if hist:
        try:
            readline.read_history_file(hist)
        except (OSError, ValueError):
            pass
        readline.set_history_length(2000)
    words = sorted({w.lower() for w in _SQL_WORDS} | {w.upper() for w in _SQL_WORDS})
    cache: list[str] = []

    def complete(text: str, state: int) -> Optional[str]:
        if state == 0:
            buf = readline.get_line_buffer().lstrip()
            if buf.startswith(".") and " " not in buf:
                # '.' is a completer delimiter: text is the command name after it.
                cache[:] = [c for c in sorted(COMMANDS) if c.startswith(text)]
            else:
                names: list[str] = []
                try:
                    assert sh.con is not None
                    for (n,) in sh.con.execute("SELECT name FROM sqlite_master").fetchall():
                        names.append(n)
                except Exception:
                    pass
                cache[:] = [w for w in names + words if w.startswith(text)]
        return cache[state] if state < len(cache) else None
    try:
        readline.set_completer(complete)
        readline.set_completer_delims(" \t\n;(),.=<>*+-/'\"")
        if "libedit" in (getattr(readline, "__doc__", "") or ""):
            readline.parse_and_bind("bind ^I rl_complete")
        else:
            readline.parse_and_bind("tab: complete")
    except Exception:
        pass
    return hist or None


def _save_history(path: str) -> None:
    try:
        import readline
        readline.write_history_file(path)
    except (ImportError, OSError):
        pass


_SQL_WORDS = ("SELECT FROM WHERE GROUP BY ORDER HAVING LIMIT OFFSET INSERT INTO VALUES UPDATE SET "
              "DELETE CREATE TABLE INDEX VIEW TRIGGER DROP ALTER JOIN LEFT INNER CROSS ON AS AND "
              "OR NOT NULL IS IN LIKE GLOB BETWEEN CASE WHEN THEN ELSE END DISTINCT UNION ALL "
              "EXCEPT INTERSECT WITH RECURSIVE BEGIN COMMIT ROLLBACK EXPLAIN QUERY PLAN PRAGMA "
              "PRIMARY KEY UNIQUE CHECK DEFAULT REFERENCES INTEGER TEXT REAL BLOB COUNT SUM AVG "
              "MIN MAX RETURNING EXISTS").split()


def stdin_lines(stream: TextIO) -> Callable[[str], Optional[str]]:
    """A ``read_line`` for :meth:`Shell.process_stream` over a text stream."""
    def read_line(_prompt: str) -> Optional[str]:
        line = stream.readline()
        if not line:
            return None
        return line[:-1] if line.endswith("\n") else line
    return read_line


__all__ = ["Shell", "ShellExit", "CommandError", "COMMANDS", "import_csv", "split_args",
           "stdin_lines"]
