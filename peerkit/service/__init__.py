"""The live poll service (tornado): JSON API, long-poll results and the participant page."""

from .app import make_app
from .server import run_service

__all__ = ["make_app", "run_service"]
