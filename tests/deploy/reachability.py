"""Which connections a set of NetworkPolicies lets through, computed the way Kubernetes does.

A connection from one pod to a port of another passes when the source's egress policies and the
destination's ingress policies both allow it; a pod that no policy selects for a direction is
open in that direction. Pods outside the rendered namespace (the ingress controller, Prometheus,
DNS, the platform's servers in prod, a client on the internet) are modelled as endpoints whose
own policies are unknown, so only Mocksy's side of each connection is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Port = tuple[int, str]  # (number, protocol)


@dataclass(frozen=True)
class Endpoint:
    """A pod (or a stand-in for traffic from outside the cluster when ``namespace`` is None)."""

    name: str
    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, Port] = field(default_factory=dict)  # port name (or number) -> port
    managed: bool = False  # its policies are in the rendered manifests

    @property
    def namespace_labels(self) -> dict[str, str]:
        """The label every namespace carries with its own name."""
        return {} if self.namespace is None else {"kubernetes.io/metadata.name": self.namespace}


def pods_of(objects: Iterable[Mapping[str, Any]]) -> list[Endpoint]:
    """One endpoint per workload (Deployment, StatefulSet, Job) in rendered manifests."""
    endpoints = []
    for obj in objects:
        if obj["kind"] not in {"Deployment", "StatefulSet", "Job"}:
            continue
        template = obj["spec"]["template"]
        ports: dict[str, Port] = {}
        for container in template["spec"]["containers"]:
            for port in container.get("ports", []):
                number = (port["containerPort"], port.get("protocol", "TCP"))
                ports[port.get("name", str(port["containerPort"]))] = number
        endpoints.append(
            Endpoint(
                name=obj["metadata"]["name"],
                namespace=obj["metadata"]["namespace"],
                labels=template["metadata"]["labels"],
                ports=ports,
                managed=True,
            )
        )
    return endpoints


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects ``labels``."""
    if selector is None:
        return True
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


class Reachability:
    """The NetworkPolicies of one namespace, asked about single connections."""

    def __init__(self, policies: Iterable[Mapping[str, Any]]) -> None:
        self.policies = [p for p in policies if p["kind"] == "NetworkPolicy"]

    def allows(self, source: Endpoint, destination: Endpoint, port: Port) -> bool:
        """Whether ``source`` may open a connection to ``port`` of ``destination``."""
        return self._side_allows(source, "Egress", destination, port) and self._side_allows(
            destination, "Ingress", source, port
        )

    def _side_allows(self, pod: Endpoint, direction: str, peer: Endpoint, port: Port) -> bool:
        if not pod.managed:
            return True
        selecting = [
            p
            for p in self.policies
            if p["metadata"]["namespace"] == pod.namespace
            and direction in p["spec"].get("policyTypes", ["Ingress"])
            and selector_matches(p["spec"]["podSelector"], pod.labels)
        ]
        if not selecting:
            return True
        rules_key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
        # Named ports are resolved on the pod that receives the connection.
        receiver = peer if direction == "Egress" else pod
        for policy in selecting:
            for rule in policy["spec"].get(rules_key) or []:
                peers = rule.get(peers_key)
                if peers and not any(
                    _peer_matches(p, peer, policy["metadata"]["namespace"]) for p in peers
                ):
                    continue
                rule_ports = rule.get("ports")
                if rule_ports and not any(_port_matches(r, port, receiver) for r in rule_ports):
                    continue
                return True
        return False


def _peer_matches(peer: Mapping[str, Any], other: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        return other.namespace is None
    if other.namespace is None:
        return False
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is None:
        in_namespace = other.namespace == policy_namespace
    else:
        in_namespace = selector_matches(namespace_selector, other.namespace_labels)
    return in_namespace and selector_matches(peer.get("podSelector"), other.labels)


def _port_matches(rule: Mapping[str, Any], port: Port, receiver: Endpoint) -> bool:
    number, protocol = port
    if rule.get("protocol", "TCP") != protocol:
        return False
    wanted = rule.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        named = receiver.ports.get(wanted)
        return named is not None and named == port
    return bool(wanted <= number <= rule.get("endPort", wanted))
