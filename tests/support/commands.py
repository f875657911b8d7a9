"""The programs the tests run, found where they cannot be another install's.

contacthub and vdirsyncer are this Python's own (the console scripts beside
``sys.executable``, or in its scripts folder): a `contacthub` first on PATH may be a
different install, and the tests would then test the wrong code. litmus is a Debian
package, not a Python one; it is looked up on PATH and in /usr/bin. A missing program
fails the test in a sentence that says how to install it.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

INSTALL_TEST_EXTRAS = "python3 -m pip install -e '.[test]' (./run-tests does it)"


def own_script(name: str) -> Path:
    """The console script *name* installed for this interpreter."""
    folders = dict.fromkeys([Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))])
    for folder in folders:
        script = folder / name
        if script.is_file():
            return script
    raise RuntimeError(
        f"{name!r} is not installed for this Python ({sys.executable}: looked in "
        f"{', '.join(str(folder) for folder in folders)}); install it with "
        f"{INSTALL_TEST_EXTRAS}, not another copy on PATH"
    )


def contacthub_command() -> list[str]:
    """This Python's ``contacthub`` command."""
    return [str(own_script("contacthub"))]


def vdirsyncer_command() -> list[str]:
    """This Python's ``vdirsyncer`` (a test extra)."""
    return [str(own_script("vdirsyncer"))]


def litmus_command() -> list[str]:
    """The machine's litmus (the Debian package)."""
    found = shutil.which("litmus") or shutil.which("litmus", path="/usr/bin")
    if found is None:
        raise RuntimeError(
            "litmus (the WebDAV test suite) is not installed: apt-get install litmus "
            "(./run-tests does it when run as root)"
        )
    return [found]
