"""A client that deletes too much, end to end: a real `contacthub serve` (SQLite and
PostgreSQL), a real SMTP server (aiosmtpd on 127.0.0.1) and a real client, vdirsyncer.

vdirsyncer keeps a folder of 30 cards in step with the owner's book; its files are
deleted and it syncs with --force-delete, so it deletes the whole book over CardDAV. Every
DELETE succeeds; exactly one email arrives, naming the client, the book and the count; the
alert is listed by the API; restoring it brings every contact back with its bytes, a
sync-collection from the token after the deletions reports them as new, and vdirsyncer's
next sync puts them back in its folder. Meanwhile a slow deleter, under the share in every
window, raises nothing, and two clients deleting from one book are counted apart.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.clients import cards
from tests.support import dav
from tests.support.commands import vdirsyncer_command
from tests.support.net import free_port, wait_until
from tests.support.servers import DavServer, DavSession
from tests.support.smtp import Mailbox, serve_mailbox

OWNER = "ann@example.org"  # an email address: `alert_to = owner` mails it
PASSWORD = "ann-Secret-1"
BOOK = f"/{OWNER}/contacts/"
COUNT = 30
WINDOW = 10.0  # seconds: short enough for the slow deleter to wait one out
SENDER = "contacthub@example.org"


class Vdirsyncer:
    """vdirsyncer with its own config, status and local folder of vCards under `root`."""

    def __init__(self, root: Path, book_url: str) -> None:
        self.root = root
        self.local = root / "local"
        (root / "status").mkdir(parents=True)
        self.local.mkdir()
        self.config = root / "config"
        self.config.write_text(
            "[general]\n"
            f'status_path = "{root / "status"}/"\n\n'
            '[pair book]\na = "local"\nb = "remote"\ncollections = null\n\n'
            '[storage local]\ntype = "filesystem"\n'
            f'path = "{self.local}/"\nfileext = ".vcf"\n\n'
            '[storage remote]\ntype = "carddav"\n'
            f'url = "{book_url}"\nusername = "{OWNER}"\npassword = "{PASSWORD}"\n'
        )
        self.env = dict(
            os.environ,
            HOME=str(root),
            XDG_CONFIG_HOME=str(root / "xdg-config"),
            XDG_DATA_HOME=str(root / "xdg-data"),
            LC_ALL="C.UTF-8",
        )

    def run(self, *args: str) -> str:
        proc = subprocess.run(
            [*vdirsyncer_command(), "-c", str(self.config), *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"vdirsyncer {' '.join(args)} failed:\n{output}"
        for marker in ("error:", "critical:"):
            assert marker not in output.lower(), f"vdirsyncer {' '.join(args)}:\n{output}"
        return output

    def files(self) -> dict[str, str]:
        """UID -> the text of its file."""
        texts = [path.read_text(encoding="utf-8") for path in self.local.glob("*.vcf")]
        return {cards.uid_of(text): text for text in texts}


@pytest.fixture(params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, contacthub_factory: Callable[..., DavServer]
) -> tuple[DavServer, Mailbox]:
    mailbox = Mailbox(free_port())
    return (
        contacthub_factory(
            backend=request.param,
            users={OWNER: PASSWORD},
            config={
                "smtp": {
                    "host": "127.0.0.1",
                    "port": str(mailbox.port),
                    "security": "none",
                    "sender": SENDER,
                },
                "history": {"mass_delete_window": str(WINDOW), "alert_to": "owner"},
            },
        ),
        mailbox,
    )


def as_client(server: DavServer, agent: str) -> DavSession:
    session = server.session(OWNER)
    session.headers["User-Agent"] = agent
    return session


def new_book(session: DavSession, name: str) -> tuple[str, list[str]]:
    """A book of COUNT cards; its path and the cards' hrefs."""
    path = f"/{OWNER}/{name}-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(session, path, name)
    hrefs = []
    for index in range(COUNT):
        href = f"{path}card-{index:02d}.vcf"
        dav.create_card(session, href, cards.make_card(index, seed=7, uid=f"{name}-{index}"))
        hrefs.append(href)
    return path, hrefs


def delete_all(session: DavSession, hrefs: list[str]) -> None:
    for href in hrefs:
        answer = session.delete(href)
        assert answer.status_code in (200, 204), (href, answer.status_code, answer.text[:200])


def listed_alerts(server: DavServer) -> list[dict[str, object]]:
    answer = server.session(OWNER).get("/api/v1/alerts")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, object]] = answer.json()["alerts"]
    return found


def test_a_client_that_deletes_a_whole_book_is_told_once_and_restored(
    served: tuple[DavServer, Mailbox], tmp_path: Path
) -> None:
    server, mailbox = served
    with serve_mailbox(mailbox):
        run_the_scenario(server, mailbox, tmp_path)


def run_the_scenario(server: DavServer, mailbox: Mailbox, tmp_path: Path) -> None:
    owner = server.session(OWNER)
    vd = Vdirsyncer(tmp_path / "vdirsyncer", server.url + BOOK)
    originals = {}
    for index in range(COUNT):
        text = cards.make_card(index, seed=3)
        originals[cards.uid_of(text)] = text
        (vd.local / f"card-{index:02d}.vcf").write_bytes(text.encode("utf-8"))
    vd.run("discover")
    assert vd.run("sync").count("Copying (uploading)") == COUNT

    # Two clients delete from one book: 10 and 9 of 30, together more than half.
    shared, shared_hrefs = new_book(owner, "shared")
    delete_all(as_client(server, "ContactsA/1.0"), shared_hrefs[:10])
    delete_all(as_client(server, "ContactsB/2.0"), shared_hrefs[10:19])

    # The phone loses its data: vdirsyncer deletes the whole book.
    for path in vd.local.glob("*.vcf"):
        path.unlink()
    out = vd.run("sync", "--force-delete")
    assert out.count("Deleting item") == COUNT, out[-2000:]
    after_deletions = dav.sync_collection(owner, BOOK, None).sync_token
    assert members(owner, BOOK) == 0

    # A slow deleter: 9 of 30, a window's rest, 9 of the 21 left.
    slow, slow_hrefs = new_book(owner, "slow")
    slow_client = as_client(server, "SlowSync/0.1")
    delete_all(slow_client, slow_hrefs[:9])
    time.sleep(WINDOW + 1)
    delete_all(slow_client, slow_hrefs[9:18])

    wait_until(lambda: len(mailbox.envelopes) >= 1, 30, "the alert's email")
    time.sleep(2)  # time for a second email, if one were (wrongly) sent
    [envelope] = mailbox.envelopes
    [alert] = listed_alerts(server)
    assert envelope.rcpt_tos == [OWNER] and envelope.mail_from == SENDER
    email = BytesParser(policy=policy.default).parsebytes(envelope.content)
    assert isinstance(email, EmailMessage)
    subject, text = str(email["Subject"]), email.get_content()
    assert subject.startswith("Contacts deleted: ") and "in “Contacts” by vdirsyncer/" in subject
    assert f"Client:       vdirsyncer/{vdirsyncer_version()}" in text
    assert f"of the {COUNT} contacts in the address book “Contacts”" in text
    assert f"{server.url}/admin/alerts/{alert['id']}" in text
    assert alert["client"] == f"vdirsyncer/{vdirsyncer_version()}"
    assert (alert["state"], alert["book"], alert["deleted"], alert["book_size"]) == (
        "open",
        "contacts",
        COUNT,
        COUNT,
    )
    assert str(alert["email"]).startswith(f"sent to {OWNER}")

    restored = owner.post(f"/api/v1/alerts/{alert['id']}/restore")

    assert restored.status_code == 200, restored.text
    assert (restored.json()["state"], restored.json()["restored"]) == ("restored", COUNT)
    news = dav.sync_collection(owner, BOOK, after_deletions)
    assert len(news) == COUNT and all(member.status in (None, 200) for member in news)
    for member in news:
        got = owner.get(member.raw_href)
        assert got.status_code == 200 and member.etag == got.headers["ETag"]
        text = got.content.decode("utf-8")
        assert text == originals[cards.uid_of(text)], "the bytes came back as they were"
    vd.run("sync")
    assert {uid: lf(text) for uid, text in vd.files().items()} == {
        uid: lf(text) for uid, text in originals.items()
    }
    # Only the episode came back: the other books stay as their clients left them.
    assert members(owner, shared) == COUNT - 19 and members(owner, slow) == COUNT - 18
    assert len(mailbox.envelopes) == 1 and len(listed_alerts(server)) == 1


def members(session: DavSession, book: str) -> int:
    """How many cards the book holds."""
    found = dav.propfind(session, book, [dav.GETETAG], depth="1")
    return len([m for m in found if m.href.rstrip("/") != book.rstrip("/")])


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def vdirsyncer_version() -> str:
    from vdirsyncer import __version__

    return str(__version__)


def test_a_client_that_deletes_the_book_itself_is_told_and_the_book_restored(
    served: tuple[DavServer, Mailbox],
) -> None:
    server, mailbox = served
    phone = as_client(server, "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0)")
    with serve_mailbox(mailbox):
        book, hrefs = new_book(phone, "Family")
        sent = {href: phone.get(href).text for href in hrefs}
        token = dav.sync_collection(phone, book, None).sync_token
        assert phone.delete(book).status_code in (200, 204)
        assert phone.request("PROPFIND", book, headers={"Depth": "0"}).status_code == 404

        wait_until(lambda: len(mailbox.envelopes) >= 1, 30, "the alert's email")
        [envelope] = mailbox.envelopes
        email = BytesParser(policy=policy.default).parsebytes(envelope.content)
        assert isinstance(email, EmailMessage)
        assert email["Subject"].startswith(f"Address book deleted: “Family” ({COUNT} contacts)")
        assert "DAVx5" in email.get_body().get_content()
        [alert] = listed_alerts(server)
        assert (alert["kind"], alert["deleted"], alert["state"]) == ("book", COUNT, "open")

        restored = server.session(OWNER).post(f"/api/v1/alerts/{alert['id']}/restore")
        assert restored.status_code == 200 and restored.json()["restored"] == COUNT
        stale = dav.sync_collection_raw(phone, book, token)
        assert stale.status_code == 403  # a new incarnation: the phone syncs afresh
        fresh = dav.sync_collection(phone, book, None)
        assert sorted(member.href for member in fresh) == sorted(hrefs)
        assert {href: phone.get(href).text for href in hrefs} == sent
        assert len(mailbox.envelopes) == 1
