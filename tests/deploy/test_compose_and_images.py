"""docker-compose.yml, the Dockerfiles and .env.example agree with the services they run."""

from __future__ import annotations

import importlib
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices

from common.settings import BaseServiceSettings
from tests.deploy.conftest import REPO

# service folder -> (compose service, env prefix, HTTP port)
SERVICES = {
    "auth": ("auth", "MOCKSY_AUTH_", 8001),
    "interview-builder": ("interview-builder", "MOCKSY_BUILDER_", 8002),
    "voice-agent": ("voice-agent", "MOCKSY_VOICE_", 8003),
    "scoring": ("scoring", "MOCKSY_SCORING_", 8004),
    "history": ("history", "MOCKSY_HISTORY_", 8005),
}
WORKSPACE_MEMBERS = sorted(
    p.parent.relative_to(REPO).as_posix()
    for pattern in (
        "libs/*/pyproject.toml",
        "services/*/pyproject.toml",
        "clients/*/pyproject.toml",
    )
    for p in REPO.glob(pattern)
)
# Settings fields that are not configuration an operator sets.
INTERNAL_FIELDS = {"service_name"}


def documented_variables() -> set[str]:
    """Names .env.example sets or shows commented out (``# NAME=example``)."""
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def settings_classes() -> list[type[BaseServiceSettings]]:
    """Every service's settings class that has landed so far."""
    found = []
    for folder in SERVICES:
        package = folder.replace("-", "_")
        if not (REPO / "services" / folder / "src" / package / "settings.py").exists():
            continue
        module = importlib.import_module(f"{package}.settings")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, BaseServiceSettings)
            and value is not BaseServiceSettings
            and value.__module__ == module.__name__
        ]
    return found


def variable_names(settings: type[BaseServiceSettings]) -> dict[str, set[str]]:
    """For each field, the environment variables that set it."""
    prefix = settings.model_config.get("env_prefix", "")
    names = {}
    for name, field in settings.model_fields.items():
        if isinstance(field.validation_alias, AliasChoices):
            names[name] = {str(choice) for choice in field.validation_alias.choices}
        else:
            names[name] = {f"{prefix}{name}".upper()}
    return names


def test_env_example_documents_every_setting_of_every_service() -> None:
    documented = documented_variables()
    classes = settings_classes()
    assert classes, "no settings class found"
    missing = [
        f"{settings.__name__}.{field} ({' or '.join(sorted(names))})"
        for settings in classes
        for field, names in variable_names(settings).items()
        if field not in INTERNAL_FIELDS and not names & documented
    ]
    assert not missing, f".env.example lacks {missing}"


def test_env_example_documents_nothing_the_services_do_not_read(compose: dict[str, Any]) -> None:
    read_by_services = {
        name
        for settings in settings_classes()
        for names in variable_names(settings).values()
        for name in names
    }
    read_by_compose = set(
        re.findall(r"\$\{([A-Z0-9_]+)", (REPO / "docker-compose.yml").read_text())
    )
    landed_prefixes = {s.model_config.get("env_prefix", "") for s in settings_classes()}
    stale = [
        name
        for name in documented_variables() - read_by_services - read_by_compose
        # A service whose settings have not landed yet keeps its planned names.
        if any(name.startswith(prefix) for prefix in landed_prefixes)
    ]
    assert not stale, f".env.example documents variables nothing reads: {stale}"


def test_every_compose_variable_is_documented() -> None:
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (REPO / "docker-compose.yml").read_text()))
    assert used - documented_variables() == set()


def test_compose_runs_the_real_servers_every_service_and_two_voice_workers(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["mongodb"]["image"].startswith("mongo:7")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["keycloak"]["command"] == ["start-dev", "--import-realm"]
    assert any(
        v.startswith("./deploy/keycloak/mocksy-realm.json:/opt/keycloak/data/import/")
        for v in services["keycloak"]["volumes"]
    )
    assert {"livekit", "prometheus", "grafana", "kafka-topics"} <= set(services)
    for folder, (name, _, _) in SERVICES.items():
        assert services[name]["build"]["dockerfile"] == f"services/{folder}/Dockerfile"
    worker = services["voice-worker"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["command"] == ["worker", "start"]
    assert worker["stop_grace_period"] == "45m"


@pytest.mark.parametrize("folder", SERVICES)
def test_compose_serves_each_api_on_all_interfaces_at_its_port(
    compose: dict[str, Any], folder: str
) -> None:
    name, prefix, port = SERVICES[folder]
    environment = compose["services"][name]["environment"]
    assert environment[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    assert environment[f"{prefix}HTTP_PORT"] == str(port)
    assert compose["services"][name]["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_compose_mounts_only_files_that_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_prometheus_scrapes_every_service_and_the_workers() -> None:
    config = (REPO / "deploy/compose/prometheus.yml").read_text()
    for name, _, port in SERVICES.values():
        assert f"names: [{name}], type: A, port: {port}" in config
    assert "names: [voice-worker], type: A, port: 8081" in config


# ---------------------------------------------------------------- Dockerfiles


def dockerfile(folder: str) -> str:
    """The text of a service's Dockerfile."""
    return (REPO / "services" / folder / "Dockerfile").read_text()


def console_scripts(folder: str) -> dict[str, str]:
    """[project.scripts] of a service."""
    with (REPO / "services" / folder / "pyproject.toml").open("rb") as f:
        scripts: dict[str, str] = tomllib.load(f)["project"].get("scripts", {})
    return scripts


@pytest.mark.parametrize("folder", SERVICES)
def test_image_is_built_in_two_stages_from_the_lock(folder: str) -> None:
    text = dockerfile(folder)
    assert len(re.findall(r"^FROM ", text, flags=re.MULTILINE)) == 2
    package = f"mocksy-{folder}"
    assert f"uv sync --locked --no-dev --no-install-workspace --package {package}" in text
    assert f"uv sync --locked --no-dev --no-editable --package {package}" in text
    assert "COPY --from=builder /app/.venv /app/.venv" in text


@pytest.mark.parametrize("folder", SERVICES)
def test_image_copies_every_workspace_manifest_so_the_lock_check_passes(folder: str) -> None:
    # The lock made in the image covers every member: a new member needs a COPY line.
    text = dockerfile(folder)
    for member in WORKSPACE_MEMBERS:
        assert f"COPY {member}/pyproject.toml {member}/" in text, member


@pytest.mark.parametrize("folder", SERVICES)
def test_image_runs_as_a_non_root_user_and_checks_health(folder: str) -> None:
    text = dockerfile(folder)
    _, prefix, port = SERVICES[folder]
    assert re.search(r"^USER 10001:10001$", text, flags=re.MULTILINE)
    assert "/healthz" in text.split("HEALTHCHECK", 1)[1]
    assert f"{prefix}HTTP_HOST=0.0.0.0" in text
    assert f"{prefix}HTTP_PORT={port}" in text
    assert re.search(rf"^EXPOSE {port}\b", text, flags=re.MULTILINE)


@pytest.mark.parametrize("folder", SERVICES)
def test_image_entrypoint_is_the_services_console_script(folder: str) -> None:
    scripts = console_scripts(folder)
    entrypoint = re.search(r'^ENTRYPOINT \["([^"]+)"\]', dockerfile(folder), flags=re.MULTILINE)
    assert entrypoint is not None
    if scripts:  # a service whose CLI has not landed keeps the planned name
        assert entrypoint.group(1) in scripts


def test_voice_image_carries_espeak_ng() -> None:
    assert "apt-get install --yes --no-install-recommends espeak-ng" in dockerfile("voice-agent")


def test_docker_context_keeps_what_the_images_copy() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for needed in ("libs", "services", "clients", "constraints.txt", "pyproject.toml"):
        assert needed not in ignored
    assert "**/.venv" in ignored
    assert "**/.git" in ignored


def test_dockerfiles_exist_for_every_service() -> None:
    folders = {p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").exists()}
    assert folders == set(SERVICES)
    assert all(Path(REPO / "services" / f / "Dockerfile").exists() for f in folders)


def test_env_example_values_are_accepted_by_every_service() -> None:
    for settings in settings_classes():
        loaded = settings(_env_file=REPO / ".env.example")
        assert loaded.environment == "development", settings.__name__


@pytest.mark.parametrize("folder", ["interview-builder", "voice-agent", "scoring"])
def test_the_command_the_image_runs_exists(folder: str) -> None:
    command = re.search(r'^CMD \["([^"]+)"\]', dockerfile(folder), flags=re.MULTILINE)
    assert command is not None
    script = REPO / ".venv" / "bin" / next(iter(console_scripts(folder)))
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert command.group(1) in result.stdout, f"{script.name} has no `{command.group(1)}`"
