"""Two identical files sent at the same instant: the second is marked as the duplicate it is.

Neither request's transaction can see the other's upload, so a lookup before the insert finds
nothing for both; the fingerprint's unique constraint is what decides. The first request is held
open, uncommitted, until the second has started its own upload: without the constraint the second
would be stored as an original.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction

from tests.pipeline.conftest import GOOD_CSV
from valuation.models import StockUpload, UploadFingerprint
from valuation.pipeline import services

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two transactions at once need a server database"
)

AS_OF = dt.date(2026, 11, 30)


def _send(world, name: str) -> StockUpload:
    return services.create_upload(
        client=world.client_x, by=world.client_user_x, file=SimpleUploadedFile(name, GOOD_CSV), as_of=AS_OF
    )


@pytest.mark.django_db(transaction=True)
def test_identical_files_at_the_same_instant_are_one_original_and_one_duplicate(world):
    first_stored, second_started = threading.Event(), threading.Event()
    uploads: dict[str, StockUpload] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                uploads["first"] = _send(world, "stock.csv")
                first_stored.set()
                second_started.wait(10)
                time.sleep(0.5)  # the second request is now inside its own transaction
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_stored.wait(10)
            second_started.set()
            uploads["second"] = _send(world, "stock-copy.csv")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    original, copy = StockUpload.objects.get(pk=uploads["first"].pk), StockUpload.objects.get(pk=uploads["second"].pk)
    assert original.duplicate_of is None
    assert copy.duplicate_of == original
    assert UploadFingerprint.objects.get(client=world.client_x, checksum=original.checksum).first_upload == original


@pytest.mark.django_db
def test_deleting_the_first_upload_lets_the_next_identical_file_be_an_original(world):
    first = _send(world, "stock.csv")
    first.delete()
    again = _send(world, "stock.csv")
    assert again.duplicate_of is None
