"""A mapping per export format (issue 11, item 5) and currencies in the file (item 8).

A client sends two exports with different header rows; each confirmed mapping is kept with its
header set and the next file of either format is read with its own, with no one choosing. A file
whose lines are in a currency other than the facility's is refused, naming the currencies.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.migration_targets import back_to
from tests.pipeline.conftest import AS_OF, GOOD_CSV, GOOD_LINES, GOOD_ROWS, HEADER
from valuation.imports.currencies import currency_code, foreign_currency_problem, line_currencies
from valuation.imports.formats import category_totals, choose_format, header_signature, merge_choices
from valuation.imports.mapping import ColumnMapping
from valuation.models import ClientMapping, StockLine, UploadStatus, ValuationRun
from valuation.pipeline import services

pytestmark = pytest.mark.django_db

# The same five lines as a spreadsheet export in English, its columns in another order.
ENGLISH_HEADER = "Item,Warehouse,Category,Description,Qty,Unit cost,Last movement"
ENGLISH_ROWS = (
    "A001,W01,MP,Acier laminé,1250.5,12.3456,2026-09-15",
    "B002,W01,En cours,Sous-ensemble,40,150.00,2026-10-01",
    "C003,W01,PF,Pompe finie,3000,2500.125,2026-10-10",
    "D004,W02,PF,Vieux stock,10,99.99,2025-01-01",
    "E005,W01,MP,Vis M6,1,0.125,2026-11-12",
)
ENGLISH_CSV = ("\n".join((ENGLISH_HEADER, *ENGLISH_ROWS)) + "\n").encode("utf-8")


def _reprocess(upload, by, mapping, capture):
    with capture(execute=True):
        services.reprocess_upload(upload=upload, by=by, mapping=mapping)
    upload.refresh_from_db()
    return upload


def test_two_formats_of_one_client_are_each_reused_automatically(world, upload_csv, django_capture_on_commit_callbacks):
    """The advisor ignores the movement date of the French export and the warehouse of the
    English one; the next file of each format is read with its own choice, not the other's."""
    french = upload_csv(world, GOOD_CSV, as_of=dt.date(2026, 11, 13))
    _reprocess(
        french,
        world.advisor_a,
        ColumnMapping(columns={"Date dernier mouvement": None}),
        django_capture_on_commit_callbacks,
    )
    assert french.status == UploadStatus.ACCEPTED and "last_movement_date" not in french.columns
    english = upload_csv(world, ENGLISH_CSV, as_of=dt.date(2026, 11, 14), name="stock.csv")
    assert english.status == UploadStatus.ACCEPTED and "warehouse" in english.columns  # nothing saved for it yet
    _reprocess(english, world.advisor_a, ColumnMapping(columns={"Warehouse": None}), django_capture_on_commit_callbacks)
    assert "warehouse" not in english.columns and "last_movement_date" in english.columns

    saved = {m.signature: m for m in ClientMapping.objects.filter(client=world.client_x)}
    assert set(saved) == {header_signature(HEADER.split(";")), header_signature(ENGLISH_HEADER.split(","))}
    assert all(m.confirmed_by == world.advisor_a and not m.mapped_by_client for m in saved.values())

    # The next files, uploaded by the client with no one mapping anything.
    next_french = upload_csv(world, GOOD_CSV.replace(b"A001", b"A009"), as_of=AS_OF)
    next_english = upload_csv(world, ENGLISH_CSV.replace(b"A001", b"A009"), as_of=AS_OF, name="stock.csv")
    assert next_french.status == next_english.status == UploadStatus.ACCEPTED
    assert "last_movement_date" not in next_french.columns and "warehouse" in next_french.columns
    assert "warehouse" not in next_english.columns and "last_movement_date" in next_english.columns
    assert next_french.column_mapping == saved[header_signature(HEADER.split(";"))]
    assert next_english.column_mapping == saved[header_signature(ENGLISH_HEADER.split(","))]
    assert StockLine.objects.filter(upload=next_english).count() == GOOD_LINES
    # The English file's date is read: D004 (no movement since 2025-01-01) is obsolete there only.
    french_rules = {r["reason"]: r for r in ValuationRun.objects.get(upload=next_french).result["eligibility"]["rules"]}
    english_rules = {
        r["reason"]: r for r in ValuationRun.objects.get(upload=next_english).result["eligibility"]["rules"]
    }
    assert french_rules["obsolete"]["status"] == "not_assessed"
    assert english_rules["obsolete"]["status"] == "applied" and english_rules["obsolete"]["lines"] == 1


def test_a_format_that_gained_a_column_keeps_its_mapping(world, upload_csv, django_capture_on_commit_callbacks):
    """An export with one more column it never mapped is the same format: its choices still apply."""
    first = upload_csv(world, GOOD_CSV, as_of=dt.date(2026, 11, 13))
    _reprocess(
        first,
        world.advisor_a,
        ColumnMapping(columns={"Date dernier mouvement": None}),
        django_capture_on_commit_callbacks,
    )
    rows = [f"{row};note {i}" for i, row in enumerate(GOOD_ROWS)]
    wider = ("\n".join((HEADER + ";Zone libre X9", *rows)) + "\n").encode("utf-8")
    later = upload_csv(world, wider, as_of=AS_OF)
    assert later.status == UploadStatus.ACCEPTED and "last_movement_date" not in later.columns
    assert later.column_mapping == first.column_mapping


def test_headers_spelt_differently_are_the_same_format(world, upload_csv, django_capture_on_commit_callbacks):
    """Case and spacing do not make another format: "QTÉ" is "Qté"."""
    first = upload_csv(world, GOOD_CSV, as_of=dt.date(2026, 11, 13))
    _reprocess(
        first,
        world.advisor_a,
        ColumnMapping(columns={"Date dernier mouvement": None}),
        django_capture_on_commit_callbacks,
    )
    shouted = GOOD_CSV.replace(b"Qt\xc3\xa9;", "QTÉ ;".encode()).replace(
        b"Date dernier mouvement", b"DATE  DERNIER MOUVEMENT"
    )
    later = upload_csv(world, shouted, as_of=AS_OF)
    assert later.status == UploadStatus.ACCEPTED and "last_movement_date" not in later.columns
    assert later.column_mapping == first.column_mapping


# ------------------------------------------------------------------------------ currencies

MIXED_HEADER = HEADER + ";Devise"
MIXED_CSV = (
    "\n".join(
        (MIXED_HEADER, f"{GOOD_ROWS[0]};EUR", f"{GOOD_ROWS[2]};USD", f"{GOOD_ROWS[4]};CNY", f"{GOOD_ROWS[1]};eur")
    )
    + "\n"
).encode("utf-8")


def test_mixed_eur_usd_cny_file_is_refused_naming_the_currencies(world, upload_csv):
    """Lines in USD and CNY with no rate in the firm's table cannot be converted to the
    facility's EUR: the file is refused, nothing is stored or valued, and the report names each
    currency without a rate, its lines and the stock date."""
    previous = services.current_run(world.facility_x)
    upload = upload_csv(world, MIXED_CSV)
    assert upload.status == UploadStatus.REJECTED
    problems = [p for p in upload.report["problems"] if p["kind"] == "no_rate"]
    assert [p["value"] for p in problems] == ["CNY", "USD"]
    assert all(p["severity"] == "error" and p["column"] == "Devise" for p in problems)
    assert "No USD→EUR rate on or before 2026-11-15 (1 line in USD)" in problems[1]["message"]
    assert not StockLine.objects.filter(upload=upload).exists()
    assert not ValuationRun.objects.filter(upload=upload).exists()
    assert services.current_run(world.facility_x) == previous


def test_currency_spellings_of_the_facility_currency_are_accepted_and_stored_as_iso(world, upload_csv):
    rows = [f"{row};{code}" for row, code in zip(GOOD_ROWS, ("EUR", "eur", "€", "Euros", ""), strict=True)]
    upload = upload_csv(world, ("\n".join((MIXED_HEADER, *rows)) + "\n").encode("utf-8"))
    assert upload.status == UploadStatus.ACCEPTED
    assert set(StockLine.objects.filter(upload=upload).values_list("currency", flat=True)) == {"EUR"}


def test_file_currency_chosen_at_upload_other_than_the_facility_s_is_refused(world, django_capture_on_commit_callbacks):
    from tests.pipeline.conftest import csv_file

    with django_capture_on_commit_callbacks(execute=True):
        upload = services.create_upload(
            client=world.client_x, by=world.client_user_x, file=csv_file(GOOD_CSV), as_of=AS_OF, currency="usd"
        )
    upload.refresh_from_db()
    assert upload.currency == "USD" and upload.status == UploadStatus.REJECTED
    problem = next(p for p in upload.report["problems"] if p["kind"] == "no_rate")
    assert problem["value"] == "USD" and "No USD→EUR rate on or before 2026-11-15 (5 lines" in problem["message"]


def test_file_currency_equal_to_the_client_s_is_stored_blank_and_accepted(world, upload_csv):
    upload = upload_csv(world)
    assert upload.currency == "" and upload.file_currency == "EUR" and upload.status == UploadStatus.ACCEPTED


# ------------------------------------------------------------------------------ pure parts


def _mapping(**columns: str | None) -> ColumnMapping:
    return ColumnMapping(columns={h.replace("_", " "): t for h, t in columns.items()})


def test_signature_ignores_order_case_and_spacing_but_not_a_renamed_column():
    assert header_signature(["Qté", "Code  article", ""]) == header_signature(["code article", "QTÉ "])
    assert header_signature(["Qté", "Code article"]) != header_signature(["Qté", "Code article", "PU"])


def test_choose_format_prefers_the_same_header_set_then_the_closest_covering_one():
    sap = _mapping(Material="sku", Plant=None, Storage_Location="warehouse", Unrestricted="quantity")
    sheet = _mapping(Ref="sku", Qty="quantity", Cost="unit_cost")
    wider_sap = _mapping(Material="sku", Plant=None, Storage_Location="warehouse", Unrestricted="quantity", Batch=None)
    # The exact header set wins over a mapping that also covers the file.
    assert choose_format(["Material", "Plant", "Storage Location", "Unrestricted"], [wider_sap, sap]) is not None
    assert choose_format(["Material", "Plant", "Storage Location", "Unrestricted"], [wider_sap, sap]).columns == {
        "Material": "sku",
        "Plant": None,
        "Storage Location": "warehouse",
        "Unrestricted": "quantity",
    }
    # One more column: still SAP, re-keyed to the file's spelling; never the spreadsheet.
    chosen = choose_format(["MATERIAL", "Plant", "Storage Location", "Unrestricted", "Valuated"], [sheet, sap])
    assert chosen is not None and chosen.columns["MATERIAL"] == "sku"
    # A file missing a mapped column of every saved format has no saved format.
    assert choose_format(["Material", "Plant", "Qty"], [sheet, sap]) is None


def test_merge_choices_gives_a_column_to_the_header_a_person_chose():
    read = _mapping(Code="sku", Famille="category", Groupe=None)
    merged = merge_choices(read, ColumnMapping(columns={"Groupe": "category"}, confirmed=True))
    assert merged.columns == {"Code": "sku", "Famille": None, "Groupe": "category"}
    assert merged.unmapped == ["Famille"] and merged.confirmed


def test_currency_codes_and_the_refusal_message():
    assert [currency_code(c, "EUR") for c in ("eur", " EUR ", "€", "Euros", "", None, "RMB", "$")] == [
        "EUR",
        "EUR",
        "EUR",
        "EUR",
        "EUR",
        "EUR",
        "CNY",
        "$",
    ]
    found = line_currencies({"EUR": 2, "usd": 1, None: 3, "人民币": 1}, "EUR")
    assert found == {"EUR": 5, "USD": 1, "CNY": 1}
    problem = foreign_currency_problem(found, "EUR", "Devise")
    assert problem is not None and problem.value == "CNY, EUR, USD"
    assert "CNY (1 line), EUR (5 lines), USD (1 line)" in problem.message
    assert foreign_currency_problem({"EUR": 9}, "EUR", None) is None


def test_preview_totals_by_category_are_exact_and_never_add_two_currencies():
    """1 250,5 × 12,3456 = 15 438,1728 -> 15 438,17; 1 × 0,125 -> 0,13 (half-up); 10 × 99,99 in
    USD stays apart from the euros."""
    import polars as pl

    lines = pl.DataFrame(
        {
            "category": ["raw_material", "raw_material", "finished_good", "finished_good"],
            "quantity": ["1250.5", "1", "10", "2"],
            "unit_cost": ["12.3456", "0.125", "99.99", "1"],
            "book_value": [None, None, None, "7.50"],
            "currency": ["EUR", None, "USD", "eur"],
        }
    )
    assert category_totals(lines, "EUR") == [
        ("finished_good", "EUR", 1, Decimal("7.50")),
        ("finished_good", "USD", 1, Decimal("999.90")),
        ("raw_material", "EUR", 2, Decimal("15438.30")),
    ]


# ------------------------------------------------------------------------------ data migration


@pytest.mark.django_db(transaction=True)
def test_per_client_mappings_become_the_mapping_of_the_last_file_s_format():
    """A mapping saved per client (only the corrected header) becomes the mapping of the header
    set of the client's latest file holding that header, the file's reading under it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    # Valuation goes back; every other app only as far as it needs (its later migrations may need
    # valuation's).
    before = back_to(executor, ("valuation", "0003_stockline_composite_pk"))
    after = back_to(executor, ("valuation", "0004_mapping_per_format"))
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    firm = old.get_model("borrowers", "Firm").objects.create(name="F")
    client = old.get_model("borrowers", "ClientCompany").objects.create(firm=firm, legal_name="C", currency="EUR")
    user = old.get_model("borrowers", "User").objects.create(email="a@f.test", role="advisor", firm=firm)
    read = {"Code article": "sku", "Famille": "category", "Groupe": None, "Qté": "quantity", "PU HT": "unit_cost"}
    upload = old.get_model("valuation", "StockUpload").objects.create(
        client=client, file="f.csv", original_name="f.csv", checksum="0" * 64, size=1, uploaded_by=user,
        as_of=dt.date(2026, 1, 31), mapping={"columns": read},
    )  # fmt: skip
    old.get_model("valuation", "ClientMapping").objects.create(
        client=client, mapping={"columns": {"Groupe": "category"}, "confirmed": True}, confirmed_by=user
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    saved = new.get_model("valuation", "ClientMapping").objects.get()
    # PostgreSQL's jsonb keeps no key order, so the headers come back as a set of the file's.
    assert sorted(saved.headers) == sorted(read) and saved.signature == header_signature(read)
    assert saved.mapping["columns"] == {
        "Code article": "sku", "Famille": None, "Groupe": "category", "Qté": "quantity", "PU HT": "unit_cost",
    }  # fmt: skip
    assert saved.confirmed_by_id == user.pk and saved.updated_at is not None
    assert new.get_model("valuation", "StockUpload").objects.get(pk=upload.pk).column_mapping_id == saved.pk
    # Back to the latest schema: the later migrations of valuation must not stay unapplied for
    # the tests that follow on this database.
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


def test_the_api_takes_a_file_currency_and_answers_the_one_used(world, django_capture_on_commit_callbacks):
    from tests.api.conftest import token_client
    from tests.api.test_uploads_and_runs import post_file

    api = token_client(world.client_user_x)
    assert post_file(api, world).json()["currency"] == "EUR"  # the client's by default
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_file(api, world, GOOD_CSV.replace(b"A001", b"A002"), currency="cny")
    assert answer.status_code == 202 and answer.json()["currency"] == "CNY"
    upload = api.get(answer.json()["status_url"]).json()
    assert upload["status"] == "rejected"
    assert any(p["kind"] == "no_rate" and p["value"] == "CNY" for p in upload["report"]["problems"])
    bad = post_file(api, world, GOOD_CSV.replace(b"A001", b"A003"), currency="E1R")
    assert bad.status_code == 400 and "currency" in bad.json()["fields"]
