"""Migration targets for tests of a data migration: one app taken back to a migration, every other
app as far forward as it can go without needing that app any further."""

from __future__ import annotations

from typing import Any

Node = tuple[str, str]


def back_to(executor: Any, target: Node) -> list[Node]:
    """``target`` and, for each other app, its latest migration whose dependencies need no
    migration of ``target``'s app beyond ``target`` (so ``executor.migrate`` can reach the state)."""
    graph = executor.loader.graph
    app = target[0]
    allowed = {node for node in graph.forwards_plan(target) if node[0] == app}
    chosen = [target]
    for other in sorted({node[0] for node in graph.leaf_nodes()} - {app}):
        fitting = [
            node
            for node in graph.nodes
            if node[0] == other and all(dep in allowed for dep in graph.forwards_plan(node) if dep[0] == app)
        ]
        if fitting:
            chosen.append(max(fitting))
    return chosen
