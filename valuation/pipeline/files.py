"""Stored files read from a local path, whatever the storage backend (local disk, S3, shared disk…)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def local_path(file: Any, *, suffix: str) -> Iterator[Path]:
    """A local path to a stored file (a Django ``FieldFile``): its own path when the storage has
    one, else a temporary copy (named with ``suffix``, which readers may go by), removed on exit."""
    try:
        path = Path(file.path)
    except NotImplementedError:  # a storage without local files
        path = None
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        with file.open("rb") as source:
            shutil.copyfileobj(source, handle)
        handle.flush()
        yield Path(handle.name)
