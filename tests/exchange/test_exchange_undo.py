"""The undo of an Exchange run against the EWS double: the edits it pulled are reverted
here and the reverted cards go to Exchange as edits at the next run; deletions never
travel (a contact the run added is removed here only). SQLite and PostgreSQL."""

from __future__ import annotations

from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.store import SourceRecord
from tests.exchange.test_exchange_source import (
    OWNER,
    add_ann,
    by_name,
    hub_settings,  # noqa: F401 - the settings fixture of these tests
    item_named,
    source,  # noqa: F401 - the connected account's source
    sync,
    texts,
)
from tests.support.ews_server import EwsServer


def test_an_undone_exchange_run_sends_the_reverted_edit_and_keeps_deletions_here(
    ctx: RunContext,
    ews: EwsServer,
    source: SourceRecord,  # noqa: F811
) -> None:
    ann = add_ann(ews)
    sync(ctx, source, ews)
    ews.mailbox.edit(ann, {"JobTitle": "Manager"})
    ews.mailbox.create({"DisplayName": "Cy Young"})
    pulled, _ = sync(ctx, source, ews)
    assert by_name(ctx, source, "Ann Lee").title.value == "Manager"

    preview = history.preview_undo(ctx, OWNER, pulled.id)
    assert [c.name for c in preview.reverted] == ["Ann Lee"]
    assert [c.name for c in preview.removed] == ["Cy Young"]
    history.apply_undo(ctx, OWNER, pulled.id, False, via="api", basis=preview.basis)
    assert by_name(ctx, source, "Ann Lee").title.value == "Clerk"
    assert len(texts(ctx, source)) == 1

    pushed, operations = sync(ctx, source, ews)
    assert "UpdateItem" in operations and "DeleteItem" not in operations
    assert ews.mailbox.text(ann, "JobTitle") == "Clerk"
    assert item_named(ews, "Cy Young")  # still in Exchange: deletions never travel
    assert len(texts(ctx, source)) == 1  # and not pulled back: it did not change there
    assert pushed.status == "ok"
