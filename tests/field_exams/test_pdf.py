"""The field exam report read back (pypdf): the sample, the counts, the variance, the findings and
the photos list of a hand-worked exam."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from tests.field_exams.helpers import add_lines, image_bytes
from valuation.field_exams import services
from valuation.field_exams.services import SampleRequest

D = Decimal


def test_the_exam_pdf_holds_the_sample_counts_variance_findings_and_photos(world: World):
    add_lines(world, [(1, "BOLT-M8", "100", "500.00", "5"), (2, "NUT-M8", "30", "300.00", None)])
    exam = services.plan_exam(
        facility=world.facility_x,
        by=world.controller,
        counted_on=world.upload_x.as_of,
        sample=SampleRequest(method="top_n", top_n=2),
    )
    bolt, nut = exam.lines.order_by("position")
    services.record_count(line=bolt, by=world.controller, counted_quantity=D("98"))
    services.record_count(line=nut, by=world.controller, counted_quantity=D("31"))
    services.add_finding(line=bolt, by=world.controller, kind="damaged", amount=D("10.00"), note="crushed box")
    services.add_photo(
        line=bolt,
        by=world.controller,
        image=SimpleUploadedFile("p.png", image_bytes()),
        latitude=D("45.764043"),
        longitude=D("4.835659"),
    )
    services.submit_exam(exam=exam, by=world.controller)
    client = Client()
    client.force_login(world.advisor_a)
    response = client.get(reverse("reports:exam-pdf", args=[exam.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in ("BOLT-M8", "NUT-M8", "crushed box", "45.764043", f"FE-{exam.pk}", "800.00", "20.00", "2.5"):
        assert expected in text, expected
