"""The workshop widgets: small views that follow the room through the session's watcher.

* :mod:`.answers`: the scenario vote, the slider and the reflection box.
* :mod:`.chart`: the results chart, a view model drawn in the browser by ``chart.js``.
* :mod:`.console`: the facilitator's console.

Widgets decide nothing about the room (see :mod:`peerkit.chartview` and :mod:`peerkit.agenda`),
never wait on the network while the kernel's loop runs, and stop following the room when closed.
"""

from .answers import AutonomySlider, ReflectionBox, ScenarioVote
from .chart import ChartWidget, LivePollChart
from .common import StatusLine, close_tree
from .console import FacilitatorConsole

__all__ = [
    "AutonomySlider",
    "ChartWidget",
    "FacilitatorConsole",
    "LivePollChart",
    "ReflectionBox",
    "ScenarioVote",
    "StatusLine",
    "close_tree",
]
