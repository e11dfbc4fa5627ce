"""Load what every request needs before the first one, then keep it out of the garbage collector.

A web process imports Django, the views and what they import (pandas, polars, pyarrow, DRF…):
some 180,000 objects that live as long as the process. CPython's full collection walks every
tracked object, so once the URLconf was loaded each one took 90 to 250 ms on this machine, and
it fell inside whichever request was running: the slowest pages of the bank portfolio and the
dossier were these pauses, not their own work. ``gc.freeze()`` moves the objects that exist now
into a permanent generation that collections ignore; the objects each request creates are
collected as before. ``python -m bench.run --only portfolio`` shows the difference.
"""

from __future__ import annotations

import gc


def load_and_freeze() -> None:
    """Import every view (the URLconf) now rather than on the first request, collect what the
    imports left behind, and freeze the rest."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - importing the URLconf imports every view module
    gc.collect()
    gc.freeze()
