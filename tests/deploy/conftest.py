"""Rendered Kubernetes manifests and the compose file, loaded once per test session."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VALIDATE = REPO / "deploy" / "validate"
OVERLAYS = ("dev", "prod")

Manifest = dict[str, Any]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Manifest]]:
    """Every object of each overlay, rendered by kustomize through ``deploy/validate``."""
    out = tmp_path_factory.mktemp("rendered")
    result = subprocess.run(
        [str(VALIDATE), "--render-only", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,  # the first run builds kustomize from the Go module proxy
        check=False,
    )
    assert result.returncode == 0, f"rendering failed:\n{result.stdout}\n{result.stderr}"
    return {
        overlay: [d for d in yaml.safe_load_all((out / f"{overlay}.yaml").read_text()) if d]
        for overlay in OVERLAYS
    }


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """docker-compose.yml with its YAML merge keys resolved."""
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def of_kind(objects: list[Manifest], *kinds: str) -> Iterator[Manifest]:
    """The objects of the given kinds."""
    return (o for o in objects if o["kind"] in kinds)


def named(objects: list[Manifest], kind: str, name: str) -> Manifest:
    """The one object of ``kind`` called ``name``."""
    matches = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} named {name}, found {len(matches)}"
    return matches[0]
