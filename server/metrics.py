"""Prometheus metrics of one app instance (its own registry, so tests may run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "liveclass_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "liveclass_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.open_sockets = Gauge(
            "liveclass_open_sockets",
            "Socket.IO connections open on this process.",
            registry=self.registry,
        )
        self.broker_up = Gauge(
            "liveclass_broker_up",
            "1 when the Redis broker answers (always 1 without Redis).",
            registry=self.registry,
        )
        self.broker_up.set(1)
        self.slow_clients_disconnected = Counter(
            "liveclass_slow_clients_disconnected",
            "Sockets aborted because their unsent bytes passed the limit.",
            registry=self.registry,
        )
        self.fanout_deliveries = Counter(
            "liveclass_fanout_deliveries",
            "Broadcast deliveries by path: one shared frame written, or queued per socket.",
            ["path"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
