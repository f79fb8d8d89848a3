"""docker-compose.yml, the service image and .env.example agree with the services they run."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices

from common.settings import BaseServiceSettings
from tests.deploy.conftest import REPO
from tests.deploy.dockerfile import Image, read_image

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
# The arguments the image gives its console script when it is given none.
EXPECTED_DEFAULT_ARGS = {
    "interview-builder": ["serve"],
    "voice-agent": ["serve"],
    "scoring": ["serve"],
}
SERVICE_DOCKERFILE = "deploy/docker/service.Dockerfile"
VENV_BIN = REPO / ".venv" / "bin"
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


# ---------------------------------------------------------------- the service image
# One Dockerfile builds every service; each compose service's build args pick which, so the
# checks below read the image each service's args make.


def image(compose: dict[str, Any], folder: str) -> Image:
    """The image compose builds for the service in ``services/<folder>``."""
    build = compose["services"][SERVICES[folder][0]]["build"]
    args = {name: str(value) for name, value in build["args"].items()}
    return read_image((REPO / build["dockerfile"]).read_text(), args)


def console_scripts(folder: str) -> dict[str, str]:
    """[project.scripts] of a service."""
    with (REPO / "services" / folder / "pyproject.toml").open("rb") as f:
        scripts: dict[str, str] = tomllib.load(f)["project"].get("scripts", {})
    return scripts


def run_in_image_env(
    built: Image, argv: tuple[str, ...], path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` here with the image's environment, commands found first in ``path``."""
    environment = {**built.env, **env, "PATH": f"{path}:{os.environ['PATH']}"}
    return subprocess.run(
        list(argv), env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def installs_dependencies_only(run: str) -> bool:
    """Whether a RUN is the sync that installs third-party dependencies, not the workspace."""
    return "--no-install-workspace" in run


def test_compose_builds_every_service_and_the_worker_from_the_one_dockerfile(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, _, _ in SERVICES.values():
        assert services[name]["build"]["context"] == "."
        assert services[name]["build"]["dockerfile"] == SERVICE_DOCKERFILE
    assert services["voice-worker"]["build"] == services["voice-agent"]["build"]
    assert services["voice-worker"]["image"] == services["voice-agent"]["image"]


@pytest.mark.parametrize("folder", SERVICES)
def test_compose_gives_the_image_every_build_arg_it_needs_and_no_other(
    compose: dict[str, Any], folder: str
) -> None:
    built = image(compose, folder)
    # BuildKit ignores an arg no ARG declares (a typo would go unnoticed but for a warning).
    assert built.unused_args == frozenset()
    required = re.findall(r"^ARG (\w+)$", (REPO / SERVICE_DOCKERFILE).read_text(), re.MULTILINE)
    assert required, "the Dockerfile declares no required ARG"
    given = compose["services"][SERVICES[folder][0]]["build"]["args"]
    assert set(required) <= set(given), f"missing {set(required) - set(given)}"


@pytest.mark.parametrize("folder", SERVICES)
def test_image_is_built_in_two_stages_from_the_lock(compose: dict[str, Any], folder: str) -> None:
    builder, runtime = image(compose, folder).stages
    package = f"mocksy-{folder}"
    runs = builder.texts("RUN")
    assert any(
        re.search(rf'uv sync --locked --no-dev --no-install-workspace --package "?{package}"?$', r)
        for r in runs
    ), runs
    assert any(
        re.search(rf'uv sync --locked --no-dev --no-editable --package "?{package}"?$', r)
        for r in runs
    ), runs
    assert "--from=builder /app/.venv /app/.venv" in runtime.texts("COPY")


@pytest.mark.parametrize("folder", SERVICES)
def test_image_copies_every_manifest_before_the_dependencies_and_its_sources_after(
    compose: dict[str, Any], folder: str
) -> None:
    # The lock made in the image covers every member: a new member needs a COPY line. Sources
    # come after the dependency layer so that editing them keeps that layer cached.
    builder = image(compose, folder).stages[0]
    steps = [(i.keyword, i.text) for i in builder.instructions]
    dependencies = next(
        n for n, (k, text) in enumerate(steps) if k == "RUN" and installs_dependencies_only(text)
    )
    for member in WORKSPACE_MEMBERS:
        assert steps.index(("COPY", f"{member}/pyproject.toml {member}/")) < dependencies, member
    copied_before = [text.split()[:-1] for k, text in steps[:dependencies] if k == "COPY"]
    assert all(
        source.endswith(("pyproject.toml", "constraints.txt"))
        for sources in copied_before
        for source in sources
    ), copied_before
    for sources in ("libs/common/", f"services/{folder}/"):
        assert steps.index(("COPY", f"{sources} {sources}")) > dependencies, sources


@pytest.mark.parametrize("folder", SERVICES)
def test_image_runs_as_a_non_root_user_on_all_interfaces_at_its_port(
    compose: dict[str, Any], folder: str
) -> None:
    built = image(compose, folder)
    _, prefix, port = SERVICES[folder]
    assert built.user == "10001:10001"
    assert built.env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    assert built.env[f"{prefix}HTTP_PORT"] == str(port)
    assert built.exposed[0] == str(port)
    assert built.exposed[1:] == (("8081",) if folder == "voice-agent" else ())


@pytest.mark.parametrize("folder", SERVICES)
def test_image_health_check_asks_the_services_own_port_for_healthz(
    compose: dict[str, Any], folder: str
) -> None:
    built = image(compose, folder)
    _, prefix, _ = SERVICES[folder]
    asked: list[str] = []

    class Healthz(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # The service's port variable moved to where this server listens: the check follows it.
        healthy = run_in_image_env(
            built, built.healthcheck, VENV_BIN, **{f"{prefix}HTTP_PORT": str(server.server_port)}
        )
    finally:
        server.shutdown()
        server.server_close()
    assert healthy.returncode == 0, healthy.stderr
    assert asked == ["/healthz"]
    down = run_in_image_env(
        built, built.healthcheck, VENV_BIN, **{f"{prefix}HTTP_PORT": str(server.server_port)}
    )
    assert down.returncode != 0


@pytest.mark.parametrize("folder", SERVICES)
def test_image_runs_the_services_console_script_with_the_arguments_it_is_given(
    compose: dict[str, Any], folder: str, tmp_path: Path
) -> None:
    built = image(compose, folder)
    command = built.env["MOCKSY_IMAGE_COMMAND"]
    assert command in console_scripts(folder)
    # A stand-in for the console script that prints how it was called.
    (tmp_path / command).write_text('#!/bin/sh\nprintf "%s|" "${0##*/}" "$@"\n')
    (tmp_path / command).chmod(0o755)
    given = run_in_image_env(built, (*built.entrypoint, "worker", "start now"), tmp_path)
    assert given.stdout == f"{command}|worker|start now|", given.stderr
    default = run_in_image_env(built, built.entrypoint + built.cmd, tmp_path)
    expected = "".join(f"{word}|" for word in [command, *EXPECTED_DEFAULT_ARGS.get(folder, [])])
    assert default.stdout == expected, default.stderr


@pytest.mark.parametrize("folder", EXPECTED_DEFAULT_ARGS)
def test_the_command_the_image_runs_by_default_exists(compose: dict[str, Any], folder: str) -> None:
    built = image(compose, folder)
    default_args = built.env["MOCKSY_IMAGE_DEFAULT_ARGS"].split()
    assert default_args == EXPECTED_DEFAULT_ARGS[folder]
    # The real console script, through the image's entrypoint; argparse rejects an unknown command.
    result = run_in_image_env(built, (*built.entrypoint, *default_args, "--help"), VENV_BIN)
    assert result.returncode == 0, result.stderr
    assert f"{built.env['MOCKSY_IMAGE_COMMAND']} {' '.join(default_args)}" in result.stdout


@pytest.mark.parametrize("folder", SERVICES)
def test_only_the_voice_image_installs_system_packages(
    compose: dict[str, Any], folder: str
) -> None:
    runtime = image(compose, folder).stages[-1]
    apt = [r for r in runtime.texts("RUN") if "apt-get" in r]
    assert len(apt) == 1, apt
    guard = re.match(
        r'if \[ -n "([^"]*)" \]; then apt-get update '
        r"&& apt-get install --yes --no-install-recommends \1 ",
        apt[0],
    )
    assert guard is not None, apt[0]
    assert guard.group(1) == ("espeak-ng" if folder == "voice-agent" else "")


def test_docker_context_keeps_what_the_images_copy() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for needed in ("libs", "services", "clients", "constraints.txt", "pyproject.toml"):
        assert needed not in ignored
    assert "**/.venv" in ignored
    assert "**/.git" in ignored


def test_no_service_keeps_a_dockerfile_of_its_own() -> None:
    folders = {p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").exists()}
    assert folders == set(SERVICES)
    assert (REPO / SERVICE_DOCKERFILE).exists()
    assert sorted(REPO.glob("services/*/Dockerfile")) == []


def test_env_example_values_are_accepted_by_every_service() -> None:
    for settings in settings_classes():
        loaded = settings(_env_file=REPO / ".env.example")
        assert loaded.environment == "development", settings.__name__
