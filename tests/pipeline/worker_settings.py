"""Settings of the Celery worker that `test_celery_worker.py` starts as a subprocess.

The test settings, except that tasks go through the broker: `config/settings/test.py` forces
CELERY_TASK_ALWAYS_EAGER = True whatever the environment says, and an eager worker would run a
task's `self.retry()` inline at once instead of after the lease.
"""

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False

# kombu scans for messages of dead workers every interval × throttle seconds (10 × 10 by default);
# scan every second so a killed worker's job comes back one visibility timeout later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
