"""litmus (the Debian package) against contacthub and, in the same run, against a plain
Radicale 3.9 on its own multifilesystem storage.

Radicale is a CalDAV/CardDAV server, not a general WebDAV file server: it refuses
resources that are not vCards or iCalendar objects, so several litmus tests fail on
Radicale whatever storage it uses. Those failures are acceptable; a test that fails (or
does not pass) on contacthub while it passes on Radicale's own storage is a bug of ours.

Both servers get the same rights: everything below the user's own principal, including
MKCOL of plain WebDAV collections (Radicale's default "owner_only" forbids those, so
litmus could not create its working collection ``litmus/``). litmus runs with the
principal collection ``/alice/`` as its base URL.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.commands import litmus_command
from tests.support.servers import DavServer, RadicaleServer

SUITES = ("basic", "copymove", "props")
USER = "alice"
LITMUS_TIMEOUT = 600
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

RIGHTS = """\
[root]
user: .+
collection:
permissions: R

[principal-and-below]
user: .+
collection: {user}(/.*)?
permissions: RrWw
"""

_SUITE = re.compile(r"-> running `(\w+)':")
_START = re.compile(r"(\d+)\.\s(\w+)\.{2,}")
_RESULT = re.compile(r"\.{2,}\s+(pass|FAIL|XFAIL|SKIPPED|FAILED)\b\s*(.*)$")


@dataclass
class LitmusRun:
    server: str
    output: str
    results: dict[tuple[str, int, str], tuple[str, str]] = field(default_factory=dict)

    def with_status(self, *statuses: str) -> list[tuple[str, int, str]]:
        return [key for key, (status, _) in self.results.items() if status in statuses]

    def failures(self) -> list[tuple[str, int, str]]:
        return self.with_status("FAIL", "FAILED")

    def describe(self, keys: list[tuple[str, int, str]]) -> str:
        if not keys:
            return "  (none)"
        lines = []
        for suite, number, name in keys:
            status, detail = self.results.get((suite, number, name), ("NOT RUN", ""))
            lines.append(f"  {suite} {number:2d}. {name}: {status} {detail}".rstrip())
        return "\n".join(lines)


def parse_litmus(server: str, output: str) -> LitmusRun:
    """Per-test results from litmus's output: ``(suite, number, name) -> (status, text)``.

    litmus writes ``N. name.....`` when a test starts and the result at the end of the
    same line (WARNING lines may come in between, then the result line has dots only).
    """
    run = LitmusRun(server, output)
    suite = ""
    pending: tuple[int, str] | None = None
    for line in output.splitlines():
        found = _SUITE.search(line)
        if found:
            suite, pending = found.group(1), None
            continue
        starts = list(_START.finditer(line))
        if starts:
            pending = (int(starts[-1].group(1)), starts[-1].group(2))
        result = _RESULT.search(line)
        if result and pending is not None:
            # litmus sometimes prints a freed buffer as the resource name: keep it ASCII.
            status = result.group(1)
            detail = re.sub(r"[^\x20-\x7e]", "?", result.group(2).strip())
            run.results[(suite, *pending)] = (status, detail)
            pending = None
    return run


def run_litmus(server: DavServer, workdir: Path) -> LitmusRun:
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [*litmus_command(), "--keep-going", f"{server.url}/{USER}/", USER, server.users[USER]],
        env={"TESTS": " ".join(SUITES), "PATH": "/usr/bin:/bin", "LC_ALL": "C"},
        cwd=workdir,  # litmus writes debug.log into its working directory
        capture_output=True,
        timeout=LITMUS_TIMEOUT,
        check=False,
    )
    output = (proc.stdout + proc.stderr).decode("utf-8", errors="replace")
    run = parse_litmus(server.name, output)
    suites_seen = {suite for suite, _, _ in run.results}
    assert suites_seen == set(SUITES), f"litmus did not run every suite:\n{output}"
    return run


@pytest.fixture(scope="module")
def litmus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("litmus")


@pytest.fixture(scope="module")
def rights_file(litmus_dir: Path) -> Path:
    path = litmus_dir / "rights"
    path.write_text(RIGHTS)
    return path


@pytest.fixture(scope="module")
def reference(litmus_dir: Path, rights_file: Path) -> LitmusRun:
    """litmus against plain Radicale with its own multifilesystem storage: run once, the
    yardstick of both stores' runs."""
    radicale = RadicaleServer(
        litmus_dir / "radicale",
        {USER: "alice-Secret-1"},
        config={"rights": {"type": "from_file", "file": str(rights_file)}},
        bcrypt_rounds=4,
    )
    with radicale:
        return run_litmus(radicale, litmus_dir / "litmus-radicale")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_litmus_fails_nothing_radicale_passes(
    backend: str,
    contacthub_factory: Callable[..., DavServer],
    reference: LitmusRun,
    rights_file: Path,
    tmp_path: Path,
) -> None:
    server = contacthub_factory(
        backend=backend, config={"rights": {"type": "from_file", "file": str(rights_file)}}
    )
    ours = run_litmus(server, tmp_path / "litmus-contacthub")

    ours_only = [key for key in ours.failures() if key not in reference.failures()]
    # A test that passes on Radicale's own storage must pass on ours (not fail, not be
    # skipped because an earlier step failed).
    regressions = [
        key
        for key, (status, _) in reference.results.items()
        if status == "pass" and ours.results.get(key, ("NOT RUN", ""))[0] != "pass"
    ]
    report = (
        f"litmus {' '.join(SUITES)} on contacthub ({backend}) vs plain Radicale 3.9\n"
        f"failures on Radicale's own storage (acceptable):\n"
        f"{reference.describe(reference.failures())}\n"
        f"failures on contacthub ({backend}):\n{ours.describe(ours.failures())}\n"
        f"failures of contacthub only:\n{ours.describe(ours_only)}\n"
        f"passing on Radicale, not on contacthub:\n{ours.describe(regressions)}\n"
    )
    print(report)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"litmus-{backend}.txt").write_text(
        report
        + "\n--- contacthub output ---\n"
        + ours.output
        + "\n--- radicale output ---\n"
        + reference.output
    )
    assert not ours_only and not regressions, report
