#!/usr/bin/env python3
"""Fails when the top-level modules of a crate import each other in a circle.

For every crate given (default: core, backend, app, server), each top-level module
(`src/<name>.rs` or `src/<name>/`) is a node, and a `crate::<other>` path anywhere in its
code is an edge. Comments and `#[cfg(test)]` tails are ignored: a doc link is not a
dependency, and tests may reach across. Every strongly connected group of more than one
module is printed with its edges, and the exit status is 1. docs/architecture.md gives the
direction each crate's modules are meant to point in.
"""
import os
import re
import sys


def module_edges(src_root):
    edges = {}
    for dirpath, _dirs, files in os.walk(src_root):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src_root)
            top = rel.split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "main"):
                continue
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                code = fh.read()
            code = code.split("#[cfg(test)]")[0]
            code = re.sub(r"//[^\n]*", "", code)
            refs = set(re.findall(r"\bcrate::([a-z_0-9]+)", code))
            for group in re.findall(r"\bcrate::\{([^}]*)\}", code, re.S):
                refs.update(re.split(r"::|\s", p.strip())[0] for p in group.split(",") if p.strip())
            edges.setdefault(top, set()).update(r for r in refs if r != top)
    names = set(edges)
    return {m: {r for r in rs if r in names} for m, rs in edges.items()}


def cycles(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    crates = sys.argv[1:] or ["core", "backend", "app", "server"]
    failed = False
    for c in crates:
        graph = module_edges(os.path.join(root, c, "src"))
        for group in cycles(graph):
            failed = True
            print(f"{c}: modules import each other in a circle: {', '.join(group)}")
            for m in group:
                print(f"    {m} -> {', '.join(sorted(x for x in graph[m] if x in group))}")
    if failed:
        sys.exit(1)
    print(f"no import circle among the top-level modules of {', '.join(crates)}")


if __name__ == "__main__":
    main()
