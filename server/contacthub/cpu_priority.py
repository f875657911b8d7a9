"""A bulk command's lower CPU priority, in a form Linux's scheduler does not ignore.

nice(2) weighs a thread only against the threads of its own scheduling group. With
autogroup (`kernel.sched_autogroup_enabled`, on in Debian's kernel and most others) every
session is a group of its own, and what systemd or cron starts leads a session of its
own: `contacthub worker` as a unit beside `contacthub serve`, or an import from cron,
then competes with `serve` as an equal whatever its nice value. Measured: two busy loops
on one core, one at nice 10, share it 90/10 in one session and 50/50 in two.

The session's own nice value (/proc/self/autogroup, sched(7)) is what weighs against
the other sessions. It is lowered only when this process leads its session, so that a
command typed in a shell never lowers the priority of the shell that started it.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path

logger = logging.getLogger(__name__)

AUTOGROUP = Path("/proc/self/autogroup")
# The kernel takes one unprivileged change of any session's value per 100 ms (EAGAIN).
_TRIES = 5
_RETRY_AFTER = 0.11


def lower_cpu_priority(by: int) -> None:
    """Raise this process's nice value by `by`, and its session's where it leads one."""
    if by <= 0:
        return
    nice = os.nice(by)
    if os.getsid(0) == os.getpid():
        _lower_session(nice)


def _lower_session(nice: int) -> None:
    for _ in range(_TRIES):
        try:
            AUTOGROUP.write_text(f"{nice}\n")
            return
        except OSError as error:
            if error.errno != errno.EAGAIN:
                # No autogroup in this kernel, or /proc as a sandbox shows it: the
                # session then is no group of its own, and nice(2) alone counts.
                logger.debug("session's CPU priority left as it was: %s", error)
                return
        time.sleep(_RETRY_AFTER)
    logger.debug("session's CPU priority left as it was: the kernel kept refusing (EAGAIN)")
