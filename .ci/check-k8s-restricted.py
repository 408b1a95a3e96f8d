#!/usr/bin/env python3
"""Checks the Kubernetes manifests for what a schema validator cannot see: the "restricted"
Pod Security Standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
pinned images that are not pulled on every start, a startup probe on long-running pods, and
Jobs whose name carries the release. Usage: check-k8s-restricted.py FILE...; exit 1 on a finding."""
import sys

import yaml

ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
findings = []


def pod_spec(doc):
    kind = doc.get("kind")
    if kind == "Pod":
        return doc.get("spec", {})
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return doc.get("spec", {}).get("template", {}).get("spec", {})
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def check(path, doc):
    spec = pod_spec(doc)
    if spec is None:
        return
    name = f"{path}: {doc['kind']}/{doc['metadata'].get('name')}"

    def bad(msg):
        findings.append(f"{name}: {msg}")

    pod_sc = spec.get("securityContext") or {}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            bad(f"{key} is set")
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            bad(f"volume {volume['name']} is of a type the restricted profile forbids: {sorted(kinds)}")
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    for c in containers:
        sc = c.get("securityContext") or {}
        where = f"container {c['name']}"
        if sc.get("privileged"):
            bad(f"{where} is privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            bad(f"{where}: securityContext.allowPrivilegeEscalation must be false")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            bad(f"{where}: securityContext.capabilities.drop must contain ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            bad(f"{where}: adds capabilities {caps['add']}")
        if not (sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True):
            bad(f"{where}: runAsNonRoot must be true (pod or container)")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
            bad(f"{where}: runs as user 0")
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            bad(f"{where}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container)")
        image = c.get("image", "")
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag and "@" not in image or tag == "latest":
            bad(f"{where}: image {image!r} must name a release tag or digest, not latest")
        if c.get("imagePullPolicy") == "Always":
            bad(f"{where}: imagePullPolicy Always pulls on every start")
        if doc["kind"] != "Job" and c in (spec.get("containers") or []) and "startupProbe" not in c:
            bad(f"{where}: no startupProbe (serve migrates before it listens)")
    if doc["kind"] == "Job":
        job_name = doc["metadata"].get("name", "")
        if not any(ch.isdigit() for ch in job_name):
            bad("a Job's template cannot change in place: its name must carry the release (e.g. curricula-migrate-0-1-0)")
        if "ttlSecondsAfterFinished" not in doc["spec"]:
            bad("no ttlSecondsAfterFinished: finished Jobs pile up")


for path in sys.argv[1:]:
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc:
                check(path, doc)
for finding in findings:
    print(finding, file=sys.stderr)
print(f"{len(sys.argv) - 1} file(s) checked against the restricted profile: {len(findings)} finding(s)")
sys.exit(1 if findings else 0)
