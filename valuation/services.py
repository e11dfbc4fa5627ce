"""Workflows on stock files and valuation runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from borrowers.models import User
    from facilities.models import Facility


def recompute_latest(*, facility: Facility, by: User) -> None:
    """Recompute the facility's latest valuation with its current terms.

    Nothing to do until the facility has an accepted stock file; the upload pipeline fills this in.
    """
    from valuation.models import UploadStatus

    latest = facility.client.uploads.filter(status=UploadStatus.ACCEPTED).first()
    if latest is None:
        return
