"""Workflows on stock files and valuation runs: upload, process, recompute.

The Celery tasks in `tasks.py` only load an id and call these functions. Processing is idempotent:
a job is claimed with a conditional UPDATE (a lease), and everything it writes (lines, runs, the
upload's outcome) is committed in one transaction, so the previous valuation stays current until a
new one is complete, and a re-run after a crash leaves exactly one set of lines and one run.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import hashlib
import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from borrowers.common import audit, queueing
from borrowers.common.errors import DomainError
from borrowers.common.notify import firm_advisors, notify
from borrowers.models import ClientCompany, NotificationKind, User
from facilities import calendar_services
from facilities.models import DeliverableKind, Facility
from facilities.terms import engine_terms, engine_terms_dict
from valuation.engine import ENGINE_VERSION
from valuation.engine.errors import EngineInputError, TermsError
from valuation.engine.fx import ConvertedTooLarge, NoRateError, RateTable, rates_used, valuate_converted
from valuation.engine.history_figures import history_figures
from valuation.engine.jumps import Jump, find_jumps
from valuation.engine.lines import Lines, concat_lines, prepare_lines
from valuation.engine.serialize import result_to_dict
from valuation.imports.currencies import foreign_currency_problem, line_currencies
from valuation.imports.formats import (
    category_totals,
    column_samples,
    header_signature,
    merge_choices,
    preview_lines,
)
from valuation.imports.limits import ImportLimits
from valuation.imports.mapping import ColumnMapping
from valuation.imports.reader import StockFileReader, preview_stock_file
from valuation.imports.report import ImportRejected
from valuation.models import ClientMapping, RunStatus, StockUpload, UploadFingerprint, UploadStatus, ValuationRun
from valuation.pipeline import alerting, covenants
from valuation.pipeline.files import local_path
from valuation.pipeline.storage import delete_lines, line_writer
from valuation.rates.services import max_rate_age_days, rate_table

log = logging.getLogger("stockpledge.valuation")

MAX_ATTEMPTS = 3
# Rows validated and sent to the database at a time: the server stores one slice while the next is
# validated; fewer, larger slices would leave it idle longer at the start (bench/README.md).
CHUNK_ROWS = 200_000
# Facilities are valued two at a time (the bench's two in parallel): one after the other, they were
# on the pipeline's critical path (~1 s more at a million lines, bench/README.md); more threads than
# the machine's two cores would only add the memory of more valuations under way at once.
VALUING_THREADS = 2


def lease_seconds() -> int:
    return int(getattr(settings, "JOB_LEASE_SECONDS", 120))


def import_limits() -> ImportLimits:
    return ImportLimits(max_bytes=settings.STOCK_FILE_MAX_BYTES, max_rows=settings.STOCK_FILE_MAX_ROWS)


def terms_hash(terms: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(terms, sort_keys=True, default=str).encode()).hexdigest()


def inputs_digest(*, upload: StockUpload, terms: dict[str, Any], identity: str = "") -> str:
    """SHA-256 of every input a run reads: the engine's version, the terms (facility terms,
    client facts, sites, categories, appraisal: all in the terms dict) and the file as read (its
    bytes' checksum, sheet, currency and column mapping). Two runs with the same digest must give
    the same figures."""
    inputs = {
        "engine": ENGINE_VERSION,
        "terms": terms_hash(terms),
        "file": upload.checksum,
        "sheet": upload.sheet,
        "currency": upload.file_currency,
        "mapping": (upload.mapping or {}).get("columns") or {},
        "as_of": upload.as_of.isoformat(),
        # The run's identity: its currency and the exchange rates that convert its lines.
        "run": identity,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def run_hash(terms: dict[str, Any], currency: str, rates: list[str] | tuple[str, ...] = ()) -> str:
    """A run's identity for one upload: its terms, the currency its lines are converted into, the
    rates that convert them (``rates_key``) and the engine's version. Any of them changing values
    the file again, as a new run, instead of keeping the old one as if it still held."""
    data: dict[str, Any] = {**terms, "_valued_in": currency, "_engine": ENGINE_VERSION}
    if rates:
        data["_rates"] = list(rates)
    return terms_hash(data)


def run_identity(*, facility: Facility, upload: StockUpload, terms: dict[str, Any]) -> str:
    """The identity of the facility's run of ``upload`` under ``terms``: one place for the
    pipeline, a recompute and the "are these figures current?" check to agree on."""
    return run_hash(terms, facility.currency, rates_key(upload=upload, currency=facility.currency))


def _run_for(*, facility: Facility, upload: StockUpload, terms: dict[str, Any]) -> tuple[ValuationRun, bool]:
    """The run of ``upload`` under ``terms`` (made, queued, when there is none yet)."""
    return ValuationRun.objects.get_or_create(
        facility=facility,
        upload=upload,
        terms_hash=run_identity(facility=facility, upload=upload, terms=terms),
        defaults={"as_of": upload.as_of, "terms": terms, "currency": facility.currency},
    )


def rates_key(*, upload: StockUpload, currency: str, table: RateTable | None = None) -> list[str]:
    """The exact factors that convert each of the file's other currencies into ``currency`` at
    its stock date, as the firm's rate table quotes them now ("USD:4/5"; "USD:none" without one)."""
    foreign = [code for code in (upload.report or {}).get("currencies") or [] if code != currency]
    if not foreign:
        return []
    if table is None:
        table = rate_table(firm_id=upload.client.firm_id, as_of=upload.as_of)
    key = []
    for code in sorted(foreign):
        quote = table.quote(code, currency, upload.as_of)
        key.append(f"{code}:{quote.factor.numerator}/{quote.factor.denominator}" if quote else f"{code}:none")
    return key


# ------------------------------------------------------------------------------------ uploading


@transaction.atomic
def create_upload(
    *, client: ClientCompany, by: User, file: UploadedFile, as_of: date, sheet: str = "", currency: str = ""
) -> StockUpload:
    """Store the original file with its checksum, size, uploader and time; process it after commit.

    ``currency`` is the file's currency (of lines that state none); blank means the client's.
    """
    if file.size is None or file.size == 0:
        raise DomainError(_("The file is empty."), field="file")
    if file.size > settings.STOCK_FILE_MAX_BYTES:
        raise DomainError(
            _("The file is %(size)s MB; at most %(max)s MB can be uploaded.")
            % {"size": round(file.size / 1e6, 1), "max": round(settings.STOCK_FILE_MAX_BYTES / 1e6)},
            field="file",
        )
    if as_of > timezone.localdate():
        raise DomainError(_("The stock date cannot be in the future."), field="as_of")
    currency = currency.strip().upper()
    if currency and not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise DomainError(_("Give the currency as a three-letter ISO 4217 code, such as EUR."), field="currency")
    _check_upload_rate(by)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    checksum = digest.hexdigest()
    name = get_valid_filename(Path(file.name or "stock-file").name)[-200:] or "stock-file"
    upload = StockUpload(
        client=client,
        original_name=name,
        checksum=checksum,
        size=file.size,
        uploaded_by=by,
        as_of=as_of,
        sheet=sheet.strip(),
        currency=currency if currency != client.currency else "",
    )
    file.seek(0)
    upload.file.save(name, file, save=False)
    upload.save()
    _mark_if_duplicate(upload)
    audit.record(actor=by, action="upload", instance=upload, after=audit.snapshot(upload, exclude=("report",)))
    enqueue_upload(upload)
    return upload


def _mark_if_duplicate(upload: StockUpload) -> None:
    """Point the upload at the first upload of the same bytes for this client, if there is one.

    The fingerprint's unique constraint decides, not a prior lookup: of two identical files sent
    at the same instant, the second's insert waits for the first's transaction and then fails, so
    it is marked as the duplicate it is."""
    try:
        with transaction.atomic():
            UploadFingerprint.objects.create(client=upload.client, checksum=upload.checksum, first_upload=upload)
    except IntegrityError:
        first = UploadFingerprint.objects.get(client=upload.client, checksum=upload.checksum).first_upload
        upload.duplicate_of = first
        StockUpload.objects.filter(pk=upload.pk).update(duplicate_of=first)


def _check_upload_rate(user: User) -> None:
    """At most STOCK_UPLOADS_PER_HOUR uploads per person in any hour, counted from the stored
    uploads (so every web process sees the same count): a script gone wrong or a hostile user
    cannot fill the storage and the queue. The message says when the next upload is possible."""
    limit = int(settings.STOCK_UPLOADS_PER_HOUR)
    if limit <= 0:
        return
    since = timezone.now() - timedelta(hours=1)
    recent = StockUpload.objects.filter(uploaded_by=user, uploaded_at__gte=since).order_by("-uploaded_at")
    times = list(recent.values_list("uploaded_at", flat=True)[:limit])
    if len(times) < limit:
        return
    wait = max(1, int((times[-1] + timedelta(hours=1) - timezone.now()).total_seconds()) + 1)
    raise DomainError(
        _("You have sent %(limit)s stock files in the last hour, the most allowed. Try again in %(minutes)s minutes.")
        % {"limit": limit, "minutes": max(1, round(wait / 60))},
        field="file",
        code="throttled",
        retry_after=wait,
    )


def enqueue_upload(upload: StockUpload) -> None:
    from valuation.pipeline import tasks

    upload_id = upload.pk
    queueing.send_on_commit(tasks.process_upload, upload_id)


@transaction.atomic
def reprocess_upload(*, upload: StockUpload, by: User, mapping: ColumnMapping | None = None) -> StockUpload:
    """Process an upload again (after someone corrected the mapping, or after a failure).

    A mapping given is saved for the upload's export format (``save_format_mapping``): confirmed
    when an advisor gives it, "mapped by the client" when the client's own user does.
    """
    before = {"status": upload.status}
    if mapping is not None:
        save_format_mapping(upload=upload, by=by, mapping=mapping)
    StockUpload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.QUEUED, stage="", failure_reason="", attempts=0, claimed_at=None
    )
    upload.refresh_from_db()
    if mapping is None:
        # A mapping given is audited as saved (above); a plain re-run, as such.
        audit.record(
            actor=by, action="reprocess-upload", instance=upload, before=before, after={"status": upload.status}
        )
    enqueue_upload(upload)
    return upload


def columns_to_map(upload: StockUpload) -> dict[str, str | None]:
    """The file's columns as read (header -> the canonical field it feeds, None: ignored), or
    nothing while there is nothing to map: the file is being processed, or none was read."""
    if upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING):
        return {}
    return dict((upload.mapping or {}).get("columns") or {})


def mapping_samples(upload: StockUpload) -> dict[str, list[str]]:
    """Each column's first values (by header), shown under it on the mapping page and in the API."""
    sample = upload_sample(upload)
    headers = sample.get("headers") or []
    return dict(zip(headers, column_samples(headers, sample.get("rows") or []), strict=False))


@transaction.atomic
def apply_mapping(*, upload: StockUpload, by: User, columns: dict[str, str | None]) -> bool:
    """Use the mapping someone chose for the file's columns (validated by ``MappingForm``): saved
    for the export format and the file processed again with it. When an advisor keeps unchanged
    the client's mapping an accepted file was read with, it is only confirmed (the file was read
    with it already). True when the file is processed again."""
    read = (upload.mapping or {}).get("columns") or {}
    saved = upload.column_mapping
    unchanged = columns == read and upload.status == UploadStatus.ACCEPTED
    if getattr(by, "is_advisor", False) and unchanged and saved is not None and saved.mapped_by_client:
        confirm_format_mapping(upload=upload, by=by)
        return False
    aliases = dict((upload.mapping or {}).get("category_aliases") or {})
    reprocess_upload(upload=upload, by=by, mapping=ColumnMapping(columns=columns, category_aliases=aliases))
    return True


def save_format_mapping(*, upload: StockUpload, by: User, mapping: ColumnMapping) -> ClientMapping:
    """Save ``mapping`` (all of the file's headers, or only those someone corrected) as the
    mapping of the upload's export format, keyed by the file's header set; the client's next
    files with these headers are read with it.

    An advisor's mapping is confirmed; a client user's is proposed ("mapped by the client") and
    used at once, until an advisor confirms it. Audited either way.
    """
    read = ColumnMapping.from_json(upload.mapping) if (upload.mapping or {}).get("columns") else ColumnMapping()
    advisor = bool(getattr(by, "is_advisor", False))
    merged = merge_choices(read, dataclasses.replace(mapping, confirmed=advisor))
    headers = list(merged.columns)
    signature = header_signature(headers)
    saved, created = ClientMapping.objects.select_for_update().get_or_create(
        client=upload.client,
        signature=signature,
        defaults={"headers": headers, "mapping": merged.to_json(), "proposed_by": None if advisor else by},
    )
    before = None if created else {"mapping": saved.mapping, "confirmed_by": saved.confirmed_by_id}
    saved.headers = headers
    saved.mapping = merged.to_json()
    if advisor:
        saved.confirmed_by, saved.confirmed_at = by, timezone.now()
    else:
        saved.proposed_by, saved.confirmed_by, saved.confirmed_at = by, None, None
    saved.save()
    StockUpload.objects.filter(pk=upload.pk).update(column_mapping=saved)
    upload.column_mapping = saved
    action = "confirm-mapping" if advisor else "propose-mapping"
    audit.record(actor=by, action=action, instance=upload, before=before, after=saved.mapping)
    return saved


@transaction.atomic
def confirm_format_mapping(*, upload: StockUpload, by: User) -> ClientMapping:
    """An advisor confirms, unchanged, the mapping the client proposed for this file's format:
    nothing is processed again (the file was read with it already)."""
    if not getattr(by, "is_advisor", False):
        raise DomainError(_("Only an advisor can confirm a mapping."))
    saved = ClientMapping.objects.select_for_update().filter(pk=upload.column_mapping_id).first()
    if saved is None:
        raise DomainError(_("This file was read without a saved mapping: save one first."))
    saved.confirmed_by, saved.confirmed_at = by, timezone.now()
    saved.mapping = dict(saved.mapping, confirmed=True)
    saved.save()
    upload.column_mapping = saved
    audit.record(
        actor=by,
        action="confirm-mapping",
        instance=upload,
        before={"proposed_by": saved.proposed_by_id},
        after=saved.mapping,
    )
    return saved


def client_formats(client: ClientCompany) -> list[tuple[ClientMapping, ColumnMapping]]:
    """The client's saved mappings, one per export format, latest first (the reader picks the
    one made for a file's headers). A mapping naming a column that no longer exists is left out."""
    formats = []
    for saved in ClientMapping.objects.filter(client=client).order_by("-updated_at", "-id"):
        try:
            formats.append((saved, ColumnMapping.from_json(saved.mapping)))
        except ValueError:
            log.warning("saved mapping no longer valid", extra={"object": f"clientmapping:{saved.pk}"})
    return formats


SAMPLE_CELL_CHARS = 200


def upload_sample(upload: StockUpload) -> dict[str, Any]:
    """The file's header row and first rows as read (``preview_stock_file``), kept on the upload
    once read: the mapping page shows them under each column. Empty when the file cannot be read
    (the validation report says why)."""
    if upload.sample:
        return upload.sample
    read = (upload.mapping or {}).get("columns")
    detect = ColumnMapping.from_json(upload.mapping) if read else None
    try:
        with local_path(upload.file, suffix=Path(upload.original_name).suffix) as path:
            preview = preview_stock_file(
                path, filename=upload.original_name, mapping=detect, sheet=upload.sheet or None, limits=import_limits()
            )
    except (ImportRejected, OSError, ValueError):
        return {}
    sample = {
        "headers": preview.headers,
        "rows": [[None if c is None else str(c)[:SAMPLE_CELL_CHARS] for c in row] for row in preview.sample_rows],
        "detected": preview.detected,
    }
    StockUpload.objects.filter(pk=upload.pk).update(sample=sample)
    upload.sample = sample
    return sample


@dataclasses.dataclass(frozen=True)
class MappingPreview:
    """The first lines of a file as a mapping would read them, before any processing."""

    columns: list[str]
    rows: list[dict[str, Any]]
    totals: list[tuple[str, str, int, Any]]
    problems: list[dict[str, Any]]
    rows_skipped: int


def mapping_preview(*, upload: StockUpload, mapping: ColumnMapping) -> MappingPreview | None:
    """Read the upload's first rows under ``mapping`` (the same validation as processing, on
    those rows only), with their totals by category; None when the file has no sample."""
    sample = upload_sample(upload)
    if not sample.get("headers"):
        return None
    lines, report = preview_lines(
        sample["headers"],
        sample["rows"],
        mapping,
        detected=sample.get("detected") or {},
        category_aliases=firm_category_aliases(upload.client),
        today=upload.as_of,
    )
    columns = [c for c in (lines.columns if lines is not None else []) if c != "row"]
    return MappingPreview(
        columns=columns,
        rows=list(lines.iter_rows(named=True)) if lines is not None else [],
        totals=category_totals(lines, upload.file_currency) if lines is not None else [],
        problems=report.to_json()["problems"],
        rows_skipped=report.rows_skipped,
    )


def _format_used(
    formats: list[tuple[ClientMapping, ColumnMapping]], used: ColumnMapping | None
) -> ClientMapping | None:
    """The saved mapping the reader chose (it reads a copy re-keyed to the file's spellings,
    which keeps the header set, hence the signature)."""
    if used is None:
        return None
    signature = header_signature(used.columns)
    return next((saved for saved, mapping in formats if header_signature(mapping.columns) == signature), None)


def firm_category_aliases(client: ClientCompany) -> dict[str, str]:
    """The firm's own category codes and names (e.g. EC → wip), recognised in its clients' files."""
    from borrowers.models import StockCategory

    aliases: dict[str, str] = {}
    for code, name, base in StockCategory.objects.filter(firm_id=client.firm_id).values_list(
        "code", "name", "base_category"
    ):
        aliases[code] = base
        aliases[name] = base
    return aliases


def _engine_problems_report(error: EngineInputError, base: dict[str, Any]) -> dict[str, Any]:
    problems = [
        {
            "severity": "error",
            "kind": "invalid_value",
            "row": p.row,
            "column": p.column,
            "field": p.column,
            "value": p.value,
            "expected": p.expected,
            "message": str(p),
        }
        for p in error.problems
    ]
    report = dict(base)
    report["accepted"] = False
    report["problems"] = problems + [p for p in base.get("problems", []) if p.get("severity") != "error"]
    counts = dict(report.get("counts", {}))
    counts["invalid_value"] = counts.get("invalid_value", 0) + error.total
    report["counts"] = counts
    return report


def process_upload(*, upload_id: int) -> None:
    """Parse, validate, store the lines and value them for each of the client's facilities.

    The file is validated in slices of ``CHUNK_ROWS`` rows, and each slice is sent to the
    database as soon as the engine has checked it (PostgreSQL's server process stores one slice
    on the other core while the next is validated); everything is written in one transaction,
    rolled back if any later slice rejects the file.
    """
    if not StockUpload.objects.claim_job(upload_id, lease_seconds=lease_seconds()):
        return  # done, rejected, failed, or deleted: nothing to do
    upload = StockUpload.objects.select_related("client").get(pk=upload_id)
    if upload.attempts > MAX_ATTEMPTS:
        _finish_upload(
            upload,
            UploadStatus.FAILED,
            reason=_("Processing stopped after %(n)s attempts. The team has been told; you may upload the file again.")
            % {"n": MAX_ATTEMPTS},
        )
        log.error("upload failed too often", extra={"object": f"upload:{upload_id}", "outcome": "failed"})
        return

    def progress(stage: str, percent: int) -> None:
        StockUpload.objects.heartbeat(upload_id, stage=stage)

    formats = client_formats(upload.client)
    with local_path(upload.file, suffix=Path(upload.original_name).suffix) as path:
        reader = StockFileReader(
            path,
            filename=upload.original_name,
            formats=[mapping for _saved, mapping in formats],
            sheet=upload.sheet or None,
            category_aliases=firm_category_aliases(upload.client),
            limits=import_limits(),
            today=upload.as_of,
            progress=progress,
        )
    upload.rows_read = reader.rows
    upload.column_mapping = _format_used(formats, reader.format)
    facilities = list(Facility.objects.filter(client=upload.client).select_related("client"))
    # Each facility's terms, read now: the connection is busy with the COPY from here on.
    # The rates too: each line in another currency is converted at the rate for the stock date.
    table = rate_table(firm_id=upload.client.firm_id, as_of=upload.as_of)
    runs = [_value(facility=f, upload=upload, table=table) for f in facilities]
    currencies = sorted({f.currency for f in facilities}) or [upload.client.currency]
    # From here the one transaction checks, stores and values the slices: no stage until done.
    StockUpload.objects.heartbeat(upload_id, stage="storing", rows_read=reader.rows)
    try:
        valuing = ThreadPoolExecutor(max_workers=max(1, min(len(runs), VALUING_THREADS)), thread_name_prefix="valuing")
        with valuing as pool, transaction.atomic():
            # Fence: if our lease lapsed and another worker has claimed the job since (attempts
            # moved on) or finished it, write nothing. The row lock also serialises two workers
            # finishing at once, whose DELETE + COPY would otherwise interleave.
            still_ours = StockUpload.objects.select_for_update().filter(
                pk=upload_id, status=UploadStatus.RUNNING, attempts=upload.attempts
            )
            if not list(still_ours.values_list("pk", flat=True)):
                raise _LeaseLost
            count, columns, computed, found = _store_and_value(upload, reader, runs, pool, currencies, table)
            # Before the runs: their inputs digest reads the mapping, their jumps the line count,
            # their identity the currencies (the rates that convert them, ``rates_key``).
            upload.line_count = count
            upload.columns = columns
            upload.mapping = reader.mapping.to_json()
            upload.warehouses = reader.warehouses
            upload.report = {**reader.report.to_json(), "currencies": found}
            for run_fields in computed:
                _save_run(upload=upload, **run_fields)
            _finish_upload(upload, UploadStatus.ACCEPTED)
            transaction.on_commit(partial(_close_stock_file_periods, upload, facilities))
            notify_upload_outcome(upload)
    except _Rejected as rejected:
        upload.mapping = reader.mapping.to_json()
        upload.warehouses = reader.warehouses
        upload.report = rejected.report
        _finish_upload(upload, UploadStatus.REJECTED)
        notify_upload_outcome(upload)
        return
    except _LeaseLost:
        log.warning("lease lost; another worker owns the upload", extra={"object": f"upload:{upload_id}"})
        return
    finally:
        del reader
        release_memory()
    log.info("upload processed", extra={"object": f"upload:{upload_id}", "outcome": "accepted", "lines": count})


class _Rejected(Exception):
    """The file (or the engine) rejected the lines: roll back what was stored, keep the report."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report


class _LeaseLost(Exception):
    pass


def _store_and_value(
    upload: StockUpload,
    reader: StockFileReader,
    runs: list[dict[str, Any]],
    pool: ThreadPoolExecutor,
    currencies: list[str],
    table: RateTable | None = None,
) -> tuple[int, list[str], list[dict[str, Any]], list[str]]:
    """Stream the accepted slices to the database, then value the whole file in ``pool`` while
    the server finishes storing; return (line count, columns, each run's fields, the currencies of
    the lines).

    Raises ``_Rejected`` (after validating every slice, so the report is whole) when the reader or
    the engine rejects a line, or when lines are in a currency other than ``currencies`` (each
    facility's) that no rate of ``table`` converts on or before the stock date: the caller's
    transaction then drops what was sent.
    """
    delete_lines(upload.pk)
    parts: list[tuple[pd.DataFrame, Lines]] = []
    engine_errors: list[EngineInputError] = []
    found: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        writer = None
        for chunk in reader.chunks(CHUNK_ROWS):
            _count_currencies(chunk, upload.file_currency, found)
            try:
                prepared = prepare_lines(chunk, as_of=upload.as_of, book_value_tolerance_cents=1)
            except EngineInputError as error:
                engine_errors.append(error)
                continue
            if engine_errors:
                continue  # rejected already: only the rest of the report is wanted
            if writer is None:
                writer = stack.enter_context(line_writer(upload.pk, chunk.columns))
            writer.write(chunk, prepared)
            parts.append((chunk, prepared))
        if table is None:
            _check_currencies(reader, found, currencies)
        else:
            _check_rates(reader, found, currencies, table, upload.as_of)
        report = reader.report.to_json()
        if not reader.accepted:
            raise _Rejected(report)
        try:
            if engine_errors:
                raise EngineInputError.combine(engine_errors)
            prepared = concat_lines([p for _, p in parts])
        except EngineInputError as error:
            raise _Rejected(_engine_problems_report(error, report)) from error
        frames = [f for f, _ in parts]
        lines = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        del parts, frames
        release_memory()  # the grid's cells, freed slice by slice: give their pages back first
        # Valuations are pure computation: they run in threads (``VALUING_THREADS``) while the
        # server stores the last slices (leaving the ExitStack waits for the COPY to finish).
        computed = [pool.submit(_compute_all, [run], lines, prepared) for run in runs]
    columns = [c for c in lines.columns if c != "row"]
    return len(lines), columns, [f for c in computed for f in c.result()], sorted(found)


def _count_currencies(chunk: pd.DataFrame, file_currency: str, found: dict[str, int]) -> None:
    """Add the slice's lines per currency to ``found``: a line's own currency, else the file's."""
    if "currency" not in chunk.columns:
        found[file_currency] = found.get(file_currency, 0) + len(chunk)
        return
    # A handful of distinct spellings, however many lines: counted on the Arrow column.
    cells = {None if pd.isna(k) else str(k): int(v) for k, v in chunk["currency"].value_counts(dropna=False).items()}
    codes = line_currencies(cells, file_currency)
    for code, n in codes.items():
        found[code] = found.get(code, 0) + n
    # Stored as its ISO code ("€", "eur" or a blank cell -> EUR), so every stored line names it
    # and conversion reads one code per currency; a column already written so is left as it is.
    if len(codes) == 1 and set(cells) != set(codes):
        code = next(iter(codes))
        chunk["currency"] = pd.Series(code, index=chunk.index, dtype=chunk["currency"].dtype)
    elif len(codes) > 1:
        _normalise_currency_cells(chunk, file_currency)


def _normalise_currency_cells(chunk: pd.DataFrame, file_currency: str) -> None:
    """Each cell of a several-currency column as its ISO code (one lookup per distinct spelling)."""
    from valuation.imports.currencies import currency_code

    column = chunk["currency"]
    spelled = column.fillna("")
    mapping = {cell: currency_code(cell, file_currency) for cell in spelled.unique().tolist()}
    if any(cell != code for cell, code in mapping.items()):
        chunk["currency"] = pd.Series(spelled.map(mapping), index=chunk.index, dtype=column.dtype)


def _check_rates(
    reader: StockFileReader, found: dict[str, int], currencies: list[str], table: RateTable, as_of: date
) -> None:
    """Refuse the file when a line is in a currency that no rate converts into a facility's
    currency on or before the stock date, naming the currency and the date: its amount would
    otherwise count unconverted. A spelling that is not an ISO code ("$") is refused as before."""
    from valuation.imports.currencies import no_rate_problem, unknown_currency_problem

    if not found:
        return
    column = reader.mapping.targets().get("currency")
    unknown = {code: n for code, n in found.items() if not (len(code) == 3 and code.isascii() and code.isalpha())}
    if unknown:
        reader.report.add(unknown_currency_problem(unknown, column))
        return
    for expected in currencies:
        for code, n in sorted(found.items()):
            if code != expected and table.quote(code, expected, as_of) is None:
                reader.report.add(no_rate_problem(code, expected, as_of, n, column))


def _check_currencies(reader: StockFileReader, found: dict[str, int], currencies: list[str]) -> None:
    """Refuse the file when a line is in another currency than a facility's: there is no rate
    table to convert it, and summing it as the facility's currency would be wrong."""
    if not found:
        return
    column = reader.mapping.targets().get("currency")
    for expected in currencies:
        problem = foreign_currency_problem(found, expected, column)
        if problem is not None:
            reader.report.add(problem)
            return


def release_memory() -> None:
    """Hand freed memory back to the system between the stages of a big file.

    Arrow's allocator and glibc's keep freed pages for reuse; a worker that has just parsed a
    million lines would otherwise carry that high-water mark into the next stage and the next
    upload (about 0.3 GB at a million lines, bench/README.md).
    """
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def _finish_upload(upload: StockUpload, status: str, *, reason: str = "") -> None:
    upload.status = status
    upload.stage = "done"
    upload.failure_reason = reason
    upload.finished_at = timezone.now()
    upload.save()


def _close_stock_file_periods(upload: StockUpload, facilities: list[Facility]) -> None:
    """An accepted stock file closes the stock-file period covering its stock date in each of the
    client's facilities' reporting calendars (facilities/calendar_services.py)."""
    label = _("Stock file of %(date)s (%(name)s)") % {"date": upload.as_of.isoformat(), "name": upload.original_name}
    url = reverse("valuation:upload-detail", kwargs={"pk": upload.pk})
    for facility in facilities:
        # The file is accepted and committed already: a calendar that cannot be updated is logged,
        # never a failure of the upload (an advisor can still mark the period received).
        try:
            calendar_services.record_received(
                facility=facility,
                kind=DeliverableKind.STOCK_FILE,
                period_covering=upload.as_of,
                source_label=label,
                source_url=url,
                at=upload.finished_at or timezone.now(),
            )
        except Exception:
            log.exception("reporting calendar not updated", extra={"object": f"upload:{upload.pk}"})


def notify_upload_outcome(upload: StockUpload, *, by: User | None = None) -> None:
    """Tell the uploader and the firm's advisors (but not ``by``, who did it) that the file was
    accepted or rejected: one notification per finish (``finished_at`` names it; a redelivered
    task cannot finish the file twice)."""
    accepted = upload.status == UploadStatus.ACCEPTED
    advisors = firm_advisors(upload.client.firm_id)
    people = [u for u in [upload.uploaded_by, *advisors] if by is None or u.pk != by.pk]
    names = {"name": upload.original_name, "client": upload.client.legal_name}

    def title() -> str:
        if accepted:
            return _("%(client)s: stock file %(name)s accepted") % names
        return _("%(client)s: stock file %(name)s rejected") % names

    def body() -> str:
        as_of = formats.date_format(upload.as_of, "SHORT_DATE_FORMAT")
        if accepted:
            return _("%(lines)s lines, stock as of %(date)s; the figures are up to date.") % {
                "lines": upload.line_count,
                "date": as_of,
            }
        return upload.failure_reason or _("Stock as of %(date)s: see the file's page for the problems found.") % {
            "date": as_of
        }

    finished = upload.finished_at.isoformat() if upload.finished_at else ""
    notify(
        users=people,
        kind=NotificationKind.UPLOAD_ACCEPTED if accepted else NotificationKind.UPLOAD_REJECTED,
        title=title,
        body=body,
        url=reverse("valuation:upload-detail", args=[upload.pk]),
        subject_key=f"upload:{upload.pk}:{upload.status}:{finished if by is None else 'by-advisor'}",
    )


def _value(*, facility: Facility, upload: StockUpload, table: RateTable | None = None) -> dict[str, Any]:
    """Read the facility's terms and the rates (database) and set up its valuation, every line
    converted into the facility's currency; ``_compute`` runs it."""
    # Stored terms that no longer read (an unknown key, a value out of range) fail this valuation
    # with their name; they never stop the upload or the other facilities' valuations.
    fields: dict[str, Any] = {"facility": facility, "terms": {}}
    try:
        fields["terms"] = engine_terms_dict(facility, as_of=upload.as_of)
        terms = engine_terms(facility, as_of=upload.as_of)
    except (ValidationError, TermsError) as error:
        fields["failure"] = _terms_failure(error)
        return fields
    if table is None:
        table = rate_table(firm_id=facility.client.firm_id, as_of=upload.as_of)
    fields["valuing"] = partial(
        valuate_converted,
        terms=terms,
        as_of=upload.as_of,
        target=facility.currency,
        default_currency=upload.file_currency,
        table=table,
        max_age_days=max_rate_age_days(),
    )
    return fields


def _compute_all(runs: list[dict[str, Any]], lines: pd.DataFrame, prepared: Lines) -> list[dict[str, Any]]:
    """The valuing thread's work. It needs no database; should anything in it ever open a
    connection, that connection belongs to this thread alone and is closed as the work ends
    (left open, it would outlive the task and block dropping the database, as in tests)."""
    try:
        return [_compute(run_fields, lines, prepared) for run_fields in runs]
    finally:
        connections.close_all()


def _terms_failure(error: ValidationError | TermsError) -> str:
    return _("The facility's terms are not valid: %(error)s") % {
        "error": "; ".join(error.messages if isinstance(error, ValidationError) else [str(error)])
    }


def _compute(fields: dict[str, Any], lines: pd.DataFrame, prepared: Lines | None = None) -> dict[str, Any]:
    """Run a valuation set up by ``_value`` and write its per-line Parquet file in memory.

    Pure computation, no database: safe in a thread. Returns the fields ``_save_run`` takes; the
    result keeps no per-line frame once its Parquet bytes exist (a million lines weigh ~0.3 GB).
    """
    fields = dict(fields)
    valuing = fields.pop("valuing", None)
    if valuing is None:
        return fields
    try:
        result, conversions = valuing(lines, prepared=prepared)
    except (ValidationError, TermsError) as error:
        fields["failure"] = _terms_failure(error)
        return fields
    except NoRateError as error:
        fields["failure"] = no_rate_text(error.currency, error.target, error.day)
        return fields
    except ConvertedTooLarge as error:
        fields["failure"] = str(error)
        return fields
    except EngineInputError as error:
        fields["failure"] = str(error)
        return fields
    fields["lines_parquet"] = _lines_parquet(result)
    fields["result"] = dataclasses.replace(result, lines=result.lines.iloc[:0])
    fields["conversions"] = rates_used(conversions)
    return fields


def no_rate_text(currency: str, target: str, day: date) -> str:
    """The reason a valuation cannot be made: a currency without a rate (translated)."""
    return _(
        "No %(currency)s→%(target)s rate on or before %(date)s: add one in the rate table or import the ECB rates."
    ) % {"currency": currency, "target": target, "date": day.isoformat()}


def _lines_parquet(result: Any) -> bytes:
    """The run's per-line results as Parquet (read by ``valuation.workspace.drilldown`` and the reports).

    Every column is kept (the drill-down reads them all). Only the label columns (pandas
    categoricals) are dictionary-encoded: the integer cents columns are nearly all distinct, and
    trying a dictionary on them first doubled the time of the write for a larger file. A million
    lines fit in one row group, so min/max statistics would hardly ever skip one: none are written.
    """
    table = pa.Table.from_pandas(result.lines, preserve_index=False)
    labels = [field.name for field in table.schema if pa.types.is_dictionary(field.type)]
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", use_dictionary=labels, write_statistics=False)
    return buffer.getvalue()


def _save_run(
    *,
    upload: StockUpload,
    facility: Facility,
    terms: dict[str, Any],
    result: Any = None,
    failure: str = "",
    run: ValuationRun | None = None,
    lines_parquet: bytes | None = None,
    conversions: list[dict[str, Any]] | None = None,
) -> ValuationRun:
    if run is None:
        run, _created = _run_for(facility=facility, upload=upload, terms=terms)
    run.terms = terms
    run.finished_at = timezone.now()
    run.stage = "done"
    if result is None:
        run.status = RunStatus.FAILED
        run.failure_reason = failure
    else:
        run.status = RunStatus.DONE
        run.failure_reason = ""
        run.result = result_to_dict(result)
        # How each currency's lines were converted into the facility's (empty: none needed).
        run.result["conversions"] = conversions or []
        run.book_value = result.eligibility.book_value
        run.eligible_value = result.eligibility.eligible
        run.liquidation_value = result.liquidation.liquidation_value
        run.financing = result.financing.financing
        run.availability = result.financing.availability
        run.history_figures = history_figures(run.result)
        if run.lines_file:
            run.lines_file.delete(save=False)
        if lines_parquet is None:
            lines_parquet = _lines_parquet(result)
        run.lines_file.save(f"run-{run.pk}-lines.parquet", ContentFile(lines_parquet), save=False)
        run.jumps = [jump.to_dict() for jump in _jumps(run, upload=upload, facility=facility)]
    run.engine_version = ENGINE_VERSION
    run.inputs_digest = inputs_digest(upload=upload, terms=terms, identity=run.terms_hash)
    run.save()
    if run.status == RunStatus.DONE:
        # Raise or resolve the facility's alerts once the run (and its upload's acceptance) is committed.
        transaction.on_commit(partial(alerting.evaluate_run_safely, run.pk))
        # covenants (issue 16): test the facility's run covenants on it, after the alerts.
        transaction.on_commit(partial(covenants.test_run_safely, run.pk))
    return run


def previous_run(*, facility: Facility, upload: StockUpload) -> ValuationRun | None:
    """The facility's current valuation of the accepted file before ``upload`` (models.CURRENT_ORDER)."""
    earlier = Q(as_of__lt=upload.as_of) | Q(as_of=upload.as_of, upload__uploaded_at__lt=upload.uploaded_at)
    return (
        ValuationRun.objects.filter(facility=facility, upload__status=UploadStatus.ACCEPTED)
        .exclude(upload=upload)
        .filter(earlier)
        .current()
        .select_related("upload")
        .first()
    )


def _jumps(run: ValuationRun, *, upload: StockUpload, facility: Facility) -> list[Jump]:
    previous = previous_run(facility=facility, upload=upload)
    if previous is None:
        return []
    return find_jumps(
        previous={
            "book_value": previous.book_value,
            "eligible_value": previous.eligible_value,
            "line_count": previous.upload.line_count,
        },
        current={"book_value": run.book_value, "eligible_value": run.eligible_value, "line_count": upload.line_count},
        threshold_pct=facility.client.firm.jump_threshold_pct,
        previous_as_of=previous.as_of.isoformat(),
    )


# ------------------------------------------------------------------------------------ recompute


def recompute_latest(*, facility: Facility, by: User | None) -> ValuationRun | None:
    """Queue a valuation of the latest accepted stock file under the facility's current terms."""
    upload = facility.client.uploads.filter(status=UploadStatus.ACCEPTED).order_by("-as_of", "-uploaded_at").first()
    if upload is None:
        return None
    try:
        terms = engine_terms_dict(facility, as_of=upload.as_of)
    except (ValidationError, TermsError):
        terms = {}  # valued, the run fails and says why (``_value``): the figures are flagged
    run, created = _run_for(facility=facility, upload=upload, terms=terms)
    if created or run.status == RunStatus.FAILED:
        if not created:
            ValuationRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED, attempts=0, claimed_at=None)
        from valuation.pipeline import tasks

        run_id = run.pk
        queueing.send_on_commit(tasks.compute_run, run_id)
    elif run.status == RunStatus.DONE and current_run(facility) != run:
        # The terms are back to what this run was computed under (same inputs, same engine): it
        # is current again, without computing the same figures a second time.
        run.finished_at = timezone.now()
        ValuationRun.objects.filter(pk=run.pk).update(finished_at=run.finished_at)
    return run


def revalue_stale(
    *, client_id: int | None = None, firm_id: int | None = None, facility_id: int | None = None
) -> list[ValuationRun]:
    """After an edit to something a valuation reads (client facts, sites, categories, terms…):
    queue a valuation of each affected facility's latest file under its inputs as they are now.

    Idempotent: a facility whose inputs did not change keeps its run (runs are keyed by the terms'
    hash), so an edit that changes nothing a valuation reads queues nothing."""
    facilities = Facility.objects.select_related("client")
    if facility_id is not None:
        facilities = facilities.filter(pk=facility_id)
    elif client_id is not None:
        facilities = facilities.filter(client_id=client_id)
    elif firm_id is not None:
        facilities = facilities.filter(client__firm_id=firm_id)
    else:
        return []
    runs = []
    for facility in facilities:
        run = recompute_latest(facility=facility, by=None)
        if run is not None:
            runs.append(run)
    return runs


@dataclasses.dataclass(frozen=True)
class Freshness:
    """Whether a run's figures still follow from the inputs as they are now.

    ``state``: "current" (same inputs), "updating" (the inputs changed and the new valuation is
    queued or computing: ``stage`` says where it is) or "outdated" (the inputs changed and no
    valuation of them is under way or it failed: ``reason``)."""

    state: str
    stage: str = ""
    reason: str = ""

    @property
    def is_current(self) -> bool:
        return self.state == "current"


def freshness(run: ValuationRun) -> Freshness:
    """Compare the run's terms with the facility's terms as they would be read now."""
    facility = run.facility
    try:
        expected = run_identity(
            facility=facility, upload=run.upload, terms=engine_terms_dict(facility, as_of=run.as_of)
        )
    except (ValidationError, TermsError) as error:
        return Freshness("outdated", reason=_terms_failure(error))
    if run.terms_hash == expected:
        return Freshness("current")
    newer = (
        ValuationRun.objects.filter(facility=facility, upload_id=run.upload_id, terms_hash=expected)
        .only("status", "stage", "failure_reason")
        .first()
    )
    if newer is not None and newer.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return Freshness("updating", stage=str(newer.get_status_display()))
    if newer is not None and newer.status == RunStatus.FAILED:
        return Freshness("outdated", reason=newer.failure_reason)
    return Freshness("outdated")


def compute_run(*, run_id: int) -> None:
    """Value stored lines under a run's terms (a terms change); idempotent like uploads."""
    from valuation.pipeline.frames import lines_frame

    if not ValuationRun.objects.claim_job(run_id, lease_seconds=lease_seconds()):
        return
    run = ValuationRun.objects.select_related("facility__client", "upload").get(pk=run_id)
    if run.attempts > MAX_ATTEMPTS:
        _save_run(
            upload=run.upload,
            facility=run.facility,
            terms=run.terms,
            run=run,
            failure=_("Computation stopped after %(n)s attempts.") % {"n": MAX_ATTEMPTS},
        )
        return
    lines = lines_frame(run.upload)
    ValuationRun.objects.heartbeat(run_id, stage="valuing")
    fields = _compute(_value(facility=run.facility, upload=run.upload), lines)
    fields["terms"] = run.terms  # the terms this run was queued for
    with transaction.atomic():
        _save_run(upload=run.upload, run=run, **fields)


def current_run(facility: Facility) -> ValuationRun | None:
    """The facility's current valuation: the completed one of the latest stock file
    (models.CURRENT_ORDER)."""
    return ValuationRun.objects.filter(facility=facility).current().first()


GENERIC_FAILURE = "Processing failed because of an error on our side. The team has been told; please try again later."


def fail_upload(*, upload_id: int) -> None:
    """Mark a crashed upload failed with a readable reason (the traceback is in the logs)."""
    StockUpload.objects.filter(pk=upload_id).exclude(status=UploadStatus.ACCEPTED).update(
        status=UploadStatus.FAILED, stage="done", failure_reason=_(GENERIC_FAILURE), finished_at=timezone.now()
    )


def fail_run(*, run_id: int) -> None:
    ValuationRun.objects.filter(pk=run_id).exclude(status=RunStatus.DONE).update(
        status=RunStatus.FAILED, stage="done", failure_reason=_(GENERIC_FAILURE), finished_at=timezone.now()
    )


def sweep_stuck_jobs(*, older_than_seconds: int | None = None) -> int:
    """Enqueue again the jobs nobody is working on: queued for long (a lost message) or running
    with a lapsed lease (a dead worker). Claiming keeps a double delivery harmless."""
    from datetime import timedelta

    from valuation.pipeline import tasks

    age = timedelta(seconds=older_than_seconds if older_than_seconds is not None else lease_seconds())
    cutoff = timezone.now() - age
    count = 0
    stuck_uploads = StockUpload.objects.filter(
        status__in=[UploadStatus.QUEUED, UploadStatus.RUNNING], uploaded_at__lt=cutoff
    ).exclude(claimed_at__gte=cutoff)
    for upload_id in stuck_uploads.values_list("pk", flat=True):
        count += queueing.send(tasks.process_upload, upload_id)
    stuck_runs = ValuationRun.objects.filter(
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__lt=cutoff
    ).exclude(claimed_at__gte=cutoff)
    for run_id in stuck_runs.values_list("pk", flat=True):
        count += queueing.send(tasks.compute_run, run_id)
    return count


# ------------------------------------------------------------------------------------ review


@transaction.atomic
def reject_upload(*, upload: StockUpload, by: User, reason: str) -> StockUpload:
    """An advisor rejects an accepted stock file: its runs stop being current, so each facility's
    previous valuation is current again (runs are kept, marked failed with the reason, because
    issued reports may point at them). Lines stay stored; nothing is recomputed."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the file is rejected."), field="reason")
    locked = StockUpload.objects.select_for_update().get(pk=upload.pk)
    if locked.status != UploadStatus.ACCEPTED:
        raise DomainError(_("Only an accepted stock file can be rejected."), field="reason")
    before = {"status": locked.status}
    message = _("Stock file rejected by %(who)s: %(reason)s") % {"who": by, "reason": reason}
    locked.status = UploadStatus.REJECTED
    locked.failure_reason = message
    locked.save(update_fields=["status", "failure_reason"])
    withdrawn = ValuationRun.objects.filter(upload=locked).exclude(status=RunStatus.FAILED)
    run_ids = list(withdrawn.values_list("pk", flat=True))
    withdrawn.update(status=RunStatus.FAILED, failure_reason=message)
    audit.record(
        actor=by,
        action="reject-upload",
        instance=locked,
        before=before,
        after={"status": locked.status, "reason": reason, "runs_withdrawn": run_ids},
    )
    notify_upload_outcome(locked, by=by)
    return locked
