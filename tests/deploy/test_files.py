"""The deployment files that this machine cannot run whole: the systemd unit (no systemd
as PID 1 here) and the Containerfile (no container engine). What can be checked is:
systemd's own verdict on the unit, and that each command line they run is one that
`contacthub` takes, each file they copy is in the repository, and the container's
health check answers from a real `serve`."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from contacthub.cli import main
from tests.support.net import free_port
from tests.support.servers import ContacthubServer, contacthub_command

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "contacthub.service"
CONTAINERFILE = ROOT / "Containerfile"
INSTALLED = "/opt/contacthub/bin/contacthub"  # where the README installs it
MOST_EXPOSURE = 2.0  # systemd-analyze security: 0 (locked down) to 10 (unprotected)


def parse_contacthub(argv: list[str]) -> click.Context:
    """Parse a `contacthub COMMAND ...` command line as the CLI would, without running
    it; raises click.UsageError for an unknown option or a missing value."""
    assert Path(argv[0]).name == "contacthub", argv
    root = click.Context(main, info_name="contacthub")
    command = main.get_command(root, argv[1])
    assert command is not None, f"no command {argv[1]!r}"
    return command.make_context(argv[1], argv[2:], parent=root)


def unit_value(key: str) -> str:
    found = re.search(rf"^{key}=(.*)$", UNIT.read_text(), re.MULTILINE)
    assert found is not None, f"{UNIT.name} has no {key}="
    return found.group(1)


def installed_unit(tmp_path: Path) -> Path:
    """The unit as it is on a machine where contacthub is installed: its ExecStart names
    this machine's contacthub command (systemd-analyze verify checks that it exists)."""
    path = tmp_path / UNIT.name
    path.write_text(UNIT.read_text().replace(INSTALLED, contacthub_command()[0]))
    return path


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    assert found, "systemd-analyze not found: install the Debian package 'systemd' (.ci/run does)"
    return found


def test_the_unit_runs_serve_on_the_data_directory_it_may_write() -> None:
    argv = shlex.split(unit_value("ExecStart"))
    assert argv[0] == INSTALLED
    serve = parse_contacthub(argv)
    assert serve.info_name == "serve"
    data_dir = str(serve.params["data_dir"])
    assert data_dir == "/var/lib/contacthub"
    assert unit_value("ReadWritePaths") == data_dir
    assert unit_value("StateDirectory") == Path(data_dir).name


def test_systemd_finds_nothing_wrong_with_the_unit(tmp_path: Path) -> None:
    verified = subprocess.run(
        [systemd_analyze(), "verify", str(installed_unit(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == ""


def test_the_unit_is_locked_down(tmp_path: Path) -> None:
    security = subprocess.run(
        [systemd_analyze(), "security", "--offline=yes", str(installed_unit(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert found is not None, security.stdout + security.stderr
    assert float(found.group(1)) <= MOST_EXPOSURE, security.stdout


def instructions() -> list[tuple[str, str]]:
    """The Containerfile's instructions, (KEYWORD, arguments), continuations joined."""
    text = re.sub(r"\\\n", " ", CONTAINERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def instruction(keyword: str) -> list[str]:
    return [arguments for found, arguments in instructions() if found == keyword]


KNOWN = {"FROM", "ENV", "RUN", "WORKDIR", "COPY", "USER", "VOLUME", "EXPOSE", "HEALTHCHECK"}
KNOWN |= {"CMD", "ARG", "LABEL", "ENTRYPOINT"}


def test_the_containerfile_uses_known_instructions_from_a_slim_python() -> None:
    assert {keyword for keyword, _ in instructions()} <= KNOWN
    assert instructions()[0][0] == "FROM"
    assert re.fullmatch(r"\S*python:3\.1[1-9]-slim\S*", instruction("FROM")[0])


def test_what_the_containerfile_copies_is_in_the_repository() -> None:
    copies = instruction("COPY")
    assert copies
    for arguments in copies:
        *sources, _target = arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "server" not in ignored and "plugins" not in ignored


def test_the_container_serves_its_volume_as_an_unprivileged_user() -> None:
    cmd = json.loads(instruction("CMD")[0])
    serve = parse_contacthub(cmd)
    assert serve.info_name == "serve"
    assert serve.params["host"] == "0.0.0.0"
    assert json.loads(instruction("VOLUME")[0]) == [str(serve.params["data_dir"])]
    assert instruction("EXPOSE") == [str(serve.params["port"])]
    assert instruction("USER")[-1] not in ("root", "0")


def test_the_containers_health_check_asks_healthz(tmp_path: Path) -> None:
    check = json.loads(instruction("HEALTHCHECK")[0].split(" CMD ", 1)[1])
    assert check[0] == "python" and "/healthz" in check[-1]
    port = json.loads(instruction("CMD")[0]).index("--port") + 1
    container_port = json.loads(instruction("CMD")[0])[port]

    def run_check(server_port: int) -> int:
        argv = [sys.executable, *check[1:-1], check[-1].replace(container_port, str(server_port))]
        return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode

    with ContacthubServer(tmp_path / "data", {}) as server:
        assert run_check(server.port) == 0
    assert run_check(free_port()) != 0


@pytest.mark.parametrize("path", ["deploy/nginx/contacthub.conf", "deploy/caddy/Caddyfile"])
def test_the_proxies_pass_the_servers_body_limit(path: str) -> None:
    from contacthub.config import DEFAULT_MAX_CONTENT_LENGTH

    text = (ROOT / path).read_text()
    limit = re.search(r"(?:client_max_body_size|max_size) (\d+)(MB)?", text)
    assert limit is not None
    factor = 1_000_000 if limit.group(2) else 1
    assert int(limit.group(1)) * factor == DEFAULT_MAX_CONTENT_LENGTH
