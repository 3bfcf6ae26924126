"""How a page saves what a user typed, and says why it was not saved: one way for every form.

A write fails in one of a few ways, each said in French: a refused input (ValidationError: one message per
field), a refused action (PermissionDenied, a missing record, a throttle or any other ServiceError: the
service's own sentence), or a store that cannot write (ui.store.STORAGE_ERRORS: nothing was written, the same
action can be tried again, in the page's own words). `Saving.attempt` turns each into a `Failure`; a `Form`
keeps the messages in session state between runs (field → message, "form" for one said at the button) and
draws each under its field. Service messages are our own sentences (they never quote what the user typed),
so st.error may render them as Markdown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec, TypeVar

import streamlit as st

from services.errors import NotFoundError, PermissionDenied, ServiceError, ValidationError
from ui import store

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)

# invalid: ValidationError; denied: PermissionDenied; missing: NotFoundError; refused: any other ServiceError
# (a throttle, a rate limit, a closed edition); failed: the store could not write (or, where a form asks for it,
# anything unexpected).
Kind = Literal["invalid", "denied", "missing", "refused", "failed"]
FORM = "form"  # the key of a message said at the button rather than under a field
ERROR_ICON = ":material/error:"


@dataclass(frozen=True)
class Failure:
    """Why a write did not happen: field → French message ("form" for a form-wide one)."""

    kind: Kind
    errors: dict[str, str]
    error: Exception = field(compare=False)

    @property
    def message(self) -> str:
        """Every message in one sentence (a ValidationError's own `message`)."""
        return " ".join(self.errors.values())


def _kind(exc: ServiceError) -> Kind:
    if isinstance(exc, PermissionDenied):
        return "denied"
    if isinstance(exc, NotFoundError):
        return "missing"
    return "refused"


@dataclass(frozen=True)
class Saving:
    """How a page's writes are tried: `not_saved` is said when the store fails (nothing was written).

    `unexpected`: any other error too is said as `not_saved` (and logged with its trace), for the participants'
    forms, where what was typed must stay on screen with a sentence, never a trace.
    """

    not_saved: str = store.WRITE_FAILED
    unexpected: bool = False

    def attempt(self, fn: store.Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | Failure:
        """`store.write`, or the Failure saying in French why nothing was written."""
        try:
            return store.write(fn, *args, **kwargs)
        except ValidationError as exc:
            return Failure("invalid", exc.errors, exc)
        except ServiceError as exc:
            return Failure(_kind(exc), {FORM: exc.message}, exc)
        except store.STORAGE_ERRORS as exc:
            log.error("write refused by the store: %s", exc)
            return Failure("failed", {FORM: self.not_saved}, exc)
        except Exception as exc:
            if not self.unexpected:
                raise
            log.exception("write failed")
            return Failure("failed", {FORM: self.not_saved}, exc)


SAVING = Saving()  # the store's failure said in the store's words (store.WRITE_FAILED)


def report(fn: store.Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
    """`store.write`, drawing each French message where the call stands instead of raising; None when refused.

    A refusal other than a validation, a permission or the store's is not the page's to explain: it is raised.
    """
    outcome = SAVING.attempt(fn, *args, **kwargs)
    if not isinstance(outcome, Failure):
        return outcome
    if outcome.kind == "invalid":
        for message in outcome.errors.values():
            st.error(message)
    elif outcome.kind == "denied":
        st.error(outcome.message, icon=":material/lock:")
    elif outcome.kind == "failed":
        st.error(outcome.message, icon=ERROR_ICON)
    else:
        raise outcome.error
    return None


@dataclass(frozen=True)
class Form:
    """A form's messages, kept in session state under `key` from the failed save to the next runs."""

    key: str
    saving: Saving = Saving()
    # A refusal the service files under a name of its own that this form says at the button (as "form").
    form_wide: str | None = None

    def errors(self) -> dict[str, str]:
        return st.session_state.get(self.key) or {}

    def set_errors(self, errors: Mapping[str, str]) -> None:
        wide = self.form_wide
        said = {FORM: errors[wide]} if wide is not None and wide in errors else {}
        st.session_state[self.key] = said | {k: v for k, v in errors.items() if k != wide}

    def clear(self) -> None:
        st.session_state[self.key] = {}

    def forget(self, *fields: str) -> None:
        """A field the user changed no longer shows its old message (a widget's on_change)."""
        st.session_state[self.key] = {k: v for k, v in self.errors().items() if k not in fields}

    def show(self, name: str) -> None:
        """The message of one field, drawn under it."""
        if message := self.errors().get(name):
            st.error(message, icon=ERROR_ICON)

    def show_rest(self, placed: Collection[str], *, summary: str | None = None) -> None:
        """At the button: every message no field above draws, else (when some field does) `summary`."""
        errors = self.errors()
        rest = [message for name, message in errors.items() if name not in placed]
        for message in rest:
            st.error(message, icon=ERROR_ICON)
        if errors and not rest and summary:
            st.error(summary, icon=ERROR_ICON)

    def submit(self, fn: store.Service[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
        """Write; when refused, the French messages become this form's and None is returned."""
        outcome = self.saving.attempt(fn, *args, **kwargs)
        if isinstance(outcome, Failure):
            self.set_errors(outcome.errors)
            return None
        return outcome

    def field(
        self,
        widget: Callable[..., Any],
        label: str,
        *args: Any,
        key: str,
        error: str,
        forget: tuple[str, ...] = (),
        **options: Any,
    ) -> Any:
        """A widget of this form with its message under it; changing it forgets the messages of `forget`."""
        if forget:
            options |= {"on_change": self.forget, "args": forget}
        value = widget(label, *args, key=key, **options)
        self.show(error)
        return value

    def choice(self, widget: Callable[..., Any], label: str, labels: Mapping[Any, str], **options: Any) -> Any:
        """`field` for a choice among `labels` (value → what the widget shows)."""
        return self.field(widget, label, list(labels), format_func=labels.__getitem__, **options)


def choice(widget: Callable[..., Any], label: str, labels: Mapping[Any, str], *, key: str, **options: Any) -> Any:
    """A selectbox, radio, pills... choosing among `labels` (value → what the widget shows).

    format_func is the mapping's bound lookup, never a lambda: AppTest keeps it in session state, which must pickle.
    """
    return widget(label, list(labels), format_func=labels.__getitem__, key=key, **options)
