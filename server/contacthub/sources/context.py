"""What running a sync needs from the server: the store, the vault, the fetch policy,
the SMTP settings and a clock (tests turn it by hand instead of sleeping)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from contacthub.config import Settings
from contacthub.credentials import Vault
from contacthub.fetch import FetchPolicy
from contacthub.sources.progress import ProgressBoard
from contacthub.store import Store


@dataclass(frozen=True)
class RunContext:
    store: Store
    settings: Settings
    clock: Callable[[], float] = field(default=time.time)
    # Runs started from the web page, for their progress bars.
    progress: ProgressBoard = field(default_factory=ProgressBoard, compare=False)

    @cached_property
    def vault(self) -> Vault:
        return Vault.from_config(self.settings.secret_key, self.settings.data_dir)

    @property
    def fetch_policy(self) -> FetchPolicy:
        return self.settings.fetch_policy

    @property
    def smtp(self) -> dict[str, str]:
        return self.settings.smtp

    def now(self) -> float:
        return self.clock()
