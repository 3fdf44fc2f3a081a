# jupyterhub_config.py: peerkit's live poll service on a JupyterHub.
#
# Merge these settings into your hub's configuration (your authenticator and spawner stay as
# they are) and replace the example paths, addresses and user names. docs/deploy.md explains
# each setting; tests/test_jupyterhub.py starts a real JupyterHub with this very file.

c = get_config()  # noqa: F821

# The hub's address as people's browsers and phones reach it.
c.JupyterHub.public_url = "https://hub.example.org/"

# The poll service, started, restarted and stopped with the hub. The hub's proxy forwards
# https://hub.example.org/services/peerkit/ to it, and it serves everything under that path.
c.JupyterHub.services = [
    {
        "name": "peerkit",
        "url": "http://127.0.0.1:8765",
        "command": [
            "/opt/peerkit/.venv/bin/peerkit",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "8765",
            "--db",
            "/srv/peerkit/peerkit.db",
        ],
        # Facilitators who open the facilitator page are signed in without a confirmation step,
        "oauth_no_confirm": True,
        # and the sign-in carries the facilitator permission to the service when they hold it.
        "oauth_client_allowed_scopes": ["custom:peerkit:facilitate"],
    },
]

# Who may create rooms: the members of the "facilitators" group.
c.JupyterHub.custom_scopes = {
    "custom:peerkit:facilitate": {
        "description": "Create rooms in peerkit's live poll service.",
    },
}
c.JupyterHub.load_groups = {
    # Or manage the group from the hub's admin page, or from your authenticator.
    "facilitators": {"users": ["alex", "sam"]},
}
c.JupyterHub.load_roles = [
    {
        "name": "peerkit-facilitator",
        "description": "Run peerkit workshops: create rooms in the live poll service",
        "scopes": ["custom:peerkit:facilitate", "access:services!service=peerkit"],
        "groups": ["facilitators"],
    },
    {
        # The standard user role, plus the poll service: everyone may open its pages, and
        # someone who is not a facilitator is told so by peerkit rather than by the hub.
        "name": "user",
        "scopes": ["self", "access:services!service=peerkit"],
    },
]

# Every user's server, and so every notebook kernel, learns where the service is.
c.Spawner.environment = {
    # Kernels reach the service directly on this machine (not through the public address).
    "PEERKIT_SERVICE_URL": "http://127.0.0.1:8765/services/peerkit/",
    # The address in join links and QR codes, for participants' phones.
    "PEERKIT_PUBLIC_URL": "https://hub.example.org/services/peerkit/",
}

# The token of each user's server ($JUPYTERHUB_API_TOKEN, which its kernels inherit): the
# default scopes, plus the facilitator permission and access to the service. Each user gets
# only the scopes they hold, so only a facilitator's notebook can create a room.
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "access:services!service=peerkit",
    "custom:peerkit:facilitate",
]
