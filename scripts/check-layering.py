#!/usr/bin/env python3
"""Fails when modules that sit side by side import each other in a circle.

For every crate given (default: core, backend, app, server) and every module with children (the
crate root and each folder module), the children are the nodes, and a path in a child's code
that leads into a sibling (`crate::a::b`, `super::b`, `super::super::c`, also inside `{...}`
groups) is an edge. Comments and `#[cfg(test)]` tails are ignored: a doc link is not a
dependency, and tests may reach across. Each strongly connected group of more than one sibling
is printed with its edges, and the exit status is 1. docs/architecture.md gives the direction
each crate's modules point in.
"""
import os
import re
import sys

PATH = re.compile(r"\b((?:crate|super|self)(?:::(?:super|[a-z_][a-z_0-9]*))*)::(\{[^}]*\}|[a-z_][a-z_0-9]*)", re.S)


def module_of(rel):
    """Module path (list of segments) of a file relative to src/."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def resolve(here, prefix, tail):
    segs = prefix.split("::")
    if segs[0] == "crate":
        base = []
    else:
        base = list(here)
    for s in segs[1:] if segs[0] == "crate" else segs:
        if s == "super":
            base = base[:-1]
        elif s == "self":
            pass
        else:
            base.append(s)
    if tail.startswith("{"):
        names = [re.split(r"::|\s", p.strip())[0] for p in tail[1:-1].split(",") if p.strip()]
    else:
        names = [tail]
    return [base + [n] for n in names if n not in ("self", "super")]


def references(src_root):
    """(file's module path, absolute path referenced) for every file of the crate."""
    out = []
    for dirpath, _dirs, files in os.walk(src_root):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), src_root)
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                code = fh.read()
            code = code.split("#[cfg(test)]")[0]
            code = re.sub(r"//[^\n]*", "", code)
            here = module_of(rel)
            for prefix, tail in PATH.findall(code):
                for target in resolve(here, prefix, tail):
                    out.append((here, target))
    return out


def graphs(refs):
    """Per parent module: {child: {siblings it uses}}."""
    parents = {}
    for here, _ in refs:
        for i in range(len(here)):
            parents.setdefault(tuple(here[:i]), {}).setdefault(here[i], set())
    for here, target in refs:
        for i in range(len(here)):
            parent = tuple(here[:i])
            if tuple(target[:i]) == parent and len(target) > i and target[i] != here[i]:
                children = parents[parent]
                if target[i] in children:
                    children[here[i]].add(target[i])
    return parents


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
        for parent, graph in sorted(graphs(references(os.path.join(root, c, "src"))).items()):
            where = "::".join(("crate",) + parent)
            for group in cycles(graph):
                failed = True
                print(f"{c}: modules in {where} import each other in a circle: {', '.join(group)}")
                for m in group:
                    print(f"    {m} -> {', '.join(sorted(x for x in graph[m] if x in group))}")
    if failed:
        sys.exit(1)
    print(f"no import circle among sibling modules in {', '.join(crates)}")


if __name__ == "__main__":
    main()
