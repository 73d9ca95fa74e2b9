"""Request and reply over the bus, across nodes: record look-ups (e.g. a citizen by CCCD, from
a province's department to the national population database on NGSP) and fee payments (from a
one-stop-shop to the national payment platform), each an ``Exchange`` (``bus.exchanges``).

``LookupRequester`` publishes the exchange's request for one agency and waits for the reply
that carries the same correlation id in that agency's inbox, until the deadline; a reply that
comes after it is dropped and counted. ``LookupResponder`` answers the requests in an
agency's inbox with a handler; requests already past their deadline are dropped unanswered and
counted. A handler that raises an ``LgspError`` (a refused payment, a bad checksum) has the
request parked in ``<inbox>.dlq`` with the park headers, counted by code, and answered with
the exchange's failure reply when it has one; retriable errors are tried again first.
"""

from bus.requestreply.common import LookupMetrics, LookupTimeoutError
from bus.requestreply.requester import LookupRequester
from bus.requestreply.responder import Handler, LookupResponder

__all__ = ["Handler", "LookupMetrics", "LookupRequester", "LookupResponder", "LookupTimeoutError"]
