"""The Kubernetes manifests as operators get them: rendered overlays, checked for what matters."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter

from history.settings import HistorySettings
from tests.deploy.conftest import OVERLAYS, REPO, VALIDATE, Manifest, named, of_kind
from tests.deploy.reachability import Endpoint, Reachability, pods_of

APIS = ("auth", "interview-builder", "voice-agent", "scoring", "history")
APPS = (*APIS, "voice-worker")
# The one writer of history's read models: history's Kafka consumers, apart from its API.
PROJECTOR = "history-projector"
SERVICE_PODS = (*APPS, PROJECTOR)
# The history API runs no consumers (MOCKSY_HISTORY_CONSUME_EVENTS=false), so no Kafka client.
KAFKA_CLIENTS = tuple(p for p in SERVICE_PODS if p != "history")
WORKLOADS = ("Deployment", "StatefulSet", "Job")
# Secrets the manifests reference; operators create them (deploy/k8s/README.md).
REFERENCED_SECRETS = {"mocksy-mongodb", "mocksy-livekit", "mocksy-auth", "keycloak-admin"}
SCALED_OBJECT_SCHEMA = REPO / "deploy/k8s/schemas/keda.sh_v1alpha1_scaledobject.json"


def pod_spec(workload: Manifest) -> dict[str, Any]:
    """The pod template's spec of a Deployment, StatefulSet or Job."""
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def is_mocksy(workload: Manifest) -> bool:
    """Whether the workload is one of Mocksy's services (not a dev overlay's server)."""
    return bool(workload["metadata"]["labels"].get("app.kubernetes.io/part-of") == "mocksy")


def environment(objects: list[Manifest], container: dict[str, Any]) -> dict[str, str]:
    """A container's plain variables as the kubelet sets them: its ConfigMaps in order, then
    ``env`` on top (secret references left out)."""
    config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(objects, "ConfigMap")}
    variables: dict[str, str] = {}
    for source in container.get("envFrom", []):
        variables.update(config_maps[source["configMapRef"]["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            variables[variable["name"]] = variable["value"]
    return variables


def image_name(image: str) -> str:
    """An image reference without its tag or digest."""
    name = image.split("@")[0]
    repository, _, tag = name.rpartition(":")
    return repository if repository and "/" not in tag else name


def consumes_history_events(objects: list[Manifest], workload: Manifest) -> bool:
    """Whether a workload runs history's Kafka consumers, read as HistorySettings reads it."""
    consume = HistorySettings.model_fields["consume_events"].default
    for container in pod_spec(workload)["containers"]:
        if image_name(container["image"]).endswith("mocksy/history"):
            value = environment(objects, container).get("MOCKSY_HISTORY_CONSUME_EVENTS")
            if TypeAdapter(bool).validate_python(consume if value is None else value):
                return True
    return False


@pytest.mark.slow
def test_deploy_validate_passes_every_check() -> None:
    result = subprocess.run(
        [str(VALIDATE)], capture_output=True, text=True, timeout=1200, check=False
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "all checks passed" in result.stdout
    for overlay in OVERLAYS:
        assert f"ok    {overlay} on Kubernetes 1.37.0" in result.stdout
    assert "ok    ScaledObject/voice-worker (keda.sh/v1alpha1)" in result.stdout


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_and_the_voice_worker_is_deployed(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    deployments = {d["metadata"]["name"] for d in of_kind(rendered[overlay], "Deployment")}
    assert set(APPS) <= deployments


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_probes_requests_and_limits(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    for workload in of_kind(rendered[overlay], *WORKLOADS):
        for container in pod_spec(workload)["containers"]:
            where = f"{overlay} {workload['metadata']['name']}/{container['name']}"
            if workload["kind"] != "Job":
                assert "livenessProbe" in container, f"{where} has no liveness probe"
                assert "readinessProbe" in container, f"{where} has no readiness probe"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (
                    f"{where} lacks cpu/memory {kind}"
                )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_unprivileged_as_a_non_root_user(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    for workload in of_kind(rendered[overlay], *WORKLOADS):
        spec = pod_spec(workload)
        name = f"{overlay} {workload['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] > 0, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            if is_mocksy(workload):
                assert context["readOnlyRootFilesystem"] is True, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_probes_use_the_services_health_endpoints(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    for name in SERVICE_PODS:
        container = pod_spec(named(rendered[overlay], "Deployment", name))["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["port"] == "http"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_mocksy_workload_has_a_disruption_budget_that_selects_it(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    budgets = list(of_kind(rendered[overlay], "PodDisruptionBudget"))
    for name in APPS:
        labels = named(rendered[overlay], "Deployment", name)["spec"]["template"]["metadata"][
            "labels"
        ]
        covering = [
            b
            for b in budgets
            if all(labels.get(k) == v for k, v in b["spec"]["selector"]["matchLabels"].items())
        ]
        assert len(covering) == 1, f"{overlay} {name}: {len(covering)} budgets"
        assert covering[0]["spec"].get("maxUnavailable") == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_api_scales_with_a_cpu_autoscaler(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    for name in APIS:
        hpa = named(rendered[overlay], "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        # The autoscaler owns the replica count; a manifest value would reset it on apply.
        assert "replicas" not in named(rendered[overlay], "Deployment", name)["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_history_read_models_have_one_writer(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = rendered[overlay]
    # FerretDB rewrites whole documents: two consumer processes could lose each other's updates.
    writers = [
        d["metadata"]["name"]
        for d in of_kind(objects, *WORKLOADS)
        if consumes_history_events(objects, d)
    ]
    assert writers == [PROJECTOR]
    assert not consumes_history_events(objects, named(objects, "Deployment", "history"))
    projector = named(objects, "Deployment", PROJECTOR)
    assert projector["spec"]["replicas"] == 1
    # A rolling update would run the new projector beside the old one.
    assert projector["spec"]["strategy"] == {"type": "Recreate"}
    assert not [
        a
        for a in of_kind(objects, "HorizontalPodAutoscaler", "ScaledObject")
        if a["spec"]["scaleTargetRef"]["name"] == PROJECTOR
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_history_api_traffic_reaches_only_the_api(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = rendered[overlay]
    projector = named(objects, "Deployment", PROJECTOR)["spec"]["template"]["metadata"]["labels"]
    api = named(objects, "Deployment", "history")["spec"]["template"]["metadata"]["labels"]
    for service in of_kind(objects, "Service"):
        selector = service["spec"].get("selector") or {}
        assert not (selector and all(projector.get(k) == v for k, v in selector.items())), (
            f"Service {service['metadata']['name']} selects the projector"
        )
    history = named(objects, "Service", "history")["spec"]["selector"]
    assert all(api.get(k) == v for k, v in history.items())


def test_prod_scales_voice_workers_on_active_interviews_and_load(
    rendered: dict[str, list[Manifest]],
) -> None:
    scaled = named(rendered["prod"], "ScaledObject", "voice-worker")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "voice-worker"
    queries = {t["name"]: t["metadata"]["query"] for t in scaled["spec"]["triggers"]}
    assert "mocksy_voice_agent_active_sessions" in queries["active-interviews"]
    assert "mocksy_voice_agent_load" in queries["worker-load"]
    assert all(t["type"] == "prometheus" for t in scaled["spec"]["triggers"])
    assert scaled["spec"]["minReplicaCount"] >= 2
    # KEDA owns the count in prod: no HPA of ours and no replicas in the Deployment.
    assert "replicas" not in named(rendered["prod"], "Deployment", "voice-worker")["spec"]
    assert not [
        h
        for h in of_kind(rendered["prod"], "HorizontalPodAutoscaler")
        if h["spec"]["scaleTargetRef"]["name"] == "voice-worker"
    ]


def test_dev_runs_two_voice_workers(rendered: dict[str, list[Manifest]]) -> None:
    assert named(rendered["dev"], "Deployment", "voice-worker")["spec"]["replicas"] == 2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_voice_workers_drain_instead_of_dropping_interviews(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    worker = named(rendered[overlay], "Deployment", "voice-worker")
    spec = pod_spec(worker)
    assert spec["terminationGracePeriodSeconds"] >= 15 * 60
    container = spec["containers"][0]
    assert container["args"] == ["worker", "start"]
    assert "preStop" in container["lifecycle"]
    # Rollouts add workers before old ones drain.
    assert worker["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    annotations = worker["spec"]["template"]["metadata"]["annotations"]
    assert annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "false"


def test_autoscaler_removes_voice_workers_one_at_a_time(
    rendered: dict[str, list[Manifest]],
) -> None:
    behavior = named(rendered["prod"], "ScaledObject", "voice-worker")["spec"]["advanced"][
        "horizontalPodAutoscalerConfig"
    ]["behavior"]
    assert behavior["scaleDown"]["policies"] == [{"type": "Pods", "value": 1, "periodSeconds": 300}]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_values_are_shipped(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    secrets = list(of_kind(rendered[overlay], "Secret"))
    assert not [s for s in secrets if s.get("data") or s.get("stringData")]
    referenced = set()
    for workload in of_kind(rendered[overlay], *WORKLOADS):
        for container in pod_spec(workload)["containers"]:
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    referenced.add(ref["name"])
            for variable in container.get("env", []):
                if any(word in variable["name"] for word in ("SECRET", "PASSWORD")):
                    assert "secretKeyRef" in variable.get("valueFrom", {}), (
                        f"{workload['metadata']['name']} sets {variable['name']} in plain text"
                    )
    assert referenced <= REFERENCED_SECRETS
    readme = (REPO / "deploy/k8s/README.md").read_text()
    for secret in referenced:
        assert f"secret generic {secret}" in readme, f"README does not say how to create {secret}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_referenced_config_map_is_rendered(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    config_maps = {c["metadata"]["name"] for c in of_kind(rendered[overlay], "ConfigMap")}
    for workload in of_kind(rendered[overlay], *WORKLOADS):
        spec = pod_spec(workload)
        names = [
            source["configMapRef"]["name"]
            for container in spec["containers"]
            for source in container.get("envFrom", [])
        ] + [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
        assert set(names) <= config_maps, workload["metadata"]["name"]


def test_dev_keycloak_imports_the_realm_file_unchanged(
    rendered: dict[str, list[Manifest]],
) -> None:
    realm = next(
        c
        for c in of_kind(rendered["dev"], "ConfigMap")
        if c["metadata"]["name"].startswith("keycloak-realm-")
    )
    source = (REPO / "deploy/keycloak/mocksy-realm.json").read_text()
    assert realm["data"]["mocksy-realm.json"] == source
    keycloak = pod_spec(named(rendered["dev"], "Deployment", "keycloak"))
    assert "--import-realm" in keycloak["containers"][0]["args"]


@pytest.mark.parametrize(
    ("overlay", "environment"), [("dev", "development"), ("prod", "production")]
)
def test_overlays_set_the_environment(
    rendered: dict[str, list[Manifest]], overlay: str, environment: str
) -> None:
    shared = next(
        c
        for c in of_kind(rendered[overlay], "ConfigMap")
        if c["metadata"]["name"].startswith("mocksy-shared-")
    )
    assert shared["data"]["MOCKSY_ENVIRONMENT"] == environment


def test_prod_enforces_the_restricted_pod_security_standard(
    rendered: dict[str, list[Manifest]],
) -> None:
    namespace = named(rendered["prod"], "Namespace", "mocksy")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


# ---------------------------------------------------------------- network policies

INGRESS = Endpoint(
    "ingress-controller",
    "ingress-nginx",
    {"app.kubernetes.io/name": "ingress-nginx"},
    {"http": (80, "TCP"), "https": (443, "TCP")},
)
PROMETHEUS = Endpoint(
    "prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, {"web": (9090, "TCP")}
)
DNS = Endpoint(
    "kube-dns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": (53, "UDP"), "dns-tcp": (53, "TCP")}
)
INTERNET = Endpoint("internet-client", None, {}, {"https": (443, "TCP")})
PLATFORM = [
    Endpoint("kafka", "kafka", {"app.kubernetes.io/name": "kafka"}, {"k": (9092, "TCP")}),
    Endpoint("mongodb", "mongodb", {"app.kubernetes.io/name": "mongodb"}, {"m": (27017, "TCP")}),
    Endpoint(
        "keycloak",
        "keycloak",
        {"app.kubernetes.io/name": "keycloak"},
        {"http": (8080, "TCP"), "https": (8443, "TCP")},
    ),
    Endpoint(
        "livekit",
        "livekit",
        {"app.kubernetes.io/name": "livekit"},
        {"a": (7880, "TCP"), "b": (7881, "TCP"), "c": (7882, "UDP"), "d": (50000, "UDP")},
    ),
]

Flow = tuple[str, str, int, str]


def allowed_flows(objects: list[Manifest], outside: list[Endpoint]) -> set[Flow]:
    """Every (source, destination, port, protocol) the policies allow, own pods involved."""
    pods = pods_of(objects)
    reachability = Reachability(objects)
    everyone = pods + outside
    flows = set()
    for source in everyone:
        for destination in everyone:
            if source.name == destination.name or not (source.managed or destination.managed):
                continue
            for port in destination.ports.values():
                if reachability.allows(source, destination, port):
                    flows.add((source.name, destination.name, *port))
    return flows


def expected_common(api_ports: dict[str, int]) -> set[Flow]:
    """Flows both overlays allow: web traffic in, scrapes, DNS."""
    flows: set[Flow] = set()
    for name, port in api_ports.items():
        flows.add(("ingress-controller", name, port, "TCP"))
        flows.add(("prometheus", name, port, "TCP"))
    flows.add(("prometheus", "voice-worker", 8081, "TCP"))
    flows.add(("prometheus", PROJECTOR, 8005, "TCP"))
    return flows


API_PORTS = {
    "auth": 8001,
    "interview-builder": 8002,
    "voice-agent": 8003,
    "scoring": 8004,
    "history": 8005,
}


def test_dev_network_policies_allow_exactly_the_designed_traffic(
    rendered: dict[str, list[Manifest]],
) -> None:
    outside = [INGRESS, PROMETHEUS, DNS, INTERNET]
    expected = expected_common(API_PORTS)
    pods = [p.name for p in pods_of(rendered["dev"])]
    for pod in pods:
        expected |= {(pod, "kube-dns", 53, "UDP"), (pod, "kube-dns", 53, "TCP")}
    for app in SERVICE_PODS:
        expected.add((app, "mongodb", 27017, "TCP"))
    for app in KAFKA_CLIENTS:
        expected.add((app, "kafka", 9092, "TCP"))
    for api in APIS:
        expected.add((api, "keycloak", 8080, "TCP"))
    expected.add(("ingress-controller", "keycloak", 8080, "TCP"))
    expected.add(("kafka-topics", "kafka", 9092, "TCP"))
    livekit_ports = [(7880, "TCP"), (7881, "TCP"), (7882, "UDP")]
    for voice in ("voice-agent", "voice-worker"):
        expected |= {(voice, "livekit", *p) for p in livekit_ports}
    # Candidates' clients reach LiveKit from anywhere outside the namespace.
    for source in outside:
        expected |= {(source.name, "livekit", *p) for p in livekit_ports}

    assert allowed_flows(rendered["dev"], outside) == expected


def test_prod_network_policies_allow_exactly_the_designed_traffic(
    rendered: dict[str, list[Manifest]],
) -> None:
    outside = [INGRESS, PROMETHEUS, DNS, INTERNET, *PLATFORM]
    expected = expected_common(API_PORTS)
    for app in SERVICE_PODS:
        expected |= {
            (app, "kube-dns", 53, "UDP"),
            (app, "kube-dns", 53, "TCP"),
            (app, "mongodb", 27017, "TCP"),
        }
    for app in KAFKA_CLIENTS:
        expected.add((app, "kafka", 9092, "TCP"))
    for api in APIS:
        expected |= {
            (api, "keycloak", 8080, "TCP"),
            (api, "keycloak", 8443, "TCP"),
            (api, "ingress-controller", 443, "TCP"),
        }
    for voice in ("voice-agent", "voice-worker"):
        expected |= {
            (voice, "livekit", 7880, "TCP"),
            (voice, "livekit", 7881, "TCP"),
            (voice, "livekit", 7882, "UDP"),
            (voice, "livekit", 50000, "UDP"),
        }

    assert allowed_flows(rendered["prod"], outside) == expected


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_not_allowed_is_denied(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    deny = named(rendered[overlay], "NetworkPolicy", "default-deny")
    assert deny["spec"]["podSelector"] == {}
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]


# ---------------------------------------------------------------- the ScaledObject schema


def scaled_object_errors(document: dict[str, Any]) -> list[str]:
    """Messages of the schema deploy/validate checks ScaledObjects against."""
    schema = json.loads(SCALED_OBJECT_SCHEMA.read_text())
    return [e.message for e in Draft202012Validator(schema).iter_errors(document)]


@pytest.fixture
def scaled_object() -> dict[str, Any]:
    """The voice workers' ScaledObject as committed."""
    path = REPO / "deploy/k8s/components/voice-worker-autoscaling/scaledobject.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def test_scaled_object_schema_accepts_the_committed_object(scaled_object: dict[str, Any]) -> None:
    assert scaled_object_errors(scaled_object) == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o["spec"].update(minReplicas=2), "'minReplicas' was unexpected"),
        (lambda o: o["spec"]["triggers"][0]["metadata"].update(threshold="three"), "three"),
        (lambda o: o["spec"]["triggers"][0]["metadata"].pop("query"), "'query' is a required"),
        (lambda o: o["spec"]["triggers"][0].update(metricType="Value"), "AverageValue"),
    ],
    ids=["unknown-field", "non-numeric-threshold", "missing-query", "fallback-needs-average"],
)
def test_scaled_object_schema_rejects_mistakes(
    scaled_object: dict[str, Any], mutate: Any, message: str
) -> None:
    broken = copy.deepcopy(scaled_object)
    mutate(broken)
    assert any(message in error for error in scaled_object_errors(broken))


def test_schema_check_fails_on_a_custom_resource_without_a_schema(tmp_path: Path) -> None:
    manifest = tmp_path / "unknown.yaml"
    manifest.write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata:\n  name: x\nspec: {}\n"
    )
    result = subprocess.run(
        [sys.executable, str(REPO / "deploy/k8s/schemas/check_custom_resources.py"), str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "PodMonitor/x" in result.stderr
