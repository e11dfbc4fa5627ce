"""Workspace fixtures on top of the shared `world`: a firm portfolio large enough to show N+1
queries (60 clients × 3 facilities × 3 stock files), and small builders for uploads and runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from borrowers.models import ClientCompany
from facilities.models import Facility, Structure
from tests.pipeline.conftest import upload_csv  # noqa: F401 - real uploads, for the mapping page tests
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun

TODAY = dt.date(2026, 11, 21)


def make_upload(
    client: ClientCompany, by, *, as_of: dt.date, status: str = UploadStatus.ACCEPTED, **fields
) -> StockUpload:
    upload = StockUpload(
        client=client,
        original_name=fields.pop("original_name", f"stock-{as_of}.csv"),
        checksum=fields.pop("checksum", f"{client.pk:08d}{as_of:%Y%m%d}".ljust(64, "0")),
        size=100,
        uploaded_by=by,
        as_of=as_of,
        status=status,
        **fields,
    )
    upload.file.name = f"stock-files/{client.pk}/{upload.original_name}"
    upload.save()
    return upload


def pledge_result(committed: Decimal | None) -> dict:
    """The part of a stored result the dashboard reads (financing.pledge.committed_guarantee)."""
    return {"financing": {"pledge": {"committed_guarantee": None if committed is None else str(committed)}}}


def make_run(facility: Facility, upload: StockUpload, *, committed: Decimal | None = None, **figures) -> ValuationRun:
    return ValuationRun.objects.create(
        facility=facility,
        upload=upload,
        as_of=upload.as_of,
        terms_hash=f"t{upload.pk}",
        status=figures.pop("status", RunStatus.DONE),
        currency=facility.currency,
        result=pledge_result(committed) if facility.is_pledge else {"financing": {"pledge": None}},
        finished_at=figures.pop("finished_at", None),
        **figures,
    )


@pytest.fixture
def portfolio(world):
    """60 more clients of firm A, each with 3 facilities and 3 accepted stock files valued under
    each facility (9 runs a client), built in bulk."""
    clients = ClientCompany.objects.bulk_create(
        ClientCompany(firm=world.firm_a, legal_name=f"Client {i:02d}", currency="EUR") for i in range(60)
    )
    structures = [Structure.BORROWING_BASE, Structure.PLEDGE_WITH_DISPOSSESSION, Structure.PLEDGE_WITHOUT_DISPOSSESSION]
    facilities = Facility.objects.bulk_create(
        Facility(client=c, lender=world.lender_a, name=f"F{j}", structure=structures[j])
        for c in clients
        for j in range(3)
    )
    uploads = StockUpload.objects.bulk_create(
        StockUpload(
            client=c,
            file=f"stock-files/{c.pk}/s{k}.csv",
            original_name=f"s{k}.csv",
            checksum=f"{c.pk:010d}{k}".ljust(64, "0"),
            size=10,
            uploaded_by=world.advisor_a,
            as_of=dt.date(2026, 8 + k, 28),
            status=UploadStatus.ACCEPTED,
        )
        for c in clients
        for k in range(3)
    )
    by_client: dict[int, list[StockUpload]] = {}
    for u in uploads:
        by_client.setdefault(u.client_id, []).append(u)
    runs = [
        ValuationRun(
            facility=f,
            upload=u,
            as_of=u.as_of,
            terms_hash="t",
            status=RunStatus.DONE,
            book_value=Decimal("1000000.00") * (k + 1),
            eligible_value=Decimal("600000.00") * (k + 1),
            liquidation_value=Decimal("400000.00") * (k + 1),
            financing=Decimal("300000.00") * (k + 1),
            availability=Decimal("50000.00"),
            result=pledge_result(Decimal("500000.00")) if f.is_pledge else {},
        )
        for f in facilities
        for k, u in enumerate(by_client[f.client_id])
    ]
    ValuationRun.objects.bulk_create(runs)
    return clients
