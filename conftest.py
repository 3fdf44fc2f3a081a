"""Settings for the notebook runs: every workshop notebook runs headless with a rehearsal group.

nbval starts each notebook's kernel from this process, so the kernel inherits these variables.
"""

import os
import tempfile

os.environ.setdefault("PEERKIT_REHEARSE", "25")
os.environ.setdefault("PEERKIT_SEED", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["PEERKIT_HOME"] = tempfile.mkdtemp(prefix="peerkit-test-home-")
for name in ("PEERKIT_SERVICE_URL", "PEERKIT_ROOM", "PEERKIT_FACILITATOR_KEY"):
    os.environ.pop(name, None)
