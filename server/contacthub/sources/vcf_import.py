""".vcf files imported into a book, through the reconciler.

Each book that .vcf files are imported into has one source of kind "vcf" (made by the
first import), which keeps the last file and links every card it brought: a run is
recorded (its report lists the cards that could not be read, by number and line; undo
and history work as for any run), and importing the same file again, or a later export of
the same contacts, updates the cards it brought instead of adding them twice. Cards are
matched by their UID, or by who they are when they have none (vcf_file.read_file).

The policy: update existing contacts, never delete the ones missing from the file. A .vcf
is a handful of contacts as often as a whole book ("send contact" from a phone, one
person's card from a mail): a file that lacks a contact says nothing about whether it
should go. A contact a person deleted here stays deleted.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from contacthub.errors import Invalid
from contacthub.reconcile import Policy, RunOutcome, run_source
from contacthub.sources.vcf_file import check_is_vcard, decoded, read_file
from contacthub.store import SourceRecord, Store, Transaction

KIND = "vcf"
POLICY = Policy(update_existing=True, delete_missing=False)
# A .vcf is read whole (as the phone push is); a 10,000-card export with photos is some
# tens of MB.
MAX_VCF_BYTES = 200_000_000
BOOK_TAG = "VADDRESSBOOK"


def checked_text(content: bytes) -> str:
    """The file's text, or Invalid when it is too large or not a vCard file at all."""
    if len(content) > MAX_VCF_BYTES:
        raise Invalid(
            f"The file has {len(content):,} bytes; a .vcf import may have at most "
            f"{MAX_VCF_BYTES:,}.",
            field="file",
        )
    text = decoded(content)
    check_is_vcard(text)
    return text


def source_for(tx: Transaction, owner: str, book_path: str) -> SourceRecord:
    """The book's .vcf source, made on the first import into it."""
    for source in tx.list_sources(owner=owner, kind=KIND):
        if source.book_path == book_path:
            return source
    book = tx.require_collection(book_path)
    name = str(book.props.get("D:displayname") or book_path.rsplit("/", 1)[-1])
    return tx.create_source(
        owner, KIND, _unique_name(tx, owner, f".vcf into {name}"), book_path, {}
    )


def _unique_name(tx: Transaction, owner: str, name: str) -> str:
    candidate, number = name, 1
    while tx.find_source(owner, KIND, candidate) is not None:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def new_book_name(filename: str) -> str:
    """The name of the book a file goes into when none is chosen: "Anna (vCard)"."""
    stem = re.sub(r"\s+", " ", PurePath(filename).stem).strip() or "import"
    return f"{stem[:200]} (vCard)"


def import_file(
    store: Store,
    owner: str,
    book_path: str,
    filename: str,
    content: bytes,
    *,
    dry_run: bool = False,
    trigger: str = "manual",
) -> RunOutcome:
    """Import the file's cards into the book, all or nothing, recorded as a run of the
    book's .vcf source (not when dry). Invalid, changing nothing, when the file is not
    vCard at all."""
    text = checked_text(content)
    with store.write([owner, book_path]) as tx:  # owner: one new source name at a time
        source = source_for(tx, owner, book_path)
        if not dry_run:
            tx.put_upload(source.id, filename, content)
    with store.read() as tx:
        known = {link.record_hash: key for key, link in tx.links_of(source.id).items()}
    return run_source(
        store, source, lambda: read_file(text, known), POLICY, trigger=trigger, dry_run=dry_run
    )
