"""The stylesheet's colours meet WCAG 2.1 AA contrast, and the classes other areas rely on exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

CSS = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b", CSS.split("}", 1)[0]))


def colour(value: str) -> str:
    value = VARIABLES[value[2:]] if value.startswith("--") else value
    return "#" + "".join(c * 2 for c in value[1:]) if len(value) == 4 else value


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(colour(foreground)), luminance(colour(background))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey


@pytest.mark.parametrize(
    ("foreground", "background"),
    [
        ("--ink", "--bg"),
        ("--ink", "--card"),
        ("--muted", "--card"),
        ("--muted", "--bg"),
        ("#45525f", "#eef2f6"),  # table headings
        ("--brand-2", "--card"),  # links
        ("#ffffff", "--brand-2"),  # primary buttons
        ("#dce9f6", "--brand"),  # top-bar links
        ("--ok", "--ok-bg"),
        ("--warn", "--warn-bg"),
        ("--bad", "--bad-bg"),
        ("--info", "--info-bg"),
        ("#5e3900", "--warn-bg"),  # warning alerts
        ("#7d1607", "--bad-bg"),  # error alerts
    ],
)
def test_text_colours_reach_aa_for_normal_text(foreground, background):
    assert contrast(foreground, background) >= 4.5


@pytest.mark.parametrize(
    ("ring", "background"), [("--focus", "--card"), ("--focus", "--bg"), ("--focus-on-dark", "--brand")]
)
def test_focus_rings_stand_out_from_what_they_surround(ring, background):
    assert contrast(ring, background) >= 3


@pytest.mark.parametrize(
    "selector",
    [
        ".card",
        ".kpis",
        ".kpi",
        ".kpi-value",
        "table.data",
        "table.table",
        ".num",
        ".badge-ok",
        ".badge-warn",
        ".badge-bad",
        ".toolbar",
        ".stack",
        ".table-wrap",
        ".alert-warn",
        ".pagehead",
        ".narrow",
        "@media print",
    ],
)
def test_the_documented_classes_exist(selector):
    assert selector in CSS


def test_area_blocks_come_after_the_design_system():
    """Other areas append their rules at the end, each block under "/* == <area> == */"."""
    first_block = CSS.find("/* == ")
    assert first_block == -1 or CSS.rfind("@media print") < first_block
