"""Vectorised (polars) parsing of text cells into canonical values.

Every function takes and returns polars expressions over String columns, so a column of a
million cells is cleaned in a few native passes and no value goes through a Python loop or a
float. Invalid cells come out null; the validator compares with the input to report them.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

# Spaces used as thousands separators: normal, no-break (U+00A0), narrow no-break (U+202F),
# thin (U+2009); apostrophes are the Swiss separator.
_GROUPING_CHARS = " \u00a0\u202f\u2009'’"
_GROUPING = f"[{_GROUPING_CHARS}]"
_CURRENCY = r"(?i)(€|\$|£|¥|￥|eur|usd|cny|rmb|chf)"
_PLAIN_DECIMAL = r"^-?\d+(\.\d*)?$"
# A cell needing no more than removing space-like grouping and reading the file's decimal mark.
_PLAIN_INTEGER = r"^-?\d[\d \u00a0\u202f\u2009'’]*"
_PLAIN_COMMA = _PLAIN_INTEGER + r"(,\d+)?$"
_PLAIN_DOT = _PLAIN_INTEGER + r"(\.\d+)?$"
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0, skipping its fictitious 29 Feb 1900
MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31
DECIMAL_DIGITS = 38  # polars' widest decimal (a 128-bit integer)
MAX_SCALE = 18
DECIMALS_SAMPLE = 10_000

TRUE_WORDS = ("1", "true", "yes", "y", "x", "oui", "o", "vrai", "t", "是", "√", "✓", "on")
FALSE_WORDS = ("0", "false", "no", "n", "non", "faux", "f", "否", "off", "-")


def _strip(expr: pl.Expr) -> pl.Expr:
    """Trim ordinary and Unicode spaces; an empty result becomes null."""
    trimmed = expr.str.strip_chars(" \t\r\n\u00a0\u202f\u2009\u3000")
    return pl.when(trimmed.str.len_bytes() == 0).then(None).otherwise(trimmed)


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Trim a text cell; an empty cell becomes null."""
    return _strip(expr)


def decimal_evidence(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Return two count expressions: cells proving a comma decimal, cells proving a dot decimal.

    Proof means a value that only one convention can read: ``1.234,5`` or ``12,5`` (not three
    digits after the comma) for comma; the mirror forms for dot.
    """
    s = expr.str.replace_all(_GROUPING, "")
    comma = s.str.contains(r"^[-+(]?\d{1,3}(\.\d{3})+,\d+") | s.str.contains(r"^[-+(]?\d*,(\d{1,2}|\d{4,})\)?-?$")
    dot = s.str.contains(r"^[-+(]?\d{1,3}(,\d{3})+\.\d+") | s.str.contains(r"^[-+(]?\d*\.(\d{1,2}|\d{4,})\)?-?$")
    return comma.sum(), dot.sum()


def parse_decimal(values: pl.Series, decimal_mark: str) -> pl.Series:
    """Turn numbers as written in an export into normalised decimal text (null if unreadable).

    Accepts thousands separators (space, U+00A0, U+202F, apostrophe, and the mark that is not
    the decimal one), currency symbols, a leading ``+``/``-``, a trailing ``-`` (SAP) and
    accounting parentheses. A value holding both ``.`` and ``,`` uses the last one as decimal
    mark whatever ``decimal_mark`` says; ``decimal_mark`` settles the ambiguous ``1,234``.
    Output: ``"-1234.5"``, ``"0.125"``, ``"3"``; no exponent, no trailing zeros.

    Works in materialised stages: chaining these steps as one expression would reference each
    intermediate several times and grow the expression tree exponentially.
    """
    s = pl.col("s")
    frame = values.rename("s").to_frame()
    plain = _PLAIN_COMMA if decimal_mark == "," else _PLAIN_DOT
    # Bytes after the decimal mark, so at least its digits (grouping only stands before it).
    decimals = (s.str.len_bytes().cast(pl.Int64) - s.str.find(decimal_mark, literal=True) - 1).max()
    # The first cells tell how many decimals the column uses; one test then proves every cell
    # plain with at most that many (the exact count is only computed when a cell has more).
    scale = int(frame.head(DECIMALS_SAMPLE).select(decimals).item() or 0)
    fraction = rf"({re.escape(decimal_mark)}\d{{1,{scale}}})?" if scale else ""
    bounded = _PLAIN_INTEGER + fraction + "$"
    is_plain = frame.select((s.str.contains(bounded) | s.is_null()).all()).item()
    if not is_plain:
        is_plain, wider = frame.select(
            (s.str.contains(plain) | s.is_null()).all().alias("plain"), decimals.alias("scale")
        ).row(0)
        scale = int(wider or 0)
    if is_plain:
        # Fastest path, the usual case: every cell already a plain number in the file's own
        # convention (space-like grouping allowed), so there is nothing to trim and no symbol to
        # drop; the result is the one the general path gives, with a third of its passes.
        scaled = _scaled_text(frame, decimal_mark, scale)
        if scaled is not None:
            return scaled.rename(values.name)
        frame = frame.with_columns(s.str.replace_all(_GROUPING, ""))
        if decimal_mark == ",":
            frame = frame.with_columns(s.str.replace(",", ".", literal=True))
        return _canonical(frame, values.name)
    frame = frame.with_columns(_strip(s).alias("s"))
    if frame.select(s.str.contains(r"[^\d\s.,'’\-+()\u00a0\u202f\u2009]").any()).item():
        frame = frame.with_columns(s.str.replace_all(_CURRENCY, ""))
    frame = frame.with_columns(s.str.replace_all(_GROUPING, ""))
    simple = r"^-?\d+(,\d+)?$" if decimal_mark == "," else r"^-?\d+(\.\d+)?$"
    if frame.select((s.str.contains(simple) | s.is_null()).all()).item():
        # Fast path, the usual case: plain numbers in the file's own convention.
        return _canonical(frame.with_columns(s.str.replace(",", ".", literal=True)), values.name)
    frame = frame.with_columns(
        negative=s.str.starts_with("-") | s.str.ends_with("-") | (s.str.starts_with("(") & s.str.ends_with(")")),
        s=s.str.strip_chars("+-() "),  # sign handled by ``negative``
    )
    # "1,234" or "1.234": one grouping-sized block after a single mark, readable either way;
    # the file's convention decides (a leading 0, as in "0,125", can only be a decimal).
    frame = frame.with_columns(
        has_dot=s.str.contains(".", literal=True),
        has_comma=s.str.contains(",", literal=True),
        ambiguous=s.str.contains(r"^[1-9]\d{0,2}[.,]\d{3}$"),
        last_comma=s.str.contains(r",\d*$"),
        commas=s.str.count_matches(",", literal=True),
        dots=s.str.count_matches(".", literal=True),
    )
    comma_mark = decimal_mark == ","
    frame = frame.with_columns(
        comma_is_decimal=pl.when(pl.col("has_dot"))
        .then(pl.col("last_comma"))  # both marks: the last one is the decimal mark
        .otherwise((pl.col("commas") == 1) & ~(pl.col("ambiguous") & (not comma_mark))),
        dot_is_grouping=~pl.col("has_comma") & ((pl.col("dots") > 1) | (pl.col("ambiguous") & comma_mark)),
    )
    frame = frame.with_columns(
        s=pl.when(pl.col("has_comma") & pl.col("comma_is_decimal"))
        .then(s.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(pl.col("dot_is_grouping"))
        .then(s.str.replace_all(".", "", literal=True))
        .otherwise(s.str.replace_all(",", "", literal=True))
    )
    frame = frame.with_columns(s=pl.when(s.str.starts_with(".")).then(pl.lit("0") + s).otherwise(s))
    frame = frame.with_columns(
        s=pl.when(s.str.contains(_PLAIN_DECIMAL)).then(pl.when(pl.col("negative")).then(pl.lit("-") + s).otherwise(s))
    )
    return _canonical(frame, values.name)


def _scaled_text(frame: pl.DataFrame, decimal_mark: str, scale: int) -> pl.Series | None:
    """Plain numbers (``_PLAIN_COMMA`` / ``_PLAIN_DOT`` cells) read as exact scaled integers, then
    written back as normalised decimal text; None when a value does not fit (the caller then
    takes the text path, whose result this one equals).

    One pass removes the grouping and swaps the mark, one reads every cell as a 128-bit integer
    of ``scale`` decimals (the column's longest fraction: nothing is rounded), one writes it:
    leading zeros and "-0" go away by themselves, trailing fractional zeros with one strip.
    """
    if scale > MAX_SCALE:
        return None
    swaps = dict.fromkeys(_GROUPING_CHARS, "")
    if decimal_mark == ",":
        swaps[","] = "."
    number = (
        frame.get_column("s")
        .str.replace_many(list(swaps), list(swaps.values()))
        .cast(pl.Decimal(DECIMAL_DIGITS, scale), strict=False)
    )
    if number.null_count() != frame.get_column("s").null_count():
        return None  # more than DECIMAL_DIGITS digits in some cell
    text = number.to_frame("s").select(pl.col("s").cast(pl.String))
    if scale:
        text = text.select(pl.col("s").str.strip_chars_end("0").str.strip_chars_end("."))
    return text.get_column("s")


def _canonical(frame: pl.DataFrame, name: str) -> pl.Series:
    """Normalise plain decimal text in column ``s``: no leading zeros, no trailing fractional
    zeros, no "-0" (each step only when some value needs it)."""
    s = pl.col("s")
    if frame.select(s.str.contains(r"^-?0\d").any()).item():
        frame = frame.with_columns(s.str.replace(r"^(-?)0+(\d)", "${1}${2}"))
    if frame.select(s.str.contains(r"\.\d*0$|\.$").any()).item():
        frame = frame.with_columns(
            pl.when(s.str.contains(".", literal=True))
            .then(s.str.strip_chars_end("0").str.strip_chars_end("."))
            .otherwise(s)
        )
    frame = frame.with_columns(pl.when(s == "-0").then(pl.lit("0")).otherwise(s).alias("s"))
    return frame.get_column("s").rename(name)


def shortest_float_text(values: pl.Series) -> pl.Series:
    """Rewrite spreadsheet numbers printed with 17 significant digits in their shortest form.

    calamine prints a numeric cell holding 10109253.29 as "10109253.289999999". The cell *is*
    an IEEE double, so its shortest round-trip text ("10109253.29") is the exact value the user
    typed; only long plain numbers are rewritten, and only when the result is plain too.
    """
    frame = values.rename("s").to_frame()
    s = pl.col("s")
    long_number = s.str.contains(r"^-?\d+\.\d+$") & (s.str.len_bytes() >= 17)
    if not frame.select(long_number.any()).item():
        return values
    shortest = s.cast(pl.Float64, strict=False).cast(pl.String)
    fixed = pl.when(long_number & shortest.str.contains(_PLAIN_DECIMAL)).then(shortest).otherwise(s)
    return frame.select(fixed).to_series().rename(values.name)


def integer_digits(normalised: pl.Expr) -> pl.Expr:
    """Number of digits before the decimal point of normalised decimal text."""
    return normalised.str.strip_chars_start("-").str.split(".").list.first().str.len_chars()


def is_negative(normalised: pl.Expr) -> pl.Expr:
    """True for normalised decimal text below zero."""
    return normalised.str.starts_with("-")


def parse_date_expr(expr: pl.Expr, *, day_first: bool = True) -> pl.Expr:
    """Parse ISO (2026-12-31, with or without time), French (31/12/2026, 31.12.2026,
    31-12-2026, 31/12/26), Chinese (2026年12月31日, 2026/12/31) and Excel serial (46387) dates
    to ``pl.Date``; anything else becomes null. ``day_first=False`` reads 12/31/2026 (US)."""
    s = _strip(expr)
    dmy = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    slashed = s.str.slice(0, 10).str.replace_all(r"[.\-]", "/")
    serial = s.str.replace(r"\.0*$", "").cast(pl.Int64, strict=False)
    return (
        pl.when(s.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}"))
        .then(s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        .when(s.str.contains(r"^\d{4}/\d{1,2}/\d{1,2}"))
        .then(s.str.slice(0, 10).str.to_date("%Y/%m/%d", strict=False))
        .when(s.str.contains(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}"))
        .then(slashed.str.to_date(dmy, strict=False))
        .when(s.str.contains(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$"))
        .then(slashed.str.to_date(dmy.replace("Y", "y"), strict=False))
        .when(s.str.contains(r"^\d{4}\s*年"))
        .then(s.str.replace_all(r"\s", "").str.to_date("%Y年%m月%d日", strict=False))
        .when(serial.is_between(1, MAX_EXCEL_SERIAL) & s.str.contains(r"^\d{1,7}(\.0*)?$"))
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial))
        .otherwise(None)
        .cast(pl.Date)
    )


def parse_date(values: pl.Series, *, day_first: bool = True) -> pl.Series:
    """Parse a column of dates (see ``parse_date_expr``), each distinct value only once:
    stock files repeat a few thousand dates over a million lines."""
    distinct = values.unique().drop_nulls().rename("s").to_frame()
    table = distinct.with_columns(parse_date_expr(pl.col("s"), day_first=day_first).alias("d"))
    lookup = dict(zip(table.get_column("s").to_list(), table.get_column("d").to_list()))
    return values.replace_strict(lookup, default=None, return_dtype=pl.Date)


def flag_mapping() -> dict[str, bool]:
    """Return the yes/no words a flag column may hold, lower-cased."""
    words = {word: True for word in TRUE_WORDS}
    words.update({word: False for word in FALSE_WORDS})
    return words


DISTINCT_FLAGS_MAX = 10_000


def parse_flag(values: pl.Series) -> pl.Series:
    """Read yes/no cells (yes/no, oui/non, 1/0, x, true/false, 是/否) as booleans; other -> null.

    A flag column holds a handful of distinct spellings: each is read once, then the cells are
    matched against the yes and the no spellings (trimming and lower-casing a million cells cost
    ten times more). The spellings of the first ``DISTINCT_TEXT_SAMPLE`` cells usually read the
    whole column; only when some later cell is left unread are all distinct values looked at.
    """
    flags = _flags_by_spelling(values, values.head(DISTINCT_TEXT_SAMPLE).unique().drop_nulls())
    if flags.null_count() == values.null_count():
        return flags
    distinct = values.unique().drop_nulls()
    if distinct.len() > DISTINCT_FLAGS_MAX:  # not a flag column: read cell by cell
        key = values.to_frame("s").select(_strip(pl.col("s")).str.to_lowercase()).to_series()
        return key.replace_strict(flag_mapping(), default=None, return_dtype=pl.Boolean).rename(values.name)
    return _flags_by_spelling(values, distinct)


def _flags_by_spelling(values: pl.Series, spellings: pl.Series) -> pl.Series:
    """Cells spelt as one of ``spellings`` read as yes/no; any other cell null."""
    words = flag_mapping()
    keys = spellings.to_frame("s").select(_strip(pl.col("s")).str.to_lowercase()).to_series()
    meaning = {raw: words.get(key) if key is not None else None for raw, key in zip(spellings, keys)}
    yes = [raw for raw, flag in meaning.items() if flag is True]
    no = [raw for raw, flag in meaning.items() if flag is False]
    cell = pl.col("s")
    flag = pl.when(cell.is_in(yes)).then(True).when(cell.is_in(no)).then(False).otherwise(None)
    return values.to_frame("s").select(flag.cast(pl.Boolean).alias(values.name)).to_series()


DISTINCT_TEXT_SAMPLE = 10_000
DISTINCT_TEXT_MAX = 1_000


def clean_text_series(values: pl.Series) -> pl.Series:
    """Trim text cells; empty cells become null.

    A low-variety column (warehouse, unit, currency: a few dozen spellings over a million lines,
    judged on its first ``DISTINCT_TEXT_SAMPLE`` cells) is trimmed once per distinct value, then
    looked up, and comes back as it is when no value needed trimming.
    """
    if values.head(DISTINCT_TEXT_SAMPLE).n_unique() <= DISTINCT_TEXT_MAX:
        distinct = values.unique().drop_nulls()
        cleaned = _strip_series(distinct)
        if cleaned.null_count() == 0 and cleaned.equals(distinct, check_names=False):
            return values
        return values.replace_strict(distinct, cleaned, default=None, return_dtype=pl.String).rename(values.name)
    return _strip_series(values)


def _strip_series(values: pl.Series) -> pl.Series:
    return values.to_frame("s").select(_strip(pl.col("s"))).to_series().rename(values.name)
