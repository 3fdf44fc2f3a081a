"""Running the service as a process: listen, announce, shut down cleanly on a signal."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from pathlib import Path

import tornado.httpserver
import tornado.netutil

from ..content import load_content
from ..store import display_location, open_store
from .app import make_app, normalise_prefix
from .base import MAX_PARTICIPANTS, MAX_REQUEST_BODY
from .limits import Limits

log = logging.getLogger(__name__)

#: Python's cyclic garbage collector, tuned for a server holding thousands of connections.
#: Each open page and each keep-alive connection is a few hundred live objects (tornado's
#: connection, stream, handler, futures, timers), and each request leaves a few more that
#: live until the connection's next request, so a steady stream of them reaches the oldest
#: generation. With the default (700, 10, 10) that triggered a full collection every few
#: seconds under load: with 2,000 pages open it walks ~350,000 objects and holds the event
#: loop for 150-220 ms, finding nothing to free. Now a full collection comes after 3,000
#: collections of the middle generation (cycles still get freed, later), and the middle
#: generation is collected after every 3 young ones rather than 10, so each of those
#: collections is smaller (mostly 5-20 ms instead of 20-60 ms with 2,000 pages open).
GC_THRESHOLDS = (700, 3, 3000)


def tune_gc() -> None:
    """Fewer full garbage collections (see :data:`GC_THRESHOLDS`); what exists once the
    service is set up (modules, content, the app) is moved out of the collector's sight."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def run_service(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    db: str | Path,
    data: str | Path | None = None,
    create_key: str | None = None,
    public_url: str = "",
    max_participants: int = MAX_PARTICIPANTS,
    rate_limits: bool = True,
    base_url: str = "/",
    hub: bool = False,
    language: str | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; then stop accepting, finish pending writes and close.

    ``hub``: run as a JupyterHub service (hub sign-in decides who may create rooms; the hub's
    settings come from the ``JUPYTERHUB_*`` variables it gives its services). ``language``:
    the language of rooms created without one (default: the content's language).
    """
    prefix = normalise_prefix(base_url)
    hub_auth = None
    if hub:
        try:
            from .hubauth import HubFacilitators
        except ImportError as exc:
            raise ValueError(
                f"running as a JupyterHub service needs JupyterHub ({exc}); "
                "install it with: pip install 'peerkit[hub]'"
            ) from None
        hub_auth = HubFacilitators.from_environment(prefix)
    store = open_store(db)
    content = load_content(data)
    app = make_app(
        store,
        content=content,
        create_key=create_key,
        public_url=public_url,
        max_participants=max_participants,
        limits=Limits() if rate_limits else None,
        base_url=prefix,
        hub_auth=hub_auth,
        language=language,
    )
    tune_gc()
    server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_REQUEST_BODY, xheaders=False)
    sockets = tornado.netutil.bind_sockets(
        port, host, family=socket.AF_INET if ":" not in host else socket.AF_UNSPEC
    )
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
    # Tests and `peerkit lab` read this line to learn the port.
    address = f"http://{shown_host}:{bound}{prefix.rstrip('/')}"
    print(f"peerkit service listening on {address} (database {display_location(db)})", flush=True)
    await stop.wait()
    log.info("stopping: no new connections; finishing responses in flight")
    server.stop()
    await app.peerkit.worker.close()  # type: ignore[attr-defined]
    print("peerkit service stopped", flush=True)
