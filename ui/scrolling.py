"""Back to the top of the page when a multi-step page changes step.

Streamlit keeps the scroll position across reruns: a phone user who taps "Suivant" at the bottom of a
long section would land in the middle of the next one, below its title and progress bar.

A zero-height `components.v1.html` frame runs a few constant lines in the page; Streamlit rebuilds the
frame only when its HTML changes, and the step (an int or a fixed word of ours, never user text) is part
of that HTML, so the script runs once per step change. components.v2 would be lighter, but its state
object cannot be pickled and breaks `enforceSerializableSessionState` after a button click.
"""

from __future__ import annotations

import re

import streamlit.components.v1 as components

_SCRIPT = """<script>
/* step: {step} */
const doc = window.parent.document;
const main = doc.querySelector('[data-testid="stMain"]');
if (main) main.scrollTo({{ top: 0 }});
window.parent.scrollTo({{ top: 0 }});
</script>"""
_STEP = re.compile(r"^[a-z0-9-]{1,20}$")


def scroll_to_top_on_step(step: str) -> None:
    """Mount at the bottom of the page; scrolls up whenever `step` differs from the last run's."""
    if not _STEP.match(step):
        raise ValueError("step must be a short constant of the page")
    components.html(_SCRIPT.format(step=step), height=0)
