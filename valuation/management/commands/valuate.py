"""python manage.py valuate STOCKFILE --terms TERMS.json [--as-of DATE] [--format json|table]"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from valuation.imports.mapping import ColumnMapping
from valuation.pipeline import cli, services


class Command(BaseCommand):
    help = "Value a stock file (CSV, XLSX, XLS, ODS) under the terms of a JSON file; print the whole result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("stock_file", type=Path)
        parser.add_argument("--terms", type=Path, required=True, help="JSON terms file (see the README)")
        parser.add_argument(
            "--as-of", type=date.fromisoformat, default=None, help="stock date, YYYY-MM-DD (default: today)"
        )
        parser.add_argument("--format", choices=["json", "table"], default="table")
        parser.add_argument("--mapping", type=Path, help="a saved column mapping (JSON) to reuse")
        parser.add_argument("--client", type=int, help="reuse the confirmed column mapping of this client id")
        parser.add_argument("--sheet", help="sheet name or 0-based index for spreadsheets")

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = None
        if options["mapping"]:
            mapping = ColumnMapping.from_json(cli.load_json(options["mapping"], "mapping"))
        sheet = options["sheet"]
        if sheet is not None and sheet.isdigit():
            sheet = int(sheet)
        if not options["mapping"] and options["client"]:
            mapping = self._client_mapping(options["client"], options["stock_file"], sheet)
        try:
            body = cli.run(
                options["stock_file"],
                terms=cli.load_json(options["terms"], "terms"),
                as_of=options["as_of"] or date.today(),
                mapping=mapping,
                sheet=sheet,
                limits=services.import_limits(),
            )
        except cli.CliError as error:
            raise CommandError(str(error)) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(cli.as_table(body))

    def _client_mapping(self, client_id: int, path: Path, sheet: str | int | None) -> ColumnMapping:
        """The client's saved mapping of this file's export format (its header row)."""
        from valuation.imports import ImportRejected, preview_stock_file
        from valuation.imports.formats import choose_format, detection_mapping
        from valuation.models import ClientMapping

        formats = [ColumnMapping.from_json(m.mapping) for m in ClientMapping.objects.filter(client_id=client_id)]
        if not formats:
            raise CommandError(f"Client {client_id} has no saved column mapping.")
        try:
            preview = preview_stock_file(
                path, mapping=detection_mapping(formats), sheet=sheet, limits=services.import_limits()
            )
        except ImportRejected as error:
            raise CommandError(error.message) from None
        mapping = choose_format(preview.headers, formats)
        if mapping is None:
            raise CommandError(f"None of client {client_id}'s saved mappings is for this file's header row.")
        return mapping
