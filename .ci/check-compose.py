#!/usr/bin/env python3
"""Checks what the compose file must do for a working run that no schema says: the bucket the
service stores in is created before the service starts, the migration runs first, and launch
URLs use per-tenant content hosts ({tenant} in the host of content.public_base_url).
Usage: check-compose.py deploy/docker-compose.yml; exit 1 on a finding."""
import sys
from urllib.parse import urlsplit

import yaml

path = sys.argv[1]
with open(path) as f:
    compose = yaml.safe_load(f)
services = compose["services"]
findings = []
app = services["curricula"]
env = app["environment"]
storage = urlsplit(env["CURRICULA__STORAGE__URL"])
if storage.scheme == "s3":
    bucket = storage.netloc
    makers = [name for name, s in services.items()
              if f"mb --ignore-existing local/{bucket}" in " ".join(map(str, s.get("command") or []))]
    if not makers:
        findings.append(f"no service creates the bucket {bucket!r} that CURRICULA__STORAGE__URL names")
    for maker in makers:
        if app.get("depends_on", {}).get(maker, {}).get("condition") != "service_completed_successfully":
            findings.append(f"curricula does not wait for {maker} (the bucket) to complete")
if app.get("depends_on", {}).get("migrate", {}).get("condition") != "service_completed_successfully":
    findings.append("curricula does not wait for migrate to complete")
for name, service in services.items():
    environment = service.get("environment") or {}
    if "CURRICULA__DATABASE__URL" in environment:
        base = environment.get("CURRICULA__CONTENT__PUBLIC_BASE_URL", "")
        if "{tenant}" not in urlsplit(base).netloc:
            findings.append(f"{name}: CURRICULA__CONTENT__PUBLIC_BASE_URL {base!r} has no {{tenant}} in its host")
        if not environment.get("CURRICULA__CONTENT__SECRET"):
            findings.append(f"{name}: no CURRICULA__CONTENT__SECRET (launch URLs would die on every restart)")
for finding in findings:
    print(f"{path}: {finding}", file=sys.stderr)
print(f"{path}: {len(services)} services checked: {len(findings)} finding(s)")
sys.exit(1 if findings else 0)
