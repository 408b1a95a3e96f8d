#!/usr/bin/env python3
"""Fails when a file of a crate imports, directly or through others, a file that imports it back.

A file "imports" another when it names an item of the other's module through a path
(`crate::…`, `super::…`, `self::…`, or a child module's name), in a `use` or inline. Declaring a
submodule (`mod x;`) is not an import. Each crate under crates/ is checked on its own (its
`src/`); a cycle is printed with the files it goes through.

Usage: .ci/check-import-cycles.py [crates-dir]
"""

import re
import sys
from pathlib import Path

ROOTS = ("lib.rs", "main.rs")


def strip(text: str) -> str:
    """Removes comments, string and char literals (roughly, enough for paths and braces)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r'r(#*)".*?"\1', '""', text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text, flags=re.S)
    text = re.sub(r"'(?:\\.|[^'\\])'", "' '", text)
    text = re.sub(r"//[^\n]*", " ", text)
    return text


class Crate:
    def __init__(self, src: Path):
        self.src = src
        # module path (tuple) -> file
        self.files: dict[tuple, Path] = {}
        for root in ROOTS:
            if (src / root).exists():
                self.scan(src / root, ())
        self.module_of = {f: m for m, f in self.files.items()}

    def child_file(self, file: Path, module: tuple, name: str) -> Path | None:
        base = file.parent if file.name in ROOTS + ("mod.rs",) else file.parent / file.stem
        for cand in (base / f"{name}.rs", base / name / "mod.rs"):
            if cand.exists():
                return cand
        return None

    def scan(self, file: Path, module: tuple):
        if module in self.files:
            return
        self.files[module] = file
        text = strip(file.read_text(encoding="utf-8"))
        # Only file modules: `mod name;` (possibly with attributes / visibility before it).
        for m in re.finditer(r"\bmod\s+(\w+)\s*;", text):
            child = self.child_file(file, module, m.group(1))
            if child is not None:
                self.scan(child, module + (m.group(1),))

    def resolve(self, module: tuple) -> Path:
        """The file of the deepest file module that `module` starts with."""
        while module not in self.files:
            module = module[:-1]
        return self.files[module]

    def children(self, module: tuple) -> set[str]:
        n = len(module)
        return {m[n] for m in self.files if len(m) == n + 1 and m[:n] == module}


def expand_use(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"] (aliases and globs dropped)."""
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix: str, s: str):
        i = s.find("{")
        if i < 0:
            for part in split_top(s):
                part = part.split("as")[0] if re.search(r"\bas\b", part) else part
                out.append(prefix + part)
            return
        head, body = s[:i], s[i + 1 : s.rfind("}")]
        for part in split_top(body):
            walk(prefix + head, part)

    for top in split_top(tree):
        walk("", top)
    return out


def split_top(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return [p for p in parts if p]


def imports(crate: Crate, file: Path) -> set[Path]:
    module = crate.module_of[file]
    text = strip(file.read_text(encoding="utf-8"))
    found: set[Path] = set()

    # Inline modules shift `self`/`super`: track `mod name {` blocks by brace depth.
    stack: list[tuple[str, int]] = []
    depth = 0
    current = list(module)
    pending_mod = None
    paths: list[tuple[tuple, str]] = []  # (module at that point, path text)
    for tok in re.finditer(r"\buse\b[^;]*;|\bmod\s+\w+\s*\{|[{}]|\b(?:crate|super|self|\w+)(?:::\w+)+", text):
        t = tok.group(0)
        if t.startswith("mod") and t.endswith("{"):
            pending_mod = re.match(r"mod\s+(\w+)", t).group(1)
            depth += 1
            stack.append((pending_mod, depth))
            current.append(pending_mod)
        elif t == "{":
            depth += 1
        elif t == "}":
            if stack and stack[-1][1] == depth:
                stack.pop()
                current.pop()
            depth -= 1
        elif t.startswith("use"):
            body = t[3:-1].strip()
            for p in expand_use(body):
                paths.append((tuple(current), p))
        else:
            paths.append((tuple(current), t))

    for here, p in paths:
        segs = [s for s in p.split("::") if s and s != "*"]
        if not segs:
            continue
        if segs[0] == "crate":
            target = ()
            segs = segs[1:]
        elif segs[0] in ("super", "self"):
            target = list(here)
            while segs and segs[0] in ("super", "self"):
                if segs[0] == "super":
                    target = target[:-1]
                segs = segs[1:]
            target = tuple(target)
        elif segs[0] in crate.children(here):
            target = here
        else:
            continue  # an external crate, std, or a local item
        for s in segs:
            if target + (s,) in crate.files:
                target = target + (s,)
            else:
                break
        dest = crate.resolve(target)
        if dest != file:
            found.add(dest)
    return found


def cycles(graph: dict[Path, set[Path]]) -> list[list[Path]]:
    """Strongly connected components with more than one file (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def main() -> int:
    crates_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "crates")
    failed = False
    for src in sorted(crates_dir.glob("*/src")):
        crate = Crate(src)
        graph = {f: imports(crate, f) for f in crate.files.values()}
        for comp in cycles(graph):
            failed = True
            names = ", ".join(str(f.relative_to(src.parent)) for f in comp)
            print(f"import cycle in {src.parent.name}: {names}")
            for f in comp:
                back = sorted(str(g.relative_to(src.parent)) for g in graph[f] if g in comp)
                print(f"  {f.relative_to(src.parent)} imports {', '.join(back)}")
    if not failed:
        print("no import cycles among the files of any crate")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
