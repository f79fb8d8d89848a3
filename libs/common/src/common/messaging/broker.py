"""The one Kafka broker factory every service uses."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry


def create_broker(
    bootstrap_servers: str,
    *,
    service: str,
    registry: CollectorRegistry | None = None,
    graceful_timeout: float = 15.0,
) -> KafkaBroker:
    """A FastStream Kafka broker (aiokafka underneath) with Prometheus metrics.

    Args:
        bootstrap_servers: Comma-separated ``host:port`` list.
        service: Service name; the client id and the metric prefix derive from it.
        registry: Where broker metrics go; the service's own registry.
        graceful_timeout: Seconds ``stop()`` waits for running handlers before cancelling them.

    Returns:
        A broker that is not connected yet: call ``await broker.start()`` in the lifespan.
    """
    middlewares = []
    if registry is not None:
        middlewares.append(
            KafkaPrometheusMiddleware(
                registry=registry,
                app_name=service,
                metrics_prefix=f"mocksy_{service.replace('-', '_')}_broker",
            )
        )
    return KafkaBroker(
        bootstrap_servers,
        client_id=f"mocksy-{service}",
        middlewares=middlewares,
        # Producer side of at-least-once: every replica acknowledges and retries never duplicate.
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=15_000,
        graceful_timeout=graceful_timeout,
        # FastStream logs every record at INFO; Mocksy's consumers log outcomes themselves.
        log_level=logging.DEBUG,
    )
