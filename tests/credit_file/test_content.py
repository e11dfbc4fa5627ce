"""What a credit-file upload really is (facilities/credit_content.py, credit_file.check_file):
the type by content, never by name; zip safety for Office files; the size cap."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from facilities import credit_file
from facilities.credit_content import ContentRefused, DocumentType, document_type

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def office(main_part: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(main_part, '<?xml version="1.0"?><root/>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def kind_of(name: str, data: bytes) -> DocumentType:
    return document_type(name, io.BytesIO(data))


def refusal(name: str, data: bytes) -> ContentRefused:
    with pytest.raises(ContentRefused) as caught:
        kind_of(name, data)
    return caught.value


def test_the_accepted_types_are_recognised_by_their_bytes():
    assert kind_of("deed.PDF", PDF) == DocumentType.PDF
    assert kind_of("scan.png", PNG) == DocumentType.PNG
    assert kind_of("scan.jpeg", JPEG) == DocumentType.JPEG
    assert kind_of("scan.jpg", JPEG) == DocumentType.JPEG
    assert kind_of("accounts.xlsx", office("xl/workbook.xml")) == DocumentType.XLSX
    assert kind_of("waiver.docx", office("word/document.xml")) == DocumentType.DOCX
    # a printer-settings part is not code
    assert kind_of("a.xlsx", office("xl/workbook.xml", {"xl/printerSettings/p1.bin": b"\x00"})) == DocumentType.XLSX


def test_an_html_page_renamed_pdf_is_refused_as_html():
    assert refusal("deed.pdf", b"<!DOCTYPE html><html><body>pay here</body></html>").code == "html"
    assert refusal("deed.pdf", b"  \n<script>alert(1)</script>").code == "html"


def test_svg_programs_and_empty_files_are_refused_whatever_their_name():
    assert refusal("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>').code == "svg"
    assert refusal("deed.pdf", b"MZ\x90\x00\x03\x00\x00\x00").code == "program"
    assert refusal("deed.pdf", b"\x7fELF\x02\x01\x01").code == "program"
    assert refusal("deed.pdf", b"").code == "empty"
    assert refusal("setup.exe", PDF).code == "extension"
    assert refusal("page.html", PDF).code == "extension"
    assert refusal("noextension", PDF).values == {"extension": "—"}


def test_content_that_is_not_what_the_extension_says_is_refused_naming_both():
    assert refusal("scan.pdf", PNG).values == {"announced": "pdf", "found": "png"}
    assert refusal("deed.png", PDF).values == {"announced": "png", "found": "pdf"}
    assert refusal("accounts.xlsx", PDF).values == {"announced": "xlsx", "found": "pdf"}
    assert refusal("waiver.docx", office("xl/workbook.xml")).values == {"announced": "docx", "found": "xlsx"}
    assert refusal("notes.pdf", b"just some text").values == {"announced": "pdf", "found": "unknown"}


def test_macros_and_embedded_objects_are_refused():
    assert refusal("a.xlsx", office("xl/workbook.xml", {"xl/vbaProject.bin": b"\x00"})).code == "macros"
    assert refusal("a.docx", office("word/document.xml", {"word/embeddings/oleObject1.bin": b"\x00"})).code == "macros"


def test_a_zip_bomb_is_refused_before_anything_inflates_it():
    # 20 MB of zeros deflate to ~20 KB: a ratio near 1,000 (documents allow 100).
    bomb = office("xl/workbook.xml", {"xl/media/big.bin": b"\x00" * (20 * 1024 * 1024)})
    refused = refusal("accounts.xlsx", bomb)
    assert refused.code == "unsafe_zip"
    assert "zip bomb" in refused.values["reason"]


def test_xml_entities_in_an_office_file_are_refused():
    evil = office("word/document.xml", {"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'})
    assert refusal("a.docx", evil).code == "unsafe_zip"


def test_check_file_words_the_refusal_and_hashes_what_it_accepts():
    upload = SimpleUploadedFile("deed.pdf", PDF)
    checked = credit_file.check_file(upload)
    # SHA-256 as any tool computes it (sha256sum): the checksum is the standard one.
    import hashlib

    assert checked.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (checked.size, checked.content_type) == (len(PDF), "application/pdf")
    with pytest.raises(ValidationError) as caught:
        credit_file.check_file(SimpleUploadedFile("deed.pdf", b"<html><body>x</body></html>"))
    assert "web page" in caught.value.messages[0] and "deed.pdf" in caught.value.messages[0]


def test_an_oversized_file_is_refused_by_the_size_cap(settings):
    settings.CREDIT_FILE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        credit_file.check_file(SimpleUploadedFile("deed.pdf", PDF + b"\x00" * 1024))
    assert caught.value.code == "too_large"
    assert "at most 1.0" in caught.value.messages[0]
    credit_file.check_file(SimpleUploadedFile("deed.pdf", PDF + b"\x00" * (1024 - len(PDF))))  # exactly the cap
