"""Every page carries a strict Content-Security-Policy and keeps to it: no inline script, no
inline style, no event-handler attribute, for every route of the access matrix and every persona
that reaches it (a page that breaks the policy would break in the browser, not just here)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from tests.conftest import PERSONAS, World
from tests.foundation.test_access_matrix import MATRIX

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)


def test_the_policy_forbids_inline_code_and_foreign_origins(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert "unsafe" not in policy


def test_every_page_keeps_to_the_policy(world: World):
    checked = 0
    problems = []
    for route, (kwargs_of, _expected) in sorted(MATRIX.items()):
        url = reverse(route, kwargs=kwargs_of(world))
        for persona in PERSONAS:
            client = Client()
            user = world.persona(persona)
            if user is not None:
                client.force_login(user)
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            checked += 1
            assert "Content-Security-Policy" in response, url
            html = response.content.decode()
            for name, pattern in (
                ("inline script", INLINE_SCRIPT),
                ("event handler", HANDLER),
                ("style attribute", STYLE_ATTRIBUTE),
                ("style element", STYLE_ELEMENT),
            ):
                found = pattern.search(html)
                if found:
                    problems.append(f"{url} as {persona}: {name} {found.group(0)[:80]!r}")
    assert checked > 50
    assert not problems, problems
