"""The other apps' migrations to keep while a test takes one app back to an earlier migration."""

from __future__ import annotations

from typing import Any


def others_compatible_with(executor: Any, target: tuple[str, str]) -> list[tuple[str, str]]:
    """For each other app, its latest migration that does not need ``target``'s app past
    ``target``: an app whose later migrations depend on later migrations of that app (the
    valuation floor's covenant tests refer to the facilities' covenants) is taken back as far as
    needed, so the plan is forwards or backwards, never both."""
    graph = executor.loader.graph
    app = target[0]
    allowed = set(graph.forwards_plan(target))

    def needs_later(node: tuple[str, str]) -> bool:
        return any(n[0] == app and n not in allowed for n in graph.forwards_plan(node))

    kept = []
    for leaf in graph.leaf_nodes():
        if leaf[0] == app:
            continue
        node: tuple[str, str] | None = leaf
        while node is not None and needs_later(node):
            parents = [parent.key for parent in graph.node_map[node].parents if parent.key[0] == node[0]]
            node = parents[0] if parents else None
        kept.append(node if node is not None else (leaf[0], None))
    return kept
