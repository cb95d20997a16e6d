"""feedsync's marketplace sandbox: the marketplaces emulated on loopback (docs/sandbox.md).

Public API for marketplace modules and tests::

    from feedsync.sandbox import (Marketplace, route, Request, Response, SandboxError,
                                  RateLimit, Offer, BuyerOrder, OrderLine, Exchange,
                                  running_sandbox)
"""

from feedsync.sandbox.faults import FaultRule, parse_fault
from feedsync.sandbox.jobs import DONE, IN_PROGRESS, QUEUED, Job
from feedsync.sandbox.messages import Request, Response, SandboxError
from feedsync.sandbox.module import (
    BuyerOrder,
    Exchange,
    Marketplace,
    Offer,
    OrderLine,
    RateLimit,
    route,
)
from feedsync.sandbox.registry import CHANNELS, load_all, load_marketplace
from feedsync.sandbox.server import RunningSandbox, SandboxServer, build_app, running_sandbox
from feedsync.sandbox.tokens import TokenCheck

__all__ = [
    "CHANNELS", "DONE", "IN_PROGRESS", "QUEUED", "BuyerOrder", "Exchange", "FaultRule", "Job",
    "Marketplace", "Offer", "OrderLine", "RateLimit", "Request", "Response", "RunningSandbox",
    "SandboxError", "SandboxServer", "TokenCheck", "build_app", "load_all", "load_marketplace",
    "parse_fault", "route", "running_sandbox",
]
