"""A command starts with its own code only: `contacthub user add` does not import the
Exchange library or the other commands' modules first (cli/common.py `Main`), and every
command is still listed and found by its name."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from contacthub.cli import COMMANDS, main

OTHERS = ("exchangelib", "contacthub.cli.syncs", "contacthub.cli.duplicates")


def test_a_command_imports_its_own_module_and_not_the_others() -> None:
    code = (
        "import sys\n"
        "from contacthub.cli import main\n"
        "main(['user', 'add', '--help'], standalone_mode=False)\n"
        f"print(sorted(m for m in {OTHERS!r} + ('contacthub.cli.users',) if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "['contacthub.cli.users']", done.stdout


def test_every_command_is_found_by_its_name_and_listed() -> None:
    context = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(context, name)
        assert isinstance(command, click.Command) and command.name == name
    listed = CliRunner().invoke(main, ["--help"]).output
    for name in [*COMMANDS, "serve"]:
        assert f"\n  {name} " in listed, name


def test_listing_the_kinds_of_source_does_not_import_exchangelib() -> None:
    # Every `serve` (its scheduler) and the sync commands list them; exchangelib takes
    # 0.2 s to import, and is imported when an Exchange account logs in or runs.
    code = (
        "import sys\n"
        "import contacthub.serve, contacthub.cli.syncs, contacthub.sources.registry\n"
        "import contacthub.web.admin.mail_accounts\n"
        "print('exchangelib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "False", done.stdout
