"""`contacthub backup create` and `restore`: a SQLite server restored into an empty SQLite
or PostgreSQL store (so a server moves to PostgreSQL this way), a refusal of a target that
is not empty that changes nothing, and what restore says of a secret key that differs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from contacthub.cli import main
from contacthub.config import default_config_text
from contacthub.credentials import Vault
from contacthub.store import Actor, Store, TextMatch
from contacthub.store.dump import rows_in
from contacthub.vcard.parse import item_data

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Person {uid}\r\nEND:VCARD\r\n"
ACTOR = Actor("ann", "cli", "test")


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, str]:
    """A SQLite server's data directory: the user ann, a book of three cards, and a mail
    account whose password is sealed with the server's key."""
    data = tmp_path / "source"
    data.mkdir()
    url = f"sqlite:///{data / 'contacthub.db'}"
    assert run("user", "add", "ann", "--data-dir", str(data), input="secret-long-enough\n")
    (data / "contacthub.conf").write_text(default_config_text(data))
    key = Fernet.generate_key()
    (data / "secret.key").write_bytes(key + b"\n")
    store = Store.open(url)
    with store.write(actor=ACTOR) as tx:
        book = tx.get_collection("ann/contacts")  # `user add` made it
        assert book is not None
        for uid in ("a", "b", "c"):
            tx.put_item(book, f"{uid}.vcf", item_data(CARD.format(uid=uid)))
        tx.create_source(
            "ann", "imap", "Work mail", "ann/contacts", {"sealed_password": Vault(key).seal("pw")}
        )
    store.close()
    return data, url


def backup_of(source: tuple[Path, str], tmp_path: Path) -> Path:
    data, url = source
    file = tmp_path / "backup.zip"
    made = run("backup", "create", str(file), "--data-dir", str(data), "--store", url)
    assert made.exit_code == 0, made.output
    assert "apart" in made.output
    assert "secret.key" in made.output or "secret_key of [contacthub]" in made.output
    with zipfile.ZipFile(file) as archive:
        assert "secret.key" not in "".join(archive.namelist())
        key = _key(data)
        assert all(key not in archive.read(name) for name in archive.namelist())
    return file


def test_restore_into_an_empty_store_with_the_same_key(
    source: tuple[Path, str], empty_store_url: str, tmp_path: Path
) -> None:
    file = backup_of(source, tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    (target / "secret.key").write_bytes((source[0] / "secret.key").read_bytes())
    done = run(
        "backup", "restore", str(file), "--data-dir", str(target), "--store", empty_store_url
    )
    assert done.exit_code == 0, done.output
    assert "restored 3 cards" in done.output
    assert "typed again" not in done.output
    store = Store.open(empty_store_url)
    with store.read() as tx:
        book = tx.get_collection("ann/contacts")
        assert book is not None and book.sync_epoch
        assert sorted(tx.iter_hrefs(book.id)) == ["a.vcf", "b.vcf", "c.vcf"]
        # A query finds restored cards through the text index the load rebuilt.
        assert [i.href for i in tx.match_items(book.id, TextMatch("FN", "son b"))] == ["b.vcf"]
        (mail,) = tx.list_sources("ann")
        assert Vault.from_config(None, target).open(mail.settings["sealed_password"]) == "pw"
    store.close()
    assert (target / "users").read_text().startswith("ann:")
    assert f"url = {empty_store_url}" in (target / "contacthub.conf").read_text()


def test_a_different_key_names_the_sources_whose_password_is_typed_again(
    source: tuple[Path, str], tmp_path: Path
) -> None:
    file = backup_of(source, tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    (target / "secret.key").write_bytes(Fernet.generate_key() + b"\n")
    done = run("backup", "restore", str(file), "--data-dir", str(target))
    assert done.exit_code == 0, done.output
    assert "is not the one the backup was made with" in done.output
    assert "typed again" in done.output and "ann: imap Work mail" in done.output


def test_a_store_that_is_not_empty_is_refused_and_nothing_changes(
    source: tuple[Path, str], store_url: str, tmp_path: Path
) -> None:
    file = backup_of(source, tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    store = Store.open(store_url)
    with store.write() as tx:
        tx.create_collection("bob", {})
    store.close()
    before = _rows(store_url)
    done = run("backup", "restore", str(file), "--data-dir", str(target), "--store", store_url)
    assert done.exit_code == 1
    assert "is not empty" in done.output and "nothing was changed" in done.output
    assert _rows(store_url) == before
    assert sorted(p.name for p in target.iterdir()) == []


def test_a_data_directory_with_users_is_refused_and_nothing_changes(
    source: tuple[Path, str], tmp_path: Path
) -> None:
    file = backup_of(source, tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    assert run("user", "add", "zed", "--data-dir", str(target), input="secret-long-enough\n")
    users = (target / "users").read_bytes()
    files = sorted(p.name for p in target.iterdir())
    done = run("backup", "restore", str(file), "--data-dir", str(target))
    assert done.exit_code == 1
    assert "already has accounts" in done.output and "nothing was changed" in done.output
    assert (target / "users").read_bytes() == users
    assert sorted(p.name for p in target.iterdir()) == files


def _rows(url: str) -> dict[str, int]:
    store = Store.open(url, upgrade=False)
    try:
        return rows_in(store.engine)
    finally:
        store.close()


def test_a_secret_key_in_the_configuration_stays_out_of_the_backup(
    source: tuple[Path, str], tmp_path: Path
) -> None:
    data, _ = source
    key = (data / "secret.key").read_text().strip()
    (data / "secret.key").unlink()
    config = data / "contacthub.conf"
    config.write_text(config.read_text().replace("secret_key =", f"secret_key = {key}"))
    file = backup_of(source, tmp_path)
    with zipfile.ZipFile(file) as archive:
        kept = archive.read("contacthub.conf").decode()
    assert key not in kept and "secret_key = \n" in kept


def _key(data: Path) -> bytes:
    vault = Vault.from_config(None, data) if (data / "secret.key").exists() else None
    if vault is not None:
        return (data / "secret.key").read_bytes().strip()
    config = (data / "contacthub.conf").read_text()
    return config.split("secret_key = ", 1)[1].split("\n", 1)[0].encode()
