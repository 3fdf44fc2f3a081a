"""What a session raises when the service or store refuses a request, or cannot be reached.

Its own module so that the session's watcher can catch these without importing the sessions.
"""

from __future__ import annotations

__all__ = ["ClientError", "ServiceUnavailable"]


class ClientError(Exception):
    """The service or store refused a request; ``message`` says why in plain words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class ServiceUnavailable(ClientError):
    """The poll service could not be reached. Answers are not lost: try again shortly."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)
