"""Lines stored by binary COPY, and a file validated and stored in slices (issue 4).

The binary encoder is checked against the real PostgreSQL server (it must read back exactly the
decimals, dates, flags and texts that were sent), by hand-worked values and by hypothesis; the
slices against the whole: a file read in slices of a few rows gives the same lines, report and
figures as read at once, and a problem in its last slice leaves nothing stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valuation.engine.errors import EngineInputError, LineProblem
from valuation.engine.lines import concat_lines, prepare_lines
from valuation.imports.reader import StockFileReader, read_stock_file
from valuation.models import StockLine, UploadStatus, ValuationRun
from valuation.pipeline import pgcopy, services, storage

from .conftest import AS_OF, BOOK, FINANCING, GOOD_CSV, GOOD_LINES, HEADER, NBSP

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")

PROBE = "CREATE TEMP TABLE IF NOT EXISTS copy_probe (i int4, big int8, n2 numeric(18,2), n3 numeric(18,3), n4 numeric(18,4), d date, b boolean, t varchar(40))"  # noqa: E501


def copy_back(columns: list[pgcopy.Column]) -> list[tuple]:
    """COPY ``columns`` into a temporary table with PostgreSQL and read the rows back."""
    names = ", ".join(c.name for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(PROBE)
        cursor.execute("TRUNCATE copy_probe")
        with cursor.cursor.copy(f"COPY copy_probe ({names}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(pgcopy.HEADER)
            copy.write(pgcopy.encode(columns))
            copy.write(pgcopy.TRAILER)
        cursor.execute(f"SELECT {names} FROM copy_probe")  # noqa: S608 - our own column names
        return cursor.fetchall()


@needs_postgresql
def test_binary_copy_reads_back_hand_worked_values():
    """Cents, thousandths and ten-thousandths with their signs, the largest values each column
    holds, dates on both sides of PostgreSQL's 2000-01-01 epoch, flags and NULLs."""
    rows = copy_back(
        [
            pgcopy.Column("i", pgcopy.INT4, np.array([2, 3, 1_000_000])),
            pgcopy.Column("n2", pgcopy.NUMERIC, np.array([123456, -5, 10**18 - 1]), 2),
            pgcopy.Column("n3", pgcopy.NUMERIC, np.array([1_250_500, -12_345, 0]), 3),
            pgcopy.Column("n4", pgcopy.NUMERIC, np.array([1250, 7, 0]), 4, np.array([False, False, True])),
            pgcopy.Column("d", pgcopy.DATE, np.array([0, 10_957, 20_768]), 0, np.array([False, False, False])),
            pgcopy.Column("b", pgcopy.BOOL, np.array([True, False, False]), 0, np.array([False, False, True])),
            pgcopy.Column("t", pgcopy.TEXT, pa.array(["Acier laminé", "", "原材料 №5"], pa.large_string())),
        ]
    )
    assert rows == [
        (2, Decimal("1234.56"), Decimal("1250.500"), Decimal("0.1250"), dt.date(1970, 1, 1), True, "Acier laminé"),
        (3, Decimal("-0.05"), Decimal("-12.345"), Decimal("0.0007"), dt.date(2000, 1, 1), False, ""),
        (1_000_000, Decimal("9999999999999999.99"), Decimal("0.000"), None, dt.date(2026, 11, 11), None, "原材料 №5"),
    ]


@needs_postgresql
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(-(10**18) + 1, 10**18 - 1),
            st.integers(-(10**18) + 1, 10**18 - 1),
            st.one_of(st.none(), st.integers(-(10**18) + 1, 10**18 - 1)),
            st.one_of(st.none(), st.integers(-25_567, 84_000)),  # 1900 to 2199
            st.one_of(st.none(), st.booleans()),
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_binary_copy_round_trips_any_value_the_columns_hold(rows):
    """Whatever the engine holds (scaled integers of up to 18 digits, days, flags, NULLs, any
    printable text), PostgreSQL stores exactly that value."""
    n2, n3, n4, days, flags, texts = zip(*rows, strict=True)

    def nullable(values: tuple, dtype: type) -> tuple[np.ndarray, np.ndarray]:
        missing = np.array([v is None for v in values])
        return np.array([dtype() if v is None else v for v in values]), missing

    n4_values, n4_missing = nullable(n4, int)
    day_values, day_missing = nullable(days, int)
    flag_values, flag_missing = nullable(flags, bool)
    back = copy_back(
        [
            pgcopy.Column("big", pgcopy.INT8, np.arange(len(rows), dtype=np.int64) + 2**40),
            pgcopy.Column("n2", pgcopy.NUMERIC, np.array(n2), 2),
            pgcopy.Column("n3", pgcopy.NUMERIC, np.array(n3), 3),
            pgcopy.Column("n4", pgcopy.NUMERIC, n4_values, 4, n4_missing),
            pgcopy.Column("d", pgcopy.DATE, day_values, 0, day_missing),
            pgcopy.Column("b", pgcopy.BOOL, flag_values, 0, flag_missing),
            pgcopy.Column("t", pgcopy.TEXT, pa.array(texts, pa.large_string())),
        ]
    )
    expected = [
        (
            2**40 + i,
            Decimal(a).scaleb(-2),
            Decimal(b).scaleb(-3),
            None if c is None else Decimal(c).scaleb(-4),
            None if d is None else dt.date(1970, 1, 1) + dt.timedelta(days=d),
            e,
            f,
        )
        for i, (a, b, c, d, e, f) in enumerate(rows)
    ]
    assert back == expected


def test_numeric_beyond_eighteen_digits_is_refused_before_the_server_sees_it():
    with pytest.raises(ValueError, match="integer digits"):
        pgcopy.encode([pgcopy.Column("n2", pgcopy.NUMERIC, np.array([10**18]), 2)])


# ------------------------------------------------------------------------------------ slices

# Five good lines, a blank row, a note row, a warning (negative stock) and a total row, then an
# error in the very last line (row 11: a quantity that is not a number).
SLICED_ROWS = (
    f"A001;Acier laminé;MP;W01;1{NBSP}250,5;12,3456;15/09/2026",
    "B002;Sous-ensemble;En cours;W01;40;150,00;01/10/2026",
    ";;;;;;",
    f"C003;Pompe finie;PF;W03;3{NBSP}000;2{NBSP}500,125;10/10/2026",
    ";Remarque : stock arrêté au 15/11;;;;;",
    "D004;Vieux stock;PF;W02;10;99,99;01/01/2025",
    "E005;Vis M6;MP;W01;-1;0,125;12/11/2026",
    "Total;;;;;;",
    "F006;Écrou;MP;W02;quarante;1,00;12/11/2026",
)


def write(tmp_path, rows: tuple[str, ...], name: str = "etat.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join((HEADER, *rows)) + "\n").encode("utf-8"))
    return path


@pytest.mark.parametrize("rows_per_slice", [1, 2, 3, 4, 100])
def test_a_file_read_in_slices_gives_the_lines_and_report_of_the_whole(tmp_path, rows_per_slice):
    path = write(tmp_path, SLICED_ROWS[:-1])  # without the error: accepted, with warnings
    whole = read_stock_file(path, today=AS_OF)
    reader = StockFileReader(path, today=AS_OF)
    sliced = pd.concat(list(reader.chunks(rows_per_slice)), ignore_index=True)

    assert reader.accepted and whole.accepted
    pd.testing.assert_frame_equal(sliced, whole.lines)
    assert reader.report.to_json() == whole.report.to_json()
    assert reader.warehouses == whole.warehouses == ["W01", "W02", "W03"]
    assert whole.report.rows_read == 8
    assert whole.report.rows_skipped == 3  # blank, note and total rows
    assert sliced["row"].tolist() == [2, 3, 5, 7, 8]


@pytest.mark.parametrize("rows_per_slice", [1, 2, 4, 100])
def test_a_problem_in_the_last_slice_rejects_the_file_with_the_whole_report(tmp_path, rows_per_slice):
    path = write(tmp_path, SLICED_ROWS)
    whole = read_stock_file(path, today=AS_OF)
    reader = StockFileReader(path, today=AS_OF)
    list(reader.chunks(rows_per_slice))

    assert not reader.accepted and not whole.accepted
    assert reader.report.to_json() == whole.report.to_json()
    errors = [p for p in reader.report.to_json()["problems"] if p["severity"] == "error"]
    assert [(p["row"], p["column"], p["value"]) for p in errors] == [(10, "Qté", "quarante")]


def test_engine_slices_concatenate_to_the_whole_file():
    frame = pd.DataFrame(
        {
            "row": [2, 3, 4, 5, 6],
            "sku": ["A", "B", "C", "D", "E"],
            "category": ["raw_material", "wip", "finished_good", "finished_good", "raw_material"],
            "warehouse": ["W02", "W01", "W02", "W03", "W01"],
            "quantity": ["1250.5", "40", "3000", "10", "1"],
            "unit_cost": ["12.3456", "150", "2500.125", "99.99", "0.125"],
            "defective": pd.array([True, None, False, None, True], dtype="boolean"),
        }
    )
    whole = prepare_lines(frame, as_of=AS_OF, book_value_tolerance_cents=1)
    parts = [
        prepare_lines(frame.iloc[a:b], as_of=AS_OF, book_value_tolerance_cents=1) for a, b in ((0, 2), (2, 3), (3, 5))
    ]
    joined = concat_lines(parts)

    assert joined.book.tolist() == whole.book.tolist() == [1543817, 600000, 750037500, 99990, 13]
    assert joined.warehouse_labels == whole.warehouse_labels == ("W02", "W01", "W03")
    assert joined.warehouse.tolist() == whole.warehouse.tolist() == [0, 1, 0, 2, 1]
    assert joined.decimals["unit_cost"].values.tolist() == [123456, 1500000, 25001250, 999900, 1250]
    assert joined.flags["defective"].missing.tolist() == [False, True, False, True, False]


def test_problems_of_every_slice_come_together_in_row_order():
    first = EngineInputError([LineProblem(9, "quantity", "-1", "zero or more")])
    second = EngineInputError([LineProblem(3, "unit_cost", "x", "a number"), LineProblem(4, "sku", "", "a value")], 7)

    combined = EngineInputError.combine([first, second])

    assert [p.row for p in combined.problems] == [3, 4, 9]
    assert combined.total == 8


# ------------------------------------------------------------------------------------ pipeline


@pytest.fixture
def tiny_slices(monkeypatch):
    """Two rows per slice, one line per COPY batch: GOOD_CSV goes in three slices, five batches."""
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    monkeypatch.setattr(storage, "COPY_BATCH_ROWS", 1)


def test_upload_stored_in_slices_gives_the_hand_worked_figures(world, upload_csv, tiny_slices):
    upload = upload_csv(world)

    assert upload.status == UploadStatus.ACCEPTED
    assert upload.line_count == GOOD_LINES
    stored = StockLine.objects.filter(upload=upload).order_by("row")
    assert [s.row for s in stored] == [2, 3, 4, 5, 6]
    assert [s.book_value for s in stored] == [
        Decimal("15438.17"),
        Decimal("6000.00"),
        Decimal("7500375.00"),
        Decimal("999.90"),
        Decimal("0.13"),
    ]
    assert stored[0].quantity == Decimal("1250.500")
    assert stored[2].unit_cost == Decimal("2500.1250")
    assert stored[0].last_movement_date == dt.date(2026, 9, 15)
    assert stored[0].description == "Acier laminé"
    run = ValuationRun.objects.get(upload=upload, facility=world.facility_x)
    assert (run.book_value, run.financing) == (BOOK, FINANCING)


def test_error_in_a_later_slice_stores_nothing_and_keeps_the_previous_valuation(world, upload_csv, tiny_slices):
    rows = GOOD_CSV.decode().rstrip("\n").split("\n") + ["F006;Écrou;MP;W02;quarante;1,00;12/11/2026"]
    upload = upload_csv(world, ("\n".join(rows) + "\n").encode())

    assert upload.status == UploadStatus.REJECTED
    errors = [p for p in upload.report["problems"] if p["severity"] == "error"]
    assert [(p["row"], p["column"], p["value"]) for p in errors] == [(7, "Qté", "quarante")]
    assert not StockLine.objects.filter(upload=upload).exists()
    assert not ValuationRun.objects.filter(upload=upload).exists()
    assert services.current_run(world.facility_x) == world.run_x


def test_engine_problem_in_a_later_slice_rejects_the_whole_upload(world, upload_csv, tiny_slices):
    """The reader lets a negative quantity through as a warning; the engine refuses it, in the
    third slice, after two slices were already sent: the upload is rejected, nothing stays."""
    rows = GOOD_CSV.decode().rstrip("\n").split("\n") + ["F006;Écrou;MP;W02;-4;1,00;12/11/2026"]
    upload = upload_csv(world, ("\n".join(rows) + "\n").encode())

    assert upload.status == UploadStatus.REJECTED
    invalid = [p for p in upload.report["problems"] if p["kind"] == "invalid_value"]
    assert [(p["row"], p["column"], p["value"]) for p in invalid] == [(7, "quantity", "-4")]
    assert not StockLine.objects.filter(upload=upload).exists()
    assert not ValuationRun.objects.filter(upload=upload).exists()
