"""Validate the custom resources in rendered manifests against the schemas beside this file.

kubernetes-validate knows only Kubernetes' own kinds; a custom resource (KEDA's ScaledObject)
is checked here against ``<group>_<version>_<kind>.json`` instead. Usage:

    python deploy/k8s/schemas/check_custom_resources.py RENDERED.yaml [...]

Exits 1 when a custom resource breaks its schema, or when a kind outside Kubernetes' built-in
API groups has no schema here (it would otherwise go unchecked).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parent

# API groups whose kinds kubernetes-validate ships schemas for.
BUILT_IN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "certificates.k8s.io",
        "node.k8s.io",
    }
)


def schema_file(api_version: str, kind: str) -> Path:
    """Where the schema of ``kind`` in ``api_version`` (``group/version``) lives."""
    group, _, version = api_version.rpartition("/")
    return SCHEMAS / f"{group}_{version}_{kind.lower()}.json"


def check(paths: list[Path]) -> int:
    """Validate every custom resource in ``paths``; print one line per object; count failures."""
    failures = 0
    for path in paths:
        for document in yaml.safe_load_all(path.read_text()):
            if not isinstance(document, dict):
                continue
            api_version = str(document.get("apiVersion", ""))
            kind = str(document.get("kind", ""))
            group = api_version.rpartition("/")[0]
            if group in BUILT_IN_GROUPS:
                continue
            name = document.get("metadata", {}).get("name", "?")
            label = f"{kind}/{name} ({api_version})"
            schema_path = schema_file(api_version, kind)
            if not schema_path.exists():
                sys.stderr.write(f"  FAIL  {label}: no schema at {schema_path.name}\n")
                failures += 1
                continue
            failures += report(label, document, json.loads(schema_path.read_text()))
    return failures


def report(label: str, document: dict[str, Any], schema: dict[str, Any]) -> int:
    """Print the schema errors of one object; return 1 if it has any."""
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    if not errors:
        sys.stdout.write(f"  ok    {label}\n")
        return 0
    for error in errors:
        where = ".".join(str(p) for p in error.absolute_path) or "(root)"
        sys.stderr.write(f"  FAIL  {label}: {where}: {error.message}\n")
    return 1


def main() -> None:
    """Entry point: validate the files named on the command line."""
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(1 if check([Path(p) for p in sys.argv[1:]]) else 0)


if __name__ == "__main__":
    main()
