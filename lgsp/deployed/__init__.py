"""The production topology on one machine: NGSP and one province, each a local 3-broker
SASL_SSL cluster with ACLs, one SCRAM principal per service holding only its grants (made with
the ``lgsp security`` commands ops run), and each service (gateway with its border and link,
tracker, webhook connector, HTTP sink) its own OS process started with ``lgsp … run``, its
credentials in its environment as the systemd env files hold them.

``ProductionTopology`` (``topology.py``) starts it, kills and restarts one service or one broker,
cuts and restores a link, and stops everything when its block ends. ``lgsp demo --production``
and ``tests/integration/test_production_topology.py`` run on it."""

from lgsp.deployed.topology import ProductionTopology, TopologyPlan

__all__ = ["ProductionTopology", "TopologyPlan"]
