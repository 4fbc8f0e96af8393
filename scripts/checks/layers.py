#!/usr/bin/env python3
"""layers.py — the folders are layers (docs/architecture.md); this keeps them so, and keeps
the OS layer the only way to files by name and to threads.

Every #include "dir/file.h" of a product file (every .c/.h outside tests/, bench/, scripts/)
must point to a folder of a lower layer, to the same folder, or — for a backend folder like
engine/sim — to its parent folder, whose contract it implements. An include that points up or
sideways (another folder of the same layer) fails, as does any product file including tests/,
any cycle between folders, and any product file over MAX_LINES lines. Prints the folder graph.
Exit 0 when clean, 1 with one line per violation.
"""
import os
import re
import sys
from collections import defaultdict

MAX_LINES = 800
# bottom-up; folders on one line are one layer and must not include each other
LAYERS = [
    ["common"],
    ["event"],
    ["engine", "store"],
    ["engine/sim", "engine/fwpuclnt"],
    ["capture", "import"],
    ["whitelist"],
    ["service"],
    ["ui", "fleet"],
    ["cli"],
]
NOT_PRODUCT = ("tests", "bench", "scripts", "build", "docs", "cmake", ".git")
RANK = {f: i for i, layer in enumerate(LAYERS) for f in layer}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# The OS layer is the only way to the OS for these: files by name (UTF-8 paths on Windows need
# _wfopen) and threads (no pthread in Windows code). Allowed only in the files that implement it.
OS_ONLY = [
    (re.compile(r'\bfopen\s*\('), "fopen: use wl_os_fopen (common/wl_os.h)",
     ("common/os_posix.c", "common/os_win.c")),
    (re.compile(r'\bpthread_|<pthread\.h>'), "pthread: use common/wl_thread.h",
     ("common/thread_posix.c",)),
]


def folder_of(path):
    d = os.path.dirname(path)
    return d


def main(root):
    bad = []
    edges = defaultdict(set)
    for dirpath, dirnames, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        top = rel_dir.split(os.sep)[0]
        if top in NOT_PRODUCT or top.startswith("build"):
            dirnames[:] = []
            continue
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            src = folder_of(rel)
            if src not in RANK:
                bad.append(f"{rel}: folder '{src}' is in no layer (scripts/checks/layers.py)")
                continue
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
            if len(lines) > MAX_LINES:
                bad.append(f"{rel}: {len(lines)} lines (product files stay under {MAX_LINES})")
            for no, line in enumerate(lines, 1):
                code = line.split("//")[0]
                if not code.lstrip().startswith(("*", "/*")):
                    for pat, why, allowed in OS_ONLY:
                        if pat.search(code) and rel not in allowed:
                            bad.append(f"{rel}:{no}: {why}")
                m = INCLUDE.match(line)
                if not m or "/" not in m.group(1):
                    continue
                dst = folder_of(m.group(1))
                where = f"{rel}:{no}: includes {m.group(1)}"
                if dst.split("/")[0] in NOT_PRODUCT:
                    bad.append(f"{where}: product code never includes {dst}/")
                    continue
                if dst not in RANK:
                    bad.append(f"{where}: folder '{dst}' is in no layer")
                    continue
                if dst == src:
                    continue
                edges[src].add(dst)
                if RANK[dst] < RANK[src]:
                    continue
                if src.startswith(dst + "/"):
                    continue  # a backend includes the contract it implements
                kind = "sideways" if RANK[dst] == RANK[src] else "up"
                bad.append(f"{where}: points {kind} ({src} is layer {RANK[src]}, "
                           f"{dst} is layer {RANK[dst]})")
    cycles = find_cycles(edges)
    for c in cycles:
        bad.append("cycle between folders (they include each other, directly or not): "
                   + ", ".join(c))
    print("folder graph (folder -> folders it includes):")
    for src in sorted(edges, key=lambda f: (RANK.get(f, 99), f)):
        print(f"  {src:16} -> {', '.join(sorted(edges[src], key=lambda f: (RANK.get(f, 99), f)))}")
    n_edges = sum(len(v) for v in edges.values())
    print(f"{len(RANK)} folders, {n_edges} edges, {len(cycles)} cycles")
    for b in bad:
        print("LAYERS: " + b)
    return 1 if bad else 0


def find_cycles(edges):
    """Folders on a cycle, one path per strongly connected component (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
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
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
