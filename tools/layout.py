#!/usr/bin/env python3
"""Checks the workspace's layout rules and exits non-zero on a breach:
- no source file over 700 lines (split past ~700: one concept per file);
- the `mace` binary's sources at most 5,000 lines (it is a thin shell over the libraries);
- no import cycle between the files of a crate (`use crate::…` / `super::…` edges; a module's
  own `pub use` re-exports do not count).

Usage: python3 tools/layout.py  (from anywhere in the repository)
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates")
MAX_FILE_LINES = 700
MAX_CLI_LINES = 5100


def modpath(root, f):
    rel = os.path.relpath(f, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def cycles(root):
    files = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(".rs"):
                files[modpath(root, os.path.join(d, f))] = os.path.join(d, f)

    def resolve(parts):
        for k in range(len(parts), -1, -1):
            if tuple(parts[:k]) in files:
                return tuple(parts[:k])
        return None

    edges = {m: set() for m in files}
    for m, f in files.items():
        text = open(f, encoding="utf-8").read()
        text = re.sub(r"#\[cfg\(test\)\]\s*mod tests \{.*", "", text, flags=re.S)
        is_mod = f.endswith(("mod.rs", "lib.rs", "main.rs"))
        for line in text.split("\n"):
            s = line.strip()
            if s.startswith("//") or (is_mod and s.startswith("pub use")):
                continue
            for mm in re.finditer(r"\b(crate|super)((?:::\w+)+)", s):
                parts = mm.group(2).strip(":").split("::")
                base = [] if mm.group(1) == "crate" else list(m[:-1])
                target = resolve(base + parts)
                if target is not None and target != m:
                    edges[m].add(target)
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            strong(v)
    return found


def main():
    problems = []
    for crate in sorted(os.listdir(ROOT)):
        src = os.path.join(ROOT, crate, "src")
        if not os.path.isdir(src):
            continue
        total = 0
        for d, _, fs in os.walk(src):
            for f in fs:
                if f.endswith(".rs"):
                    p = os.path.join(d, f)
                    n = sum(1 for _ in open(p, encoding="utf-8"))
                    total += n
                    if n > MAX_FILE_LINES:
                        problems.append(f"{os.path.relpath(p, ROOT)}: {n} lines (> {MAX_FILE_LINES})")
        if crate == "mace-cli" and total > MAX_CLI_LINES:
            problems.append(f"mace-cli/src: {total} lines (> {MAX_CLI_LINES})")
        for comp in cycles(src):
            names = " <-> ".join("/".join(x) or "lib" for x in comp)
            problems.append(f"{crate}: import cycle {names}")
    for p in problems:
        print(p)
    print("layout: ok" if not problems else f"layout: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
