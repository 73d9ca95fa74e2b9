"""``ProductionTopology``: NGSP and Hà Nội on two 3-broker (or 1-broker) SASL_SSL clusters,
each service its own ``lgsp … run`` process with its own principal; faults on demand; everything
stopped (and the clusters purged, unless kept) when the ``async with`` block ends, even on
error."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.security import KafkaSecurity
from bus.lifecycle import Closing
from bus.localkafka import cluster_status, secure, start_cluster, stop_cluster
from bus.localkafka.layout import ClusterPaths, free_port, read_pid
from bus.settings import Settings
from lgsp.demo.nodes import HANOI, NGSP, PORTAL_SYSTEM, PROVINCES, inboxes
from lgsp.deployed import configs, principals
from lgsp.deployed.configs import NODES, SINK, WEBHOOK, NodeFiles, Ports, link_user
from lgsp.deployed.principals import Principal
from lgsp.deployed.services import ServiceProcess, ServiceSpec
from schemas.catalog import bundled_catalog
from schemas.ids.directory import bundled_directory
from schemas.topics import event_topic

log = structlog.get_logger("lgsp.deployed")
GATEWAYS = {NGSP: f"gateway-{NGSP}", HANOI: f"gateway-{HANOI}"}
TRACKER = f"tracker-{HANOI}"


@dataclass(frozen=True)
class TopologyPlan:
    """Where the topology keeps its files, its two local clusters' names, and the URL of the
    agency application NGSP's HTTP sink delivers the portal's dossiers to."""

    folder: Path
    sink_url: str
    clusters: dict[str, str] = field(
        default_factory=lambda: {NGSP: "prod-ngsp", HANOI: "prod-hanoi"}
    )
    purge: bool = True  # delete the clusters' data at the end
    brokers: int = 3  # per cluster: 3 as in production, 1 for a lighter run of the same services


def _principals(plan: TopologyPlan, files: NodeFiles) -> dict[str, Principal]:
    on = plan.clusters
    return {
        GATEWAYS[NGSP]: Principal(
            f"lgsp-gateway-{NGSP}",
            on[NGSP],
            ("grant-gateway", "--config", str(files.node_yaml(NGSP))),
        ),
        GATEWAYS[HANOI]: Principal(
            f"lgsp-gateway-{HANOI}",
            on[HANOI],
            ("grant-gateway", "--config", str(files.node_yaml(HANOI))),
        ),
        f"link-{HANOI}": Principal(
            link_user(HANOI, NGSP), on[NGSP], ("grant-link", "--node", HANOI, "--peer", NGSP)
        ),
        f"link-{NGSP}": Principal(
            link_user(NGSP, HANOI), on[HANOI], ("grant-link", "--node", NGSP, "--peer", HANOI)
        ),
        TRACKER: Principal(f"lgsp-tracker-{HANOI}", on[HANOI], ("grant-tracker", "--node", HANOI)),
        WEBHOOK: Principal(
            f"lgsp-connector-{WEBHOOK}",
            on[HANOI],
            (
                "grant-connector",
                "--node",
                HANOI,
                "--agency",
                PROVINCES[HANOI],
                "--connector",
                WEBHOOK,
            ),
        ),
        SINK: Principal(
            f"lgsp-connector-{SINK}",
            on[NGSP],
            ("grant-connector", "--node", NGSP, "--agency", PORTAL_SYSTEM, "--connector", SINK),
        ),
    }


class ProductionTopology(Closing):
    """Use as ``async with ProductionTopology(settings, plan) as topology``."""

    def __init__(self, settings: Settings, plan: TopologyPlan) -> None:
        self.settings, self.plan = settings, plan
        self.files = NodeFiles(plan.folder)
        self.bootstraps: dict[str, str] = {}
        self.services: dict[str, ServiceProcess] = {}
        self.principals = _principals(plan, self.files)
        self.webhook_keys = {
            str(a.code): secrets.token_urlsafe(24)
            for a in bundled_directory().descendants(PROVINCES[HANOI], tier="commune")
        }
        self.admin_token = secrets.token_urlsafe(32)
        self.ports = Ports(
            gateway={n: free_port() for n in NODES},
            tracker=free_port(),
            webhook=free_port(),
            webhook_metrics=free_port(),
            sink_metrics=free_port(),
        )
        self._stack = contextlib.AsyncExitStack()

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> ProductionTopology:
        await self._stack.__aenter__()
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        began = time.monotonic()
        self._stack.push_async_callback(self._stop_clusters)
        # A task group: when one cluster fails to start, the other's start is cancelled and
        # has ended (its lock released) before the clusters are stopped.
        async with asyncio.TaskGroup() as group:
            starts = [
                group.create_task(
                    start_cluster(
                        self._patient(),
                        self.plan.clusters[n],
                        secure_mode=True,
                        brokers=self.plan.brokers,
                    )
                )
                for n in NODES
            ]
        statuses = [start.result() for start in starts]
        for node, status in zip(NODES, statuses, strict=True):
            assert status.bootstrap_servers is not None
            self.bootstraps[node] = status.bootstrap_servers
        log.info("topology_clusters_up", elapsed_s=round(time.monotonic() - began, 1))
        configs.write_nodes(self.files, self.bootstraps, self.ports)
        configs.write_tracker(self.files, self.ports.tracker)
        configs.write_webhook(self.files, self.ports, self.webhook_keys)
        configs.write_sink(self.files, self.ports, self.plan.sink_url)
        await asyncio.gather(
            self._provision(), principals.create_all(list(self.principals.values()))
        )
        for node, peer in ((HANOI, NGSP), (NGSP, HANOI)):
            password = self.principals[f"link-{node}"].password(self.settings)
            configs.write_link_secret(
                self.files, node, password, self.cluster_files(peer).ca.cert_file
            )
        log.info("topology_principals_made", elapsed_s=round(time.monotonic() - began, 1))
        self._stack.push_async_callback(self._stop_services)
        for name, spec in self._specs().items():
            self.services[name] = ServiceProcess(spec)
        await asyncio.gather(*(s.start() for s in self.services.values()))
        log.info("topology_services_ready", elapsed_s=round(time.monotonic() - began, 1))

    async def _provision(self) -> None:
        """What the operator (the super user) creates with a node: event topics, inboxes."""
        directory = bundled_directory()
        types = sorted({v.event_type for v in bundled_catalog()})
        for node in NODES:
            topics = [str(event_topic(node, t)) for t in types] + inboxes(node, directory)
            await ensure_topics(
                self.bootstraps[node], [TopicSpec(t, 3) for t in topics], security=self.admin(node)
            )

    def _specs(self) -> dict[str, ServiceSpec]:
        logs = self.files.folder / "logs"
        common = {"LGSP_LOG_JSON": "true", "LGSP_LOG_LEVEL": "INFO"}
        specs = {}
        for node in NODES:
            name = GATEWAYS[node]
            env = configs.write_service_env(
                self.files,
                name,
                common | {"LGSP_ADMIN_TOKENS": configs.admin_tokens_entry(self.admin_token)},
            )
            specs[name] = self._spec(
                name, ("gateway", "run", "--config", str(self.files.node_yaml(node))),
                env, f"http://127.0.0.1:{self.ports.gateway[node]}/readyz", logs,
            )  # fmt: skip
        for name, args, port in (
            (
                TRACKER,
                ("tracker", "run", "--config", str(self.files.tracker_yaml())),
                self.ports.tracker,
            ),
            (
                WEBHOOK,
                ("connector", "run", str(self.files.connector_yaml(WEBHOOK))),
                self.ports.webhook_metrics,
            ),
            (
                SINK,
                ("connector", "run", str(self.files.connector_yaml(SINK))),
                self.ports.sink_metrics,
            ),
        ):
            env = configs.write_service_env(self.files, name, common)
            specs[name] = self._spec(name, args, env, f"http://127.0.0.1:{port}/readyz", logs)
        return specs

    def _spec(
        self, name: str, args: tuple[str, ...], env: Path, ready_url: str, logs: Path
    ) -> ServiceSpec:
        principal = self.principals[name]
        return ServiceSpec(
            name=name,
            principal=principal.user,
            args=args,
            env_files=(principal.env_file(self.settings), env),
            ready_url=ready_url,
            log_file=logs / f"{name}.log",
        )

    async def _stop_services(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.services.values()))

    async def _stop_clusters(self) -> None:
        await asyncio.gather(
            *(
                stop_cluster(self.settings, c, purge=self.plan.purge)
                for c in self.plan.clusters.values()
            )
        )

    # -- access ----------------------------------------------------------------------------

    def cluster_files(self, node: str) -> secure.SecureFiles:
        return secure.SecureFiles.of(ClusterPaths.of(self.settings.home, self.plan.clusters[node]))

    def admin(self, node: str) -> KafkaSecurity:
        """The super user of ``node``'s cluster (the operator; agencies' systems in a test)."""
        return secure.client_security(self.cluster_files(node))

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.webhook}"

    def brokers(self) -> dict[str, tuple[int, float]]:
        """Per node: how many of its cluster's brokers run, and their resident memory (MiB)."""
        found = {}
        for node, cluster in self.plan.clusters.items():
            running = [b for b in cluster_status(self.settings, cluster).brokers if b.running]
            found[node] = (len(running), sum(b.resident_memory_mb or 0.0 for b in running))
        return found

    # -- faults ----------------------------------------------------------------------------

    async def kill_broker(self, node: str, broker_id: int) -> None:
        """SIGKILL one broker of ``node``'s cluster and wait until it is gone."""
        paths = ClusterPaths.of(self.settings.home, self.plan.clusters[node]).node(broker_id)
        pid = read_pid(paths)
        if pid is None:
            return
        log.info("broker_killed", node=node, broker=broker_id, pid=pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        while read_pid(paths) is not None:  # noqa: ASYNC110 (a broker's process, not ours)
            await asyncio.sleep(0.1)

    async def restart_brokers(self, node: str) -> None:
        """Start the cluster's missing brokers again (as ``lgsp kafka up``). A broker killed
        with SIGKILL recovers every log segment it had open first: on a loaded machine that
        takes longer than a clean start, hence the longer wait."""
        await start_cluster(self._patient(), self.plan.clusters[node])

    def _patient(self) -> Settings:
        """The settings with a start wait long enough for six brokers starting together, or a
        killed one recovering its logs, on a loaded machine."""
        wait_s = max(self.settings.kafka_start_timeout_s, 600.0)
        return self.settings.model_copy(update={"kafka_start_timeout_s": wait_s})

    async def cut_link(self, node: str) -> None:
        """Refuse ``node``'s link on its peer's cluster: its principal's ACLs revoked there."""
        await principals.revoke(self.principals[f"link-{node}"])

    async def restore_link(self, node: str) -> None:
        """Give ``node``'s link its grant on the peer's cluster again (``grant-link``)."""
        await principals.grant_again(self.principals[f"link-{node}"])
