"""Plain help and usage errors for the command line, in the manner of ruff, uv and mkdocs: usage,
what the command does, its arguments and options with their values and defaults, examples; no
type names (`<bool>`, `<int range>`) and no validation-library wording."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Sequence
from enum import Enum
from typing import Any

import typer

# Typer 0.29 carries its own copy of Click (pyproject.toml pins the Typer versions this was tested with).
from typer._click import Context, HelpFormatter
from typer._click import exceptions as click_errors
from typer.core import TyperCommand, TyperGroup

EXIT_USAGE = 2


def _width() -> int:
    return max(60, min(100, shutil.get_terminal_size((80, 24)).columns))


def _default(param: Any) -> str | None:
    """The option's default as the help shows it: the text given as `show_default`, else its value."""
    shown = getattr(param, "show_default", None)
    if isinstance(shown, str):
        return str(shown)
    if getattr(param, "is_flag", False) and not param.secondary_opts:
        return None if param.default is None else ("on" if param.default else "off")
    default = param.default
    if default is None or default == () or default == []:
        return None
    if isinstance(default, Enum):
        default = default.value
    if isinstance(default, bool) and param.secondary_opts:
        return str(param.opts[0] if default else param.secondary_opts[0])
    return str(default)


def _option_name(param: Any) -> str:
    longs = [o for o in param.opts if o.startswith("--")]
    shorts = [o for o in param.opts if not o.startswith("--")]
    name = ", ".join([*shorts, *longs]) if shorts else "    " + ", ".join(longs)
    if param.secondary_opts:
        name += " / " + ", ".join(param.secondary_opts)
    if not getattr(param, "is_flag", False) and param.metavar:
        name += f" {param.metavar}"
    return name


def _rows(params: Sequence[Any]) -> list[tuple[str, str]]:
    rows = []
    for param in params:
        help_text = (param.help or "").strip()
        default = _default(param)
        if default is not None:
            help_text += f" [default: {default}]"
        rows.append((_option_name(param), help_text))
    return rows


def _table(rows: list[tuple[str, str]], width: int, left: int | None = None) -> str:
    left = left or min(30, max(len(name) for name, _ in rows))
    lines = []
    for name, text in rows:
        wrapped = textwrap.wrap(text, max(20, width - left - 6), break_on_hyphens=False) or [""]
        if len(name) > left:
            lines.append(f"  {name}")
            lines += [" " * (left + 4) + part for part in wrapped]
        else:
            lines.append(f"  {name.ljust(left)}  {wrapped[0]}")
            lines += [" " * (left + 4) + part for part in wrapped[1:]]
    return "\n".join(lines)


def usage(command: Any, ctx: Context) -> str:
    """`Usage: jebon build [OPTIONS] BOOK_DIR`."""
    pieces = ["[OPTIONS]"]
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = param.metavar or param.name.upper()
            name = f"{name}..." if param.nargs != 1 else name
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, TyperGroup):
        pieces.append("COMMAND [ARGS]...")
    return f"Usage: {ctx.command_path} {' '.join(pieces)}"


def command_help(command: Any, ctx: Context) -> str:
    """The whole help of a command or group."""
    width = _width()
    parts = [usage(command, ctx)]
    if command.help:
        body = textwrap.dedent(command.help).strip()
        parts.append("\n\n".join(textwrap.fill(p.replace("\n", " "), width - 2, initial_indent="  ",
                                               subsequent_indent="  ", break_on_hyphens=False)
                                 for p in body.split("\n\n")))
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if p.param_type_name == "argument"]
    if arguments:
        rows = [(p.metavar or p.name.upper(), (p.help or "").strip()) for p in arguments]
        parts.append("Arguments:\n" + _table(rows, width))
    panels: dict[str, list[Any]] = {}
    for param in params:
        if param.param_type_name == "option":
            panels.setdefault(getattr(param, "rich_help_panel", None) or "Options", []).append(param)
    tables = [(title, _rows(members)) for title, members in sorted(panels.items(), key=lambda i: i[0] != "Options")]
    left = min(26, max((len(name) for _, rows in tables for name, _ in rows), default=0))
    for title, rows in tables:
        parts.append(f"{title}:\n" + _table(rows, width, left))
    if isinstance(command, TyperGroup):
        rows = [(name, (sub.short_help or (sub.help or "").strip().split("\n")[0])) for name, sub in
                command.commands.items() if not getattr(sub, "hidden", False)]
        parts.append("Commands:\n" + _table(rows, width))
    if command.epilog:
        parts.append(textwrap.dedent(command.epilog).strip("\n"))
    return "\n\n".join(parts) + "\n"


def show_usage_error(error: click_errors.UsageError) -> None:
    """`error: …`, then the usage line and where to find help, on stderr (exit 2 follows)."""
    ctx = error.ctx
    param = getattr(error, "param", None)
    if isinstance(error, click_errors.MissingParameter):
        message = error.format_message()
    elif isinstance(error, click_errors.BadParameter) and param is not None:
        longs = [o for o in param.opts if o.startswith("--")] or list(param.opts)
        names = longs[0] if param.param_type_name == "option" else (param.metavar or param.name.upper())
        message = f"{names}: {error.message}"
    elif isinstance(error, click_errors.BadParameter):  # raised by the command itself
        message = error.message
    else:
        message = error.format_message()
    print(f"error: {message}", file=sys.stderr)
    if ctx is not None:
        print(f"\n{usage(ctx.command, ctx)}\nTry '{ctx.command_path} --help' for help.", file=sys.stderr)


class Command(TyperCommand):
    """A command whose help and usage are ours."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        formatter.write(command_help(self, ctx))

    def get_usage(self, ctx: Context) -> str:
        return usage(self, ctx)


class Group(TyperGroup):
    """The `jebon` group (and `jebon import`): our help, and usage errors as `error: …` lines."""

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        formatter.write(command_help(self, ctx))

    def get_usage(self, ctx: Context) -> str:
        return usage(self, ctx)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        try:
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                                  windows_expand_args=windows_expand_args, **extra)
        except click_errors.NoArgsIsHelpError as exc:  # `jebon` alone: the help, and the exit of a usage error
            if not standalone_mode:
                raise
            print(exc.format_message(), file=sys.stderr)
            sys.exit(EXIT_USAGE)
        except click_errors.UsageError as exc:
            if not standalone_mode:
                raise
            show_usage_error(exc)
            sys.exit(EXIT_USAGE)
        except click_errors.ClickException as exc:
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            print("aborted", file=sys.stderr)
            sys.exit(1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def bad(message: str) -> typer.BadParameter:
    """A usage error about one option's value (`error: --jobs: …`, exit 2)."""
    return typer.BadParameter(message)
