"""One run per output folder: an advisory lock held for the run's life.

Two trainings writing into one folder mix their snapshots, logs and models
(and race on the plots' temporary files).  :class:`RunLock` takes an
exclusive ``flock`` on ``OUT/.lock`` (through :mod:`filelock`) and writes the
holder's pid beside it; a second run gets a clear error naming that pid.
The operating system drops the lock when its process ends, however it ends,
so a crashed run leaves no stale lock behind.
"""
import os

import filelock

from chainer_irnn.errors import Setting, UserError

LOCK_FILE = '.lock'
PID_FILE = '.lock.pid'


class RunLock(object):
    """``with RunLock(out): ...`` holds ``out`` for this process."""

    def __init__(self, out):
        self.out = out
        self._lock = None

    def __enter__(self):
        os.makedirs(self.out, exist_ok=True)
        self._lock = filelock.FileLock(os.path.join(self.out, LOCK_FILE))
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            raise UserError('{}: another run (pid {}) is writing to this output folder; '
                            'wait for it to end, or set {} to another folder'.format(
                                self.out, self.holder() or 'unknown', Setting('out')))
        with open(os.path.join(self.out, PID_FILE), 'w') as f:
            f.write('{}\n'.format(os.getpid()))
        return self

    def holder(self):
        """The pid written by the run holding the lock (None if unknown)."""
        try:
            with open(os.path.join(self.out, PID_FILE)) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def __exit__(self, *exc):
        try:
            os.remove(os.path.join(self.out, PID_FILE))
        except OSError:
            pass
        self._lock.release()
        return False
