"""Saved syncs: a CSV import with an origin (upload, HTTP, FTP), a schedule and
report emails, run by hand ("Import now") or by the scheduler.

    origin     where the file comes from; passwords sealed by the vault
    saved      creating and changing a sync's settings, its next run
    runner     one run: lease, fetch, import, record, email
    scheduler  claiming due runs atomically, recovering interrupted ones
    status     what the list of syncs shows
"""

from contacthub.syncs.context import SyncContext
from contacthub.syncs.origin import Origin, OriginError
from contacthub.syncs.progress import Progress
from contacthub.syncs.runner import SyncBusy, run_in_background, run_sync, send_report
from contacthub.syncs.saved import (
    SyncError,
    create_remote_sync,
    delete_sync,
    notify_of,
    origin_of,
    parse_notify,
    parse_origin,
    parse_schedule,
    save_settings,
    schedule_of,
    update_origin,
)
from contacthub.syncs.scheduler import Scheduler
from contacthub.syncs.status import SyncStatus, status_of

__all__ = [
    "Origin",
    "OriginError",
    "Progress",
    "Scheduler",
    "SyncBusy",
    "SyncContext",
    "SyncError",
    "SyncStatus",
    "create_remote_sync",
    "delete_sync",
    "notify_of",
    "origin_of",
    "parse_notify",
    "parse_origin",
    "parse_schedule",
    "run_in_background",
    "run_sync",
    "save_settings",
    "schedule_of",
    "send_report",
    "status_of",
    "update_origin",
]
