"""The lines behind a figure: filters, sort, pages and formula-safe exports from the Parquet file."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from valuation.workspace import drilldown
from valuation.workspace.drilldown import LineFilter, line_page


def rows(page):
    return [line["row"] for line in page.rows]


def test_all_lines_with_totals_in_file_order(dossier_run):
    page = line_page(dossier_run, LineFilter())
    assert rows(page) == [2, 3, 4, 5, 6]
    assert page.count == 5
    assert page.totals["book_value"] == Decimal("83000.03")
    assert page.totals["eligible"] == Decimal("76000.13")
    assert page.totals["ineligible"] == Decimal("6999.90")
    first = page.rows[0]
    assert (first["sku"], first["description"], first["quantity"], first["book_value"]) == (
        "A001",
        "Acier laminé",
        Decimal("100.000"),
        Decimal("1000.00"),
    )


@pytest.mark.parametrize(
    ("params", "expected", "book"),
    [
        ({"reason": "wip"}, [3], "6000.00"),
        ({"reason": "obsolete"}, [5], "999.90"),
        ({"category": "finished_good"}, [4, 5], "75999.90"),
        ({"warehouse": "W02"}, [4, 5], "75999.90"),
        ({"warehouse": "W01", "status": "ineligible"}, [3], "6000.00"),
        ({"status": "eligible"}, [2, 4, 6], "76000.13"),
        ({"q": "POMPE"}, [4], "75000.00"),  # case-insensitive, on the description
        ({"q": "e005"}, [6], "0.13"),  # and on the SKU
        ({"q": "nothing like it"}, [], "0.00"),
        ({"reason": "not_a_reason"}, [], "0.00"),  # an unknown reason matches nothing
    ],
)
def test_filters_select_the_lines_behind_each_figure(dossier_run, params, expected, book):
    page = line_page(dossier_run, LineFilter.from_params(params))
    assert rows(page) == expected
    assert page.totals["book_value"] == Decimal(book)


def test_sort_by_a_whitelisted_column_either_way_and_ignore_others(dossier_run):
    assert rows(line_page(dossier_run, LineFilter.from_params({"sort": "-book_value"}))) == [4, 3, 2, 5, 6]
    assert rows(line_page(dossier_run, LineFilter.from_params({"sort": "book_value"}))) == [6, 5, 2, 3, 4]
    assert rows(line_page(dossier_run, LineFilter.from_params({"sort": "-row"}))) == [6, 5, 4, 3, 2]
    hostile = LineFilter.from_params({"sort": "sku; DROP TABLE x", "page": "-4", "status": "evil"})
    assert (hostile.sort, hostile.descending, hostile.page, hostile.status) == ("row", False, 1, "")
    assert rows(line_page(dossier_run, hostile)) == [2, 3, 4, 5, 6]


def test_pages_of_fifty_and_a_page_past_the_end_shows_the_last(dossier_run, monkeypatch):
    monkeypatch.setattr(drilldown, "PAGE_SIZE", 2)
    page = line_page(dossier_run, LineFilter.from_params({"page": "2"}))
    assert (rows(page), page.number, page.num_pages, page.start_index, page.end_index) == ([4, 5], 2, 3, 3, 4)
    last = line_page(dossier_run, LineFilter.from_params({"page": "99"}))
    assert (rows(last), last.number) == ([6], 3)


def test_run_without_a_lines_file_says_the_lines_are_not_available(world):
    page = line_page(world.run_x, LineFilter())
    assert not page.available and page.rows == []


def test_lines_page_and_htmx_partial(client, world, dossier_run):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    response = client.get(url, {"run": dossier_run.pk, "reason": "wip"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<!doctype html>" in body
    assert "B002" in body and "C003" not in body
    assert "=HYPERLINK(&quot;http://evil.test&quot;,&quot;x&quot;)" in body  # escaped on the page
    partial = client.get(url, {"run": dossier_run.pk, "category": "finished_good"}, HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "<!doctype html>" not in text and text.startswith('<div id="lines">')
    assert "C003" in text and "D004" in text and "A001" not in text


def test_bad_query_strings_never_fail(client, world, dossier_run):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    for params in ({"page": "x"}, {"sort": "'"}, {"q": "%" * 500}, {"category": "\x00"}, {"run": "abc"}):
        assert client.get(url, params).status_code in (200, 404), params
    assert client.get(url, {"run": "abc"}).status_code == 404


def _csv(client, world, run, **params):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-lines-export", args=[world.facility_x.pk, "csv"])
    response = client.get(url, {"run": run.pk, **params})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="lines-pledge-2026-2026-11-15.csv"')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_is_formula_safe_with_exact_money(client, world, dossier_run):
    table = _csv(client, world, dossier_run)
    header, *lines = table
    assert header[:3] == ["Row", "SKU", "Description"]
    by_row = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    assert by_row["3"]["Description"] == '\'=HYPERLINK("http://evil.test","x")'
    assert by_row["6"]["Description"] == "'@SUM(1+1) vis"
    assert by_row["6"]["Book value"] == "0.13"
    assert by_row["4"]["Book value"] == "75000.00"
    assert by_row["5"]["Reason"] == "Obsolete"
    assert by_row["3"]["Ineligible"] == "6000.00"
    assert sum(Decimal(line["Book value"]) for line in by_row.values()) == Decimal("83000.03")


def test_csv_export_follows_the_filter_and_sort(client, world, dossier_run):
    table = _csv(client, world, dossier_run, status="eligible", sort="-book_value")
    assert [line[0] for line in table[1:]] == ["4", "2", "6"]


def test_xlsx_export_writes_text_as_text_and_money_as_exact_numbers(client, world, dossier_run):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-lines-export", args=[world.facility_x.pk, "xlsx"])
    response = client.get(url, {"run": dossier_run.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Row", "SKU", "Description")
    row3 = next(v for v in values if v[0] == 3)
    assert row3[2] == '\'=HYPERLINK("http://evil.test","x")'
    cells = {c.coordinate: c for c in next(r for r in sheet.iter_rows() if r[0].value == 3)}
    assert all(c.data_type != "f" for c in cells.values())
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no formula anywhere
    # Decimals written as their exact digits (openpyxl drops trailing zeros): 0,13 / 75 000,00 / 999,90.
    assert "<v>0.13</v>" in xml and "<v>75000</v>" in xml and "<v>999.9</v>" in xml


def test_export_format_must_be_csv_or_xlsx(client, world, dossier_run):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-lines-export", args=[world.facility_x.pk, "exe"])
    assert client.get(url).status_code == 404


def test_large_exports_read_the_stock_text_in_one_pass_with_the_same_result(client, world, dossier_run, monkeypatch):
    by_rows = _csv(client, world, dossier_run, sort="-book_value")
    monkeypatch.setattr(drilldown, "BULK_TEXT_FROM", 1)  # as if the filter matched 20,000+ lines
    in_one_pass = _csv(client, world, dossier_run, sort="-book_value")
    assert in_one_pass == by_rows
    assert [line[0] for line in in_one_pass[1:]] == ["4", "3", "2", "5", "6"]
    assert in_one_pass[2][2] == '\'=HYPERLINK("http://evil.test","x")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_every_formula_start_is_defused_in_both_code_paths(start):
    import polars as pl

    text = f"{start}1+1"
    assert drilldown.neutralise(text) == "'" + text
    frame = pl.DataFrame({"x": [text, "plain", "a=b"]})
    assert frame.select(drilldown._neutralised(pl.col("x")).alias("x"))["x"].to_list() == ["'" + text, "plain", "a=b"]


def test_xlsx_of_more_lines_than_the_limit_sends_back_to_the_lines_with_a_message(
    client, world, dossier_run, monkeypatch
):
    monkeypatch.setattr(drilldown, "XLSX_MAX_LINES", 2)
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-lines-export", args=[world.facility_x.pk, "xlsx"])
    response = client.get(url, {"run": dossier_run.pk, "warehouse": "W01"}, follow=True)
    assert response.status_code == 200 and response.redirect_chain == []  # W01: 2 lines, within the limit
    response = client.get(url, {"run": dossier_run.pk, "status": "eligible"}, follow=True)
    lines = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    assert response.redirect_chain == [(f"{lines}?run={dossier_run.pk}&status=eligible", 302)]
    page = response.content.decode()
    assert "An XLSX export holds at most 2 lines and this selection has 3: narrow the filter or export CSV." in page
