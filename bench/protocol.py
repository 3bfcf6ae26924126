"""A phone without a browser: Streamlit's own websocket protocol, spoken as the frontend speaks it.

What a browser does, and what this client does the same way:
- it loads the page's HTML (GET /<page>?<query>), keeping the cookies the answer sets (behind nginx, its
  `ess_route` cookie: every later request of this phone, the websocket's handshake included, reaches the same
  replica), then asks `/_stcore/health`, whose answer sets Streamlit's XSRF cookie `_streamlit_xsrf`; the
  static bundle (JavaScript, fonts) is not fetched: a proxy or the browser's cache serves it, not the app's
  script runs;
- it opens `/_stcore/stream` with the subprotocols « streamlit », the XSRF token and, when it reconnects, the
  previous session's id (the server then resumes that session: its st.session_state is kept), sending the
  page's cookies on the handshake: that is what `st.context.cookies` reads for the whole session;
- it sends `BackMsg.rerun_script` (ClientState: page_name or page_script_hash, query_string, widget_states,
  fragment_id) and reads `ForwardMsg`s until `script_finished` of that run;
- it keeps a model of the page from the deltas (new_element / add_block at their delta_path, per run), so a
  journey finds a widget by label or by its user key (the widget id ends with « -<key> »), reads the texts
  shown (a receipt code in its st.metric, a confirmation) and operates widgets with the wire values the
  frontend sends: text as string_value, selectbox / radio / pills / segmented control as the option's
  formatted string, a button as trigger_value, a form as its widgets' values plus its submit button's trigger;
- the cookies this app writes from the page (a one-line <script> in an st.html element, ui/cookies.py: the
  participant's device token, the staff login JWT) are read from that element and kept in the client's jar,
  then sent on the next handshake: a phone stays the same device across reconnects, as with a browser.

Widget states: the frontend sends every widget's value at each rerun; this client sends the values it changed
since the last run (and the triggers). The server keeps each widget's last value in the session (an absent
widget keeps its value), so the script sees the same state; the message is only smaller.
Over HTTPS (a base URL `https://…`), the page loads and the websocket (`wss://`) use the TLS context given (an
unverified one for a self-signed certificate). `upstream` keeps the last X-Ess-Upstream header an answer carried
(the test-only header naming the replica behind nginx; empty without it).
`cached_message_hashes` is left empty (a browser lists what its cache holds): the server sends every message
in full, a little more than it sends a browser that has already seen the page.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Block_pb2 import Block
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
FRAGMENT_FINISHED = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
# ui/cookies.write_cookie: `document.cookie = "<name>=<value>; Max-Age=…"` in an st.html script.
COOKIE_SCRIPT = re.compile(r'document\.cookie = "([a-z][a-z0-9_-]*)=([A-Za-z0-9_.-]*);')
# Element kinds whose text a person reads on the page.
TEXT_FIELDS = {
    "text": ("body",),
    "markdown": ("body",),
    "heading": ("body",),
    "alert": ("body",),
    "metric": ("label", "body"),
    "progress": ("text",),
    "exception": ("message",),
}


class ProtocolError(RuntimeError):
    """The page did not answer as a browser would need (no such widget, an exception shown, a closed socket)."""


@dataclass(frozen=True)
class Widget:
    """A widget drawn on the page: its kind (button, text_input, selectbox, button_group…) and its proto."""

    kind: str
    proto: Any
    fragment_id: str

    @property
    def id(self) -> str:
        return str(self.proto.id)

    @property
    def label(self) -> str:
        return str(getattr(self.proto, "label", ""))

    @property
    def form_id(self) -> str:
        return str(getattr(self.proto, "form_id", ""))

    def options(self) -> list[str]:
        """The formatted options (what the wire carries for a selectbox, radio, pills, segmented control)."""
        if self.kind == "button_group":
            return [str(o.content) for o in self.proto.options]
        return [str(o) for o in getattr(self.proto, "options", [])]


@dataclass
class PageModel:
    """The page as the frontend holds it: what the last run drew, by delta path."""

    elements: dict[tuple[int, ...], tuple[Element, str]] = field(default_factory=dict)
    blocks: dict[tuple[int, ...], Block] = field(default_factory=dict)
    page_script_hash: str = ""
    auto_reruns: dict[str, float] = field(default_factory=dict)  # fragment id -> interval (s)

    def start_run(self) -> None:
        self.elements.clear()
        self.blocks.clear()
        self.auto_reruns.clear()

    def apply(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        kind = msg.delta.WhichOneof("type")
        if kind == "new_element":
            # A fragment's rerun redraws its part: drop what was under this path's previous element.
            self.elements[path] = (msg.delta.new_element, msg.delta.fragment_id)
        elif kind == "add_block":
            self.blocks[path] = msg.delta.add_block
            for stale in [p for p in self.elements if p[: len(path)] == path and p != path]:
                del self.elements[stale]

    def widgets(self) -> list[Widget]:
        found: list[Widget] = []
        for _, (element, fragment) in sorted(self.elements.items()):
            kind = element.WhichOneof("type")
            proto = getattr(element, kind) if kind else None
            if proto is not None and isinstance(getattr(proto, "id", None), str) and proto.id:
                found.append(Widget(str(kind), proto, fragment))
        return found

    def widget(self, *, key: str | None = None, label: str | None = None, kind: str | None = None) -> Widget:
        """The widget of user key `key` (its id ends with « -key »), or else the first whose label contains `label`."""
        for w in self.widgets():
            if kind is not None and w.kind != kind:
                continue
            if (key is not None and w.id.endswith(f"-{key}")) or (
                key is None and label is not None and label in w.label
            ):
                return w
        raise ProtocolError(f"no widget key={key!r} label={label!r} on the page: {self.labels()[:30]}")

    def has_widget(self, *, key: str) -> bool:
        return any(w.id.endswith(f"-{key}") for w in self.widgets())

    def labels(self) -> list[str]:
        return [w.label or w.id for w in self.widgets()]

    def texts(self) -> list[str]:
        """Every text shown, in page order (markdown as its source)."""
        shown: list[str] = []
        for _, (element, _) in sorted(self.elements.items()):
            kind = element.WhichOneof("type")
            for name in TEXT_FIELDS.get(str(kind), ()):
                shown.append(str(getattr(getattr(element, str(kind)), name)))
        return shown

    def text_containing(self, needle: str) -> str | None:
        return next((t for t in self.texts() if needle in t), None)

    def metric(self, label: str) -> str | None:
        for element, _ in self.elements.values():
            if element.WhichOneof("type") == "metric" and element.metric.label == label:
                return str(element.metric.body)
        return None

    def exceptions(self) -> list[str]:
        return [e.exception.message for e, _ in self.elements.values() if e.WhichOneof("type") == "exception"]

    def cookies_written(self) -> dict[str, str]:
        """The cookies the page's own scripts write (ui/cookies.py), as the browser would store them."""
        written: dict[str, str] = {}
        for element, _ in self.elements.values():
            if element.WhichOneof("type") == "html":
                written.update(COOKIE_SCRIPT.findall(element.html.body))
        return written


@dataclass(frozen=True)
class Timing:
    """One interaction: the rerun asked (what), when it left, how long until its script_finished."""

    what: str
    sent_at: float  # time.time()
    seconds: float


class Phone:
    """One browser tab on the app: a cookie jar, a websocket session, the page it shows."""

    def __init__(
        self,
        base_url: str,
        *,
        cookies: dict[str, str] | None = None,
        timeout: float = 120.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tls = tls
        self.upstream = ""
        self.cookies: dict[str, str] = dict(cookies or {})
        self.timeout = timeout
        self.page = PageModel()
        self.query_string = ""
        self.session_id = ""
        self.timings: list[Timing] = []
        self._ws: Any = None
        self._dirty: dict[str, WidgetState] = {}

    # --- connection -------------------------------------------------------------------------------------------

    def _load_html(self, path: str) -> None:
        """GET the page as the browser's navigation does, then the health check the frontend makes before it
        opens the websocket: its answer sets the XSRF cookie."""
        for url in (f"{self.base_url}/{path}", f"{self.base_url}/_stcore/health"):
            request = urllib.request.Request(url, headers={"Cookie": self._cookie_header()})
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.tls) as response:
                response.read()
                self.upstream = response.headers.get("X-Ess-Upstream", self.upstream)
                for header in response.headers.get_all("Set-Cookie") or []:
                    jar: SimpleCookie = SimpleCookie()
                    jar.load(header)
                    self.cookies.update({name: morsel.value for name, morsel in jar.items()})

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def connect(self, path: str = "") -> None:
        """Open the page's HTML then its websocket (resuming this phone's session after a first connection)."""
        await asyncio.to_thread(self._load_html, path)
        parts = urlsplit(self.base_url)
        protocols = ["streamlit", self.cookies.get(XSRF_COOKIE, "")]
        if self.session_id:
            protocols.append(self.session_id)
        secure = parts.scheme == "https"
        self._ws = await websockets.connect(
            f"{'wss' if secure else 'ws'}://{parts.netloc}{parts.path}/_stcore/stream",
            ssl=self.tls if secure else None,  # None over wss: the default, verified
            subprotocols=[websockets.Subprotocol(p) for p in protocols],
            additional_headers={"Cookie": self._cookie_header(), "Origin": f"{parts.scheme}://{parts.netloc}"},
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,
        )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def reconnect(self) -> None:
        """A dropped connection (a phone leaving the Wi-Fi): the same session, the cookies learnt so far."""
        await self.close()
        await self.connect()

    # --- runs -------------------------------------------------------------------------------------------------

    async def open(self, page_name: str, query_string: str = "", *, what: str = "") -> float:
        """Open a page by its URL path (a scanned QR code, a typed address): connect if needed, run it."""
        self.query_string = query_string
        if self._ws is None:
            await self.connect(f"{page_name}?{query_string}" if query_string else page_name)
        return await self._run(what or f"open {page_name}", page_name=page_name)

    async def navigate(self, page_name: str, query_string: str = "", *, what: str = "") -> float:
        """A link inside the app (st.page_link): the same session, another page."""
        self.query_string = query_string
        return await self._run(what or f"go {page_name}", page_name=page_name)

    def set_value(self, widget: Widget, value: str) -> None:
        """Change a widget as a person does, without a rerun yet (text typed, an option chosen)."""
        state = WidgetState(id=widget.id)
        if widget.kind in {"text_input", "text_area", "selectbox", "radio"}:
            state.string_value = value
        elif widget.kind == "button_group":
            state.string_array_value.data.append(value)
        elif widget.kind == "component_instance":
            state.json_value = json.dumps(value)
        else:
            raise ProtocolError(f"cannot set a {widget.kind}")
        if widget.kind in {"selectbox", "radio", "button_group"} and value not in widget.options():
            raise ProtocolError(f"{value!r} is not an option of {widget.label!r}: {widget.options()}")
        self._dirty[widget.id] = state

    async def commit(self, widget: Widget, value: str, *, what: str = "") -> float:
        """Change a widget and rerun (what leaving a text field or choosing an option does outside a form)."""
        self.set_value(widget, value)
        return await self._run(what or f"set {widget.label or widget.kind}", fragment_id=widget.fragment_id)

    async def click(self, *, key: str | None = None, label: str | None = None, what: str = "") -> float:
        """Tap a button (or a form's submit button, with the form's values set before by set_value)."""
        button = self.page.widget(key=key, label=label, kind="button")
        self._dirty[button.id] = WidgetState(id=button.id, trigger_value=True)
        return await self._run(what or f"tap {button.label}", fragment_id=button.fragment_id)

    async def submit_form(self, values: dict[str, str], *, submit_label: str) -> float:
        """Fill a form's widgets (by key) and submit it: one rerun, as the frontend sends it."""
        for key, value in values.items():
            self.set_value(self.page.widget(key=key), value)
        return await self.click(label=submit_label)

    async def fragment_rerun(self, fragment_id: str) -> float:
        """What the frontend sends when a fragment's run_every interval elapses."""
        return await self._run("auto", fragment_id=fragment_id, auto=True)

    async def _run(self, what: str, *, page_name: str = "", fragment_id: str = "", auto: bool = False) -> float:
        if self._ws is None:
            raise ProtocolError("not connected")
        state = ClientState(query_string=self.query_string, fragment_id=fragment_id, is_auto_rerun=auto)
        if page_name:
            state.page_name = page_name
        else:
            state.page_script_hash = self.page.page_script_hash
        state.widget_states.widgets.extend(self._dirty.values())
        state.context_info.timezone = "Europe/Paris"
        state.context_info.locale = "fr-FR"
        message = BackMsg()
        message.rerun_script.CopyFrom(state)
        self._dirty.clear()
        sent_at, started = time.time(), time.perf_counter()
        await self._ws.send(message.SerializeToString())
        await asyncio.wait_for(self._until_finished(fragment=bool(fragment_id)), self.timeout)
        elapsed = time.perf_counter() - started
        self.timings.append(Timing(what, sent_at, elapsed))
        self.cookies.update(self.page.cookies_written())
        if errors := self.page.exceptions():
            raise ProtocolError(f"{what}: exception on the page: {errors[0][:200]}")
        return elapsed

    async def _until_finished(self, *, fragment: bool) -> None:
        while True:
            raw = await self._ws.recv()
            msg = ForwardMsg()
            msg.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                if msg.new_session.initialize.session_id:
                    self.session_id = msg.new_session.initialize.session_id
                if not fragment and not msg.metadata.run.fragment_ids:
                    self.page.start_run()
            elif kind == "delta":
                self.page.apply(msg)
            elif kind == "navigation":  # st.navigation: the page this run chose (the frontend reruns it by hash)
                self.page.page_script_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "auto_rerun":
                self.page.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "script_finished" and (
                msg.script_finished in FINISHED or (fragment and msg.script_finished == FRAGMENT_FINISHED)
            ):
                return
