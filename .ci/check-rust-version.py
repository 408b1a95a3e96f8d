#!/usr/bin/env python3
"""The workspace's rust-version must be at least what every locked dependency declares
(the highest `rust-version` among the packages of Cargo.lock that build for this target), or
`cargo build` on that Rust fails although Cargo.toml says it works. Prints the packages that
set the bar. Usage: check-rust-version.py (from the repository root)."""
import json
import subprocess
import sys
import tomllib


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


target = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
host = next(line.split(": ", 1)[1] for line in target.splitlines() if line.startswith("host: "))
meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--locked", "--format-version", "1", "--filter-platform", host],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
)
members = set(meta["workspace_members"])
resolved = {node["id"] for node in meta["resolve"]["nodes"]}
with open("Cargo.toml", "rb") as f:
    workspace = tomllib.load(f)["workspace"]["package"]["rust-version"]
# Each member must inherit it (`rust-version.workspace = true`), or cargo never checks it.
stray = [f"{p['name']} ({p.get('rust_version') or 'none'})" for p in meta["packages"]
         if p["id"] in members and p.get("rust_version") != workspace]
if stray:
    sys.exit(f"members without the workspace's rust-version {workspace}: {', '.join(stray)} "
             "(add `rust-version.workspace = true` to their [package])")
needs = [(version(p["rust_version"]), p["name"], p["version"]) for p in meta["packages"]
         if p["id"] in resolved and p["id"] not in members and p.get("rust_version")]
needs.sort(reverse=True)
bar = needs[0][0] if needs else (0, 0, 0)
top = [f"{name} {ver} ({'.'.join(map(str, v))})" for v, name, ver in needs if v == bar]
print(f"workspace rust-version {workspace}; the lockfile needs {'.'.join(map(str, bar))}: {', '.join(top)}")
if version(workspace) < bar:
    sys.exit(f"rust-version {workspace} is lower than what the locked dependencies need: set it to {'.'.join(map(str, bar[:2]))}")
