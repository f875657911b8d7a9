"""What the commands share: where the data and config are, and opening the store."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from contacthub import config as config_module
from contacthub.config import ConfigError, Settings
from contacthub.cpu_priority import lower_cpu_priority
from contacthub.errors import UserError
from contacthub.sources.context import RunContext
from contacthub.store import CannotWrite, StorageFull, Store


class Stopped(click.ClickException):
    """A command that cannot go on for a reason outside it: said in one sentence."""

    def show(self, file: Any = None) -> None:
        click.echo(f"contacthub: {self.format_message()}", file=file, err=file is None)


class Main(click.Group):
    """The `contacthub` group: in every command, a path that cannot be written or a full
    disk ends it with one sentence naming what is wrong (exit code 1), not a traceback.

    `lazy_commands` names the module and object of each command by its name: a command's
    module is imported when it runs (or when --help lists them all), so that `contacthub
    user add` does not first import exchangelib, the duplicate finder and every other
    command's code (click's documented LazyGroup)."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy_commands])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        module_name, _, name = self.lazy_commands[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), name)
        assert isinstance(command, click.Command), self.lazy_commands[cmd_name]
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (CannotWrite, StorageFull) as error:
            raise Stopped(str(error)) from None


def yield_cpu_to_serve(settings: Settings) -> None:
    """Lower this process's CPU priority by `[contacthub] background_nice`: a bulk command
    (an import, a worker's scheduled runs) then runs on what `serve`'s requests leave,
    and a phone's sync waits less behind it on a small machine."""
    lower_cpu_priority(settings.background_nice)


def location_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir and --config on a command (the group takes them too, before it)."""
    command = click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path),
        help="Configuration file [default: DATA_DIR/contacthub.conf].",
    )(command)
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Data directory [default: $CONTACTHUB_DATA_DIR or ~/.local/share/contacthub].",
    )(command)


@dataclass(frozen=True)
class Location:
    """--data-dir and --config as given before the command (`contacthub --data-dir X user
    list`); the same options after the command win."""

    data_dir: Path | None = None
    config_file: Path | None = None


def load_settings(data_dir: Path | None, config_file: Path | None, **overrides: Any) -> Settings:
    given = _location_before_command()
    try:
        return config_module.load(
            data_dir or given.data_dir, config_file or given.config_file, **overrides
        )
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _location_before_command() -> Location:
    ctx = click.get_current_context(silent=True)
    given = ctx.find_root().obj if ctx is not None else None
    return given if isinstance(given, Location) else Location()


def command_settings(data_dir: Path | None, config_file: Path | None) -> Settings:
    """The settings of every command but `serve`: the data directory it uses said on
    standard error, and a missing one refused (only `serve` creates it), so that a
    forgotten --data-dir never starts a second, empty store."""
    settings = load_settings(data_dir, config_file)
    if not settings.data_dir.is_dir():
        raise Stopped(
            f"there is no data directory {settings.data_dir}; name the one `contacthub serve` "
            "uses with --data-dir or CONTACTHUB_DATA_DIR, or start `contacthub serve` once "
            "to create it"
        )
    click.echo(f"contacthub: data directory {settings.data_dir}", err=True)
    return settings


def open_store(settings: Settings) -> Store:
    try:
        return Store.open(
            settings.store_url,
            history_retention=settings.history_retention,
            busy_timeout=settings.busy_timeout,
        )
    except ModuleNotFoundError as error:
        raise click.ClickException(
            f"{error}: for PostgreSQL install contacthub[postgresql]"
        ) from None


@contextmanager
def service_context(data_dir: Path | None, config_file: Path | None) -> Iterator[RunContext]:
    """What the services take, for one command; a refusal of theirs ends the command with
    its sentence (exit code 1)."""
    settings = command_settings(data_dir, config_file)
    ctx = RunContext(open_store(settings), settings)
    try:
        yield ctx
    except UserError as error:
        raise click.ClickException(error.message) from None
    finally:
        ctx.store.close()
