"""What a participant is typing in a text area, told to the server after a short pause, before it is committed.

Why not streamlit-keyup, the well-kept keystroke component: it is a single-line <input>. A contribution runs to
2 000 characters, often several sentences or pasted paragraphs: in one line it would lose its line breaks and
show about 40 characters at a time on a phone, and the page would lose what st.text_area gives it (its key and
persisted draft, max length, the field's error message, AppTest). And streamlit-keyup is a Components v2
element: under Streamlit 1.67 every v2 component puts an unpicklable proxy in st.session_state, which this
app's `enforceSerializableSessionState` refuses at the end of each run (measured: the suggestions stopped after
the second pause, UnserializableSessionStateError in the server log).

So st.text_area stays the participant's input, and this small static component (components.v1, a zero-height
frame served by the app itself, ui/components/typing_frontend/index.html) only listens to it: on each `input`
event of the text area whose widget key it is given, it waits for a pause and reports the text as its value,
which reruns the fragment it sits in. It reads the participant's own field and writes nothing into the page.
Without JavaScript, or if the field is not found, nothing happens and the suggestions follow the committed text
as before. What « Envoyer » sends is still the text area's own value, validated by the server.
"""

from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

FRONTEND = Path(__file__).resolve().parent / "typing_frontend"


def typed_text(field_key: str, *, key: str, pause_ms: int) -> str | None:
    """The text being typed in the text area of widget key `field_key`, as of the last pause; None before the
    first pause of this component's life (then the text area's committed value is the one to use)."""
    # Declared on each run (cheap): a declaration made while no script runs would not be registered.
    listener = components.declare_component("typing_listener", path=str(FRONTEND))
    value = listener(selector=f".st-key-{field_key}", pause_ms=int(pause_ms), key=key, default=None)
    return value if isinstance(value, str) else None
