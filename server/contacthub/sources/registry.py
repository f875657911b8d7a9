"""Every kind of source, by the name stored in its row: the one list that the runner, the
API and the admin page read."""

from __future__ import annotations

from contacthub.sources import device, vcf_import
from contacthub.sources.base import MailAccountKind, SourceKind
from contacthub.sources.csv import run as csv_run
from contacthub.sources.csv import source as csv_source
from contacthub.sources.exchange import source as exchange
from contacthub.sources.imap import source as imap

KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        SourceKind(csv_source.KIND, "sync", csv_run.run),
        SourceKind(imap.KIND, "mail account", imap.run),
        SourceKind(exchange.KIND, "mail account", exchange.run),
        SourceKind(device.KIND, "phone"),
        SourceKind(vcf_import.KIND, ".vcf import"),
    )
}
RUNNABLE: dict[str, SourceKind] = {name: kind for name, kind in KINDS.items() if kind.runnable}
MAIL_ACCOUNTS: dict[str, MailAccountKind] = {imap.KIND: imap, exchange.KIND: exchange}
