"""Field-exam test material: small real images and a ready exam of the world's facility_x."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.base import ContentFile

from tests.conftest import World
from valuation.models import FieldExam, FieldExamFinding, FieldExamLine, FieldExamPhoto, StockLine


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (4, 3)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def add_lines(w: World, lines: list[tuple[int, str, str, str, str | None]]) -> None:
    """Stock lines of the world's file: (row, sku, quantity, book value, unit cost)."""
    StockLine.objects.bulk_create(
        StockLine(
            upload=w.upload_x,
            row=row,
            sku=sku,
            category="raw_material",
            warehouse="W01",
            quantity=Decimal(quantity),
            unit_cost=None if cost is None else Decimal(cost),
            book_value=Decimal(value),
        )
        for row, sku, quantity, value, cost in lines
    )


def make_exam(w: World) -> FieldExam:
    """One exam of facility_x by the assigned controller (made once per world): one line, one
    finding and one photo."""
    exam = FieldExam.objects.filter(facility=w.facility_x).first()
    if exam is not None:
        return exam
    exam = FieldExam.objects.create(
        facility=w.facility_x,
        upload=w.upload_x,
        run=w.run_x,
        controller=w.controller,
        counted_on=w.upload_x.as_of,
        method="top_n",
        top_n=1,
    )
    line = FieldExamLine.objects.create(
        exam=exam,
        position=1,
        row=2,
        sku="SKU-1",
        recorded_quantity=Decimal("10"),
        unit_cost=Decimal("5"),
        recorded_value=Decimal("50.00"),
    )
    FieldExamFinding.objects.create(line=line, kind="damaged", amount=Decimal("5.00"), created_by=w.controller)
    photo = FieldExamPhoto(line=line, content_type="image/png", size=10, uploaded_by=w.controller)
    photo.image.save("photo.png", ContentFile(image_bytes()), save=False)
    photo.save()
    return exam
