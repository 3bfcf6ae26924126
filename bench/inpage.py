"""Timing an interaction inside the page, as the person sees it, without the test driver's round trips.

Shared by the circuit and load benchmarks. Two pieces of JavaScript:
- `shown_mark_js(var, finder)`: an init script (page.context.add_init_script) that records in `window[var]`
  the performance.now() at which `finder()` first returns a visible element: ms since the navigation
  started, i.e. since the scan or the opening of the URL;
- `TAP_UNTIL_JS`: evaluated on a button, taps it and resolves to the ms until the page shows `until.text`
  (anywhere in its text) or `until.selector` (with no script run left when `until.idle`); null after 60 s.
"""

from __future__ import annotations

TAP_UNTIL_JS = """(button, until) => new Promise((resolve) => {
  let timer;
  const t0 = performance.now();
  const idle = () => {
    const status = document.querySelector('[data-testid=stStatusWidget]');
    return !status || !status.innerText.includes('Running');
  };
  const done = () => until.text !== undefined
    ? document.body.textContent.includes(until.text)
    : !!document.querySelector(until.selector) && (!until.idle || idle());
  const observer = new MutationObserver(() => {
    if (done()) { observer.disconnect(); clearTimeout(timer); resolve(performance.now() - t0); }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  timer = setTimeout(() => { observer.disconnect(); resolve(null); }, 60000);
  button.click();
})"""


def shown_mark_js(var: str, finder: str) -> str:
    """Init script: window[var] = ms from the navigation's start until `finder()` gives a visible element."""
    return f"""(() => {{
  const find = {finder};
  const watch = () => {{
    const observer = new MutationObserver(() => {{
      const element = find();
      if (window.{var} === undefined && element && element.getBoundingClientRect().height > 0) {{
        window.{var} = performance.now();
        observer.disconnect();
      }}
    }});
    observer.observe(document.body, {{ subtree: true, childList: true }});
  }};
  if (document.body) watch(); else document.addEventListener('DOMContentLoaded', watch);
}})();"""
