"""The process's Prometheus metrics, in a registry of its own (no global state): built once in
`main()` and handed to the core, the delivery worker, the job runner and the adapters; the
operations server serves `exposition()` at /metrics.

Labels are bounded sets (actions, outcomes, platforms, job kinds): never a member's name or id.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

COMMAND_OUTCOMES = ("ok", "refused", "error")
DELIVERY_OUTCOMES = ("sent", "retried", "given_up")
# Seconds: commands are answered in milliseconds; a slow database shows in the top buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds a due job waited past its time: the runner polls every 30 s, a restart adds more.
LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 24 * 3600.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "infochat_commands",
            "Commands handled, by action and outcome (ok, refused, error).",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "infochat_command_duration_seconds",
            "Time to handle a command, from dispatch to reply.",
            ["action"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "infochat_outbox_pending",
            "Messages waiting in the outbox to be delivered.",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            "infochat_outbox_oldest_pending_age_seconds",
            "How long the longest-waiting message has been due for delivery (0 when none is).",
            registry=self.registry,
        )
        self.deliveries = Counter(
            "infochat_deliveries",
            "Delivery attempts by platform and outcome (sent, retried, given_up).",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.jobs = Counter(
            "infochat_jobs_run",
            "Due jobs run, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.job_lag = Histogram(
            "infochat_job_lag_seconds",
            "How late a due job ran, past the time it was due.",
            ["kind"],
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.reconnects = Counter(
            "infochat_platform_reconnects",
            "Times a platform came up: its first connection, then each one after a failure.",
            ["platform"],
            registry=self.registry,
        )
        self.connected = Gauge(
            "infochat_platform_connected",
            "1 while the platform is connected, else 0.",
            ["platform"],
            registry=self.registry,
        )

    def command(self, action: str, outcome: str, seconds: float) -> None:
        """`action`: one of the core's actions, or "unknown" (the core bounds it)."""
        self.commands.labels(action, outcome).inc()
        self.command_seconds.labels(action).observe(seconds)

    def delivery(self, platform: str, outcome: str) -> None:
        self.deliveries.labels(platform, outcome).inc()

    def job(self, kind: str, lag_seconds: float) -> None:
        self.jobs.labels(kind).inc()
        self.job_lag.labels(kind).observe(max(0.0, lag_seconds))

    def outbox(self, pending: int, oldest_age_seconds: float) -> None:
        self.outbox_pending.set(pending)
        self.outbox_oldest_age.set(max(0.0, oldest_age_seconds))

    def platform(self, name: str, *, connected: bool, reconnect: bool = False) -> None:
        self.connected.labels(name).set(1 if connected else 0)
        if reconnect:
            self.reconnects.labels(name).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The body and content type of a /metrics response."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
