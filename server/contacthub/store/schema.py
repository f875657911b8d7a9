"""The tables of the store: one schema for SQLite and PostgreSQL.

Later sources add tables for sources, links and runs beside these; the item
rows stay generic (vCards and iCalendar objects alike) so that everything
Radicale's own storage keeps, ours keeps too.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# `dies` of a row that no run has replaced or deleted.
NEVER = 2**62

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A collection is a principal ("alice"), an address book ("alice/contacts"),
# a calendar, or a plain WebDAV folder. `uuid` names this incarnation of the
# path, so sync tokens of a deleted and re-created book are refused.
collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("path", String(1024), nullable=False, unique=True),
    Column("parent_path", String(1024), nullable=False, index=True),
    Column("uuid", String(36), nullable=False),
    Column("tag", String(32), nullable=False, default=""),
    Column("props", Text, nullable=False, default="{}"),
    # Position in the change log: bumped by every write to the collection.
    Column("sync_seq", BigInteger, nullable=False, default=0),
    # Tokens older than this position can no longer be answered.
    Column("history_floor", BigInteger, nullable=False, default=0),
    # The newest run staged into the collection that is visible (see `items`), and the
    # position in the change log where all of its changes appeared at once.
    Column("published_gen", BigInteger, nullable=False, default=0, server_default="0"),
    Column("published_seq", BigInteger, nullable=False, default=0, server_default="0"),
    # A restore from a backup sets it, new and random, in every collection: the sync
    # tokens and ETags issued before the restore are then refused (store/dump.py).
    Column("sync_epoch", String(32), nullable=False, default="", server_default=""),
    Column("created_at", Float, nullable=False),
    Column("modified_at", Float, nullable=False),
    # A deleted address book is kept, moved to a path in the trash that no principal can
    # reach (store/book_trash.py), until the retention ends: when, the path it had, and
    # who deleted it through what (as a version's actor). NULL: not deleted.
    Column("deleted_at", Float),
    Column("deleted_path", String(1024)),
    Column("deleted_account", String(255)),
    Column("deleted_via", String(16)),
    Column("deleted_agent", String(255)),
    Index("ix_collections_deleted_at", "deleted_at"),
)

# An item keeps the client's text as received; the index columns beside it
# hold lower-cased values framed by newlines ("\nann@x.org\nann@y.org\n") so
# that one LIKE answers equals, starts-with, ends-with and contains.
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("href", String(1024), nullable=False),
    Column("uid", String(1024), nullable=False),
    Column("etag", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("name", String(32), nullable=False),
    Column("component_name", String(32), nullable=False),
    Column("time_start", BigInteger, nullable=False),
    Column("time_end", BigInteger, nullable=False),
    Column("modified_at", Float, nullable=False),
    Column("display_name", Text, nullable=False, default=""),
    Column("idx_fn", Text, nullable=False, default=""),
    Column("idx_email", Text, nullable=False, default=""),
    Column("idx_tel", Text, nullable=False, default=""),
    Column("idx_org", Text, nullable=False, default=""),
    # Other searchable text: NICKNAME, CATEGORIES and X- properties (custom fields).
    Column("idx_extra", Text, nullable=False, default="", server_default=""),
    # A row is visible while born <= the collection's published_gen < dies. A run of a
    # source writes its rows ahead in small transactions, born (and old versions dying)
    # at the run's own generation, and publishes them all by moving published_gen; a
    # client's write is visible at once (born at the published generation).
    Column("born", BigInteger, nullable=False, default=0, server_default="0"),
    Column("dies", BigInteger, nullable=False, default=NEVER, server_default=str(NEVER)),
    # One visible item per href and per UID; `born` tells an item's old and new
    # versions apart while a run's new version waits for publishing.
    UniqueConstraint("collection_id", "href", "born"),
    UniqueConstraint("collection_id", "uid", "born"),
)

# SQLite answers a text-match by scanning these narrow covering indexes
# instead of the rows with their cards (10 ms -> 1 ms at 10,000 contacts).
# PostgreSQL scans the table as fast, and its B-tree entries have a size
# limit that a long index value could pass, so it has none.
SQLITE_ONLY_INDEXES = frozenset(
    Index(f"ix_items_collection_id_{column}", items.c.collection_id, items.c[column])
    .ddl_if(dialect="sqlite")
    .name
    for column in ("idx_fn", "idx_email", "idx_tel", "idx_org")
)

# The change log keeps the latest change of each href: enough to answer
# "what changed since position N" in O(changes), and bounded by the number
# of hrefs; entries of deleted items are pruned after the retention time.
changes = Table(
    "changes",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("href", String(1024), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
    Index("ix_changes_collection_seq", "collection_id", "seq"),
    Index("ix_changes_expiry", "collection_id", "deleted", "changed_at"),
)

# A run's entries of the change log, written with its rows and published with them:
# entries of a generation <= the collection's published_gen all sit at its
# published_seq, until they are moved into `changes` (settled) after publishing.
pending_changes = Table(
    "pending_changes",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("gen", BigInteger, primary_key=True),
    Column("href", String(1024), primary_key=True),
    Column("deleted", Boolean, nullable=False),
)

# The run that is writing into a collection ahead of publishing (one at a time per
# collection): its generation, who holds it until when (a killed run's lease expires),
# and whether it is published and only its settling is left.
stagings = Table(
    "stagings",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("gen", BigInteger, nullable=False),
    Column("holder", String(255), nullable=False),
    Column("until", Float, nullable=False),
    Column("published", Boolean, nullable=False, default=False),
    # Once published: when, at which position of the change log, and as which run (the
    # run's versions take these when they are settled; see `versions`).
    Column("published_at", Float),
    Column("published_seq", BigInteger),
    Column("run_id", Integer),
)

# Roles of the accounts in the users file (the file holds the credentials).
accounts = Table(
    "accounts",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    # Phones and other CardDAV clients must sign in with an app password.
    Column("carddav_requires_app_password", Boolean, nullable=False, default=False),
    # Finding duplicates (contacthub.duplicates): the region of phone numbers written
    # without a country code (ISO 3166 alpha-2; NULL: such numbers match nothing), whether
    # the name-only lane is offered, and whether the safest lane is merged automatically.
    Column("phone_region", String(2)),
    Column("match_similar_names", Boolean, nullable=False, default=False, server_default="0"),
    Column("auto_merge", Boolean, nullable=False, default=False, server_default="0"),
)

# A source feeds one address book: a CSV sync, a phone's push, a mail account.
# `settings` holds the kind's own options as JSON (mapping, key, policy, ...).
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(255), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("book_path", String(1024), nullable=False),
    Column("settings", Text, nullable=False, default="{}"),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Scheduling: when the next run is due (None: not scheduled), and the lease of
    # the process running it now. A lease ends by release, or expires when its
    # process died: nothing stays "running" for ever.
    Column("next_run_at", Float, index=True),
    Column("leased_by", String(255)),
    Column("lease_trigger", String(32)),
    Column("leased_at", Float),
    Column("lease_until", Float),
    UniqueConstraint("owner", "kind", "name"),
)

# Data a source holds until a person acts on it: an uploaded CSV file waiting
# for its mapping, a phone's push waiting for "Import". In the store, so that
# every server process on one PostgreSQL sees it.
uploads = Table(
    "uploads",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
)

# What a source brought in: its key for a record -> the contact's UID, the
# hash of the record as last applied, and whether the user deleted the
# contact since (a tombstone: later runs skip that key).
links = Table(
    "links",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("external_key", String(1024), primary_key=True),
    Column("uid", String(1024), nullable=False),
    Column("href", String(1024), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("updated_at", Float, nullable=False),
    # A merge re-linked the record to a merged card: the card's book when it is not the
    # source's own (NULL: the source's book), and the card the source last brought, the
    # base of the three-way merge of its next change (NULL: not merged).
    Column("collection_id", Integer),
    Column("merged_base", Text),
)

# A run's changes to its source's links, published with its rows (see `items`): the
# links of a source are its `links` rows with the ops of its published generations
# applied, until settling moves them into `links`.
pending_links = Table(
    "pending_links",
    metadata,
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    Column("gen", BigInteger, primary_key=True),
    Column("external_key", String(1024), primary_key=True),
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("op", String(16), nullable=False),  # save, forget, tombstone
    Column("uid", String(1024), nullable=False, default=""),
    Column("href", String(1024), nullable=False, default=""),
    Column("record_hash", String(64), nullable=False, default=""),
    Index("ix_pending_links_collection_gen_href", "collection_id", "gen", "href"),
)

# One run of a source: when, what it did, and what went wrong where.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    # None for a run of no source: a restore or an undo, whose account is `owner`.
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE")),
    Column("owner", String(255)),
    Column("kind", String(16), nullable=False, default="", server_default=""),  # restore, undo
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("status", String(32), nullable=False),
    Column("trigger", String(32), nullable=False),
    Column("counts", Text, nullable=False, default="{}"),
    Column("problems", Text, nullable=False, default="[]"),
    Column("message", Text, nullable=False, default=""),
    # The report email: "" when none was asked for, else "sent to ..." or why not.
    Column("email", Text, nullable=False, default=""),
    Index("ix_runs_source_started", "source_id", "started_at"),
)

# The history of the cards: one row per write of a card, holding the card as it was
# BEFORE the write (`card`, packed by store/versions.py; NULL: there was none), with
# when, who and through what. So the book at a time T is a query: for each href, the
# first row after T holds its state at T; an href with no row after T is as it is now.
# A run's rows are written ahead with its rows (`gen` its generation, `at`/`seq`/`run_id`
# NULL) and take the run's from its staging when settled (gen 0 then): a published run
# not yet settled shows them through `stagings`, a swept one never did.
versions = Table(
    "versions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("href", String(1024), nullable=False),
    Column("uid", String(1024), nullable=False),  # of the card before, else of the card after
    Column("display_name", Text, nullable=False, default=""),  # likewise
    Column("action", String(16), nullable=False),  # add, update, delete, move_in, move_out
    Column("card", LargeBinary),
    Column("etag", String(80)),  # of `card`
    Column("gen", BigInteger, nullable=False, default=0),
    Column("at", Float),
    Column("seq", BigInteger),  # the collection's position in the change log of the write
    # Who and through what: the account, the door (carddav, api, admin, cli, run, restore,
    # undo, unknown), the client's User-Agent, the run.
    Column("account", String(255), nullable=False, default=""),
    Column("via", String(16), nullable=False),
    Column("agent", String(255), nullable=False, default=""),
    Column("run_id", Integer),
    # The source link the write ended (a run's delete forgets its link): a restore of the
    # card brings it back, so the source knows the contact again.
    Column("source_id", Integer),
    Column("link_key", String(1024)),
    Column("link_hash", String(64)),
    Index("ix_versions_collection_href_seq", "collection_id", "href", "seq"),
    Index("ix_versions_collection_gen_at", "collection_id", "gen", "at"),
    Index("ix_versions_collection_uid", "collection_id", "uid"),
    # Only the versions of runs: a client's write (most of them) costs no entry here.
    Index(
        "ix_versions_run_id",
        "run_id",
        sqlite_where=text("run_id IS NOT NULL"),
        postgresql_where=text("run_id IS NOT NULL"),
    ),
)

# Sessions of the admin page signed out before their cookie expired: refused until
# `expires_at`, when the signed cookie would be refused anyway and the row goes.
ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)

# A password per device of an account (a phone, a mail client): a random secret kept as
# its SHA-256 (contacthub.logins says why that, not bcrypt), revoked by deleting its row.
app_passwords = Table(
    "app_passwords",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    # "one-book" or "apart"; NULL: as the device's User-Agent is recognised.
    Column("book_view", String(16)),
    Column("last_user_agent", String(255)),  # written with last_used_at
    UniqueConstraint("owner", "name"),
    # A revoked password's id is never handed to a new one (SQLite would reuse the
    # highest), so what a process remembers of a password by id stays its own.
    sqlite_autoincrement=True,
)

# A CardDAV client (one account and User-Agent) that deleted more than a share of a book
# within a short window: one row per episode (deletions that kept coming within the
# window of each other), told to the book's owner, who restores them or dismisses it.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(255), nullable=False),  # the book's owner, who is told
    # cards: deletions of cards; book: the client deleted the whole book (`collection_id`,
    # in the trash of deleted books), `deleted` being the contacts it held.
    Column("kind", String(16), nullable=False, default="cards", server_default="cards"),
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # The client: the account it signed in as and its User-Agent.
    Column("account", String(255), nullable=False),
    Column("agent", String(255), nullable=False),
    Column("deleted", Integer, nullable=False),  # contacts it deleted in the episode
    Column("book_size", Integer, nullable=False),  # contacts the book held before them
    Column("first_at", Float, nullable=False),  # its first and last deletion
    Column("last_at", Float, nullable=False),
    Column("raised_at", Float, nullable=False),
    Column("state", String(16), nullable=False),  # open, restored, dismissed
    Column("resolved_at", Float),
    Column("restore_run_id", Integer),  # the run that brought them back
    Column("restored", Integer),  # how many it brought back
    # The email: "" until tried, else "sent to ..." or why not.
    Column("email", Text, nullable=False, default=""),
    Index("ix_alerts_owner_state", "owner", "state"),
    Index("ix_alerts_collection_client", "collection_id", "account", "agent"),
)

# A merge of an account's cards into one (duplicates/merge.py): its run (kind "merge"),
# the merged card, the cards merged (JSON) and the links of the sources as they were
# before (JSON), so that undoing it puts both back.
merges = Table(
    "merges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("run_id", Integer, nullable=False),
    Column("collection_id", Integer, nullable=False),  # where the merged card lives
    Column("href", String(1024), nullable=False),
    Column("uid", String(1024), nullable=False),
    Column("display_name", Text, nullable=False),
    Column("members", Text, nullable=False),
    Column("prior_links", Text, nullable=False),
    Column("automatic", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False),  # merged, undone
    Column("created_at", Float, nullable=False),
    Column("undone_at", Float),
    Column("undo_run_id", Integer),
    Index("ix_merges_owner_created_at", "owner", "created_at"),
)

# The keys that find duplicates (contacthub.duplicates): per card of an account's books, its
# normalised emails, E.164 phones and name, so that one query finds the cards that share
# one. Kept up to date from the change log, not in the write path: `duplicate_books` holds,
# per book, the incarnation (uuid), the phone region and the position the keys were read
# at; a find reads only what changed since.
duplicate_keys = Table(
    "duplicate_keys",
    metadata,
    # No foreign key to collections: on PostgreSQL it locked the book's row for each key
    # row a find wrote (a third of a book's COPY). A book's keys go when it leaves the
    # account (duplicates/index.py) or, at the latest, with its purge (book_trash.py).
    Column("collection_id", Integer, primary_key=True),
    Column("href", String(1024), primary_key=True),
    Column("kind", String(8), primary_key=True),  # email, tel
    Column("key", String(1024), primary_key=True),
    Column("owner", String(255), nullable=False),
    # The card's normalised name ("" for none), on each of its keys: a find reads the
    # holders of the shared keys with their names, without a row of its own per name.
    Column("name", String(1024), nullable=False, server_default=""),
    Index("ix_duplicate_keys_owner_kind_key", "owner", "kind", "key"),
    # The rows live in the primary key's tree: a find's hundreds of thousands of keys
    # are written into two trees, not three, and the (owner, kind, key) index holds the
    # book id and href it is read for.
    sqlite_with_rowid=False,
)

duplicate_books = Table(
    "duplicate_books",
    metadata,
    Column(
        "collection_id",
        Integer,
        ForeignKey("collections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("owner", String(255), nullable=False, index=True),
    Column("uuid", String(36), nullable=False),
    Column("region", String(2), nullable=False, default=""),
    Column("position", BigInteger, nullable=False),
)

# The groups a find offers, kept so that the next find recomputes only those its changes
# touch: each group's lane and the name it is listed by; its members (book id, href, UID
# and name: what a listing shows), also to find the groups of a changed card; its reasons
# (`duplicate_reasons`); the cards changed since (`duplicate_dirty`: a changed card and
# the holders of the keys it had); and `duplicate_state`, whose row says the groups are
# whole (and whether they include the name lane). No row there: the next find computes
# every group again.
duplicate_groups = Table(
    "duplicate_groups",
    metadata,
    Column("owner", String(255), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("lane", String(8), nullable=False),
    # The first contact's name, case-folded: the groups are listed by lane, then by it.
    Column("sort_name", Text, nullable=False),
    sqlite_with_rowid=False,  # (as duplicate_keys: one tree fewer to write)
)

duplicate_members = Table(
    "duplicate_members",
    metadata,
    Column("owner", String(255), primary_key=True),
    Column("collection_id", Integer, primary_key=True),
    Column("href", String(1024), primary_key=True),
    Column("group_id", String(16), primary_key=True),
    Column("uid", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Index("ix_duplicate_members_owner_group_id", "owner", "group_id"),
    sqlite_with_rowid=False,
)

# Why a kept group's cards matched: a value (an email, a phone, a name) and the group's
# cards that hold it, one row per value: `holders` are the cards' positions among the
# group's members ordered by (collection_id, href), joined by ",".
duplicate_reasons = Table(
    "duplicate_reasons",
    metadata,
    Column("owner", String(255), nullable=False),
    Column("group_id", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", Text, nullable=False),
    Column("holders", Text, nullable=False),
    Index("ix_duplicate_reasons_owner_group_id", "owner", "group_id"),
)

duplicate_dirty = Table(
    "duplicate_dirty",
    metadata,
    Column("owner", String(255), primary_key=True),
    Column("collection_id", Integer, primary_key=True),
    Column("href", String(1024), primary_key=True),
)

duplicate_state = Table(
    "duplicate_state",
    metadata,
    Column("owner", String(255), primary_key=True),
    Column("name_lane", Boolean, nullable=False),
)

# Pairs of contacts a person said are not the same: never grouped again. Each side is the
# contact's stable identity, its book's uuid and its UID ("<uuid>/<uid>"), `first` < `second`.
duplicate_dismissals = Table(
    "duplicate_dismissals",
    metadata,
    Column("owner", String(255), primary_key=True),
    Column("first", String(1100), primary_key=True),
    Column("second", String(1100), primary_key=True),
    Column("dismissed_at", Float, nullable=False),
)
