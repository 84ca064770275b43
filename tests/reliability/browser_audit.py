"""Instrumentation for hostile-input browser tests: what ran, what was requested, what the DOM kept."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MARKER_HOST = "xss.invalid"

REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP-VIOLATION ${event.violatedDirective} ${event.blockedURI}`);
});
"""

# Anything here on one of our pages means hostile markup survived sanitizing or escaping.
AUDIT_DOM = """
() => {
  const found = [];
  const urlAttributes = ['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'srcset', 'data',
                         'background', 'dynsrc', 'lowsrc', 'codebase', 'cite', 'longdesc', 'usemap'];
  const forbidden = ['OBJECT', 'EMBED', 'APPLET', 'BASE', 'FRAME', 'FRAMESET', 'PORTAL', 'MARQUEE', 'ISINDEX',
                     'KEYGEN', 'NOEMBED', 'NOFRAMES', 'XMP', 'PLAINTEXT', 'MATH', 'SVG', 'TEMPLATE'];
  const inBody = (el) => el.closest('.post-body, .comment-body, .post-card, .popular-posts') !== null;
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toUpperCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(`${tag} has event handler ${name}`);
      if (urlAttributes.includes(name) && /^(javascript|vbscript|data|livescript|mocha|feed):/.test(value))
        found.push(`${tag} ${name}=${attr.value.slice(0, 60)}`);
      if (name === 'srcdoc') found.push(`${tag} has srcdoc`);
      if (name === 'style' && inBody(el)) found.push(`${tag} kept a style attribute`);
    }
    if (tag === 'SCRIPT' && el.type !== 'application/ld+json')
      found.push(`script element ${el.src || el.textContent.slice(0, 60)}`);
    if (tag === 'SCRIPT' && el.type === 'application/ld+json') {
      try { JSON.parse(el.textContent); } catch (e) { found.push('JSON-LD no longer parses: ' + e); }
    }
    if (forbidden.includes(tag)) found.push(`forbidden element ${tag}`);
    if ((tag === 'STYLE' || tag === 'LINK' || tag === 'META' || tag === 'FORM' || tag === 'INPUT') && inBody(el))
      found.push(`${tag} inside upstream content`);
    if (tag === 'IFRAME') {
      const host = new URL(el.src, location.href).host;
      if (!/^(www\\.youtube(-nocookie)?\\.com|player\\.vimeo\\.com)$/.test(host)) found.push(`iframe to ${host}`);
      const sandbox = el.getAttribute('sandbox');
      if (sandbox === null) found.push('iframe without sandbox');
      else if (/allow-top-navigation/.test(sandbox)) found.push('iframe sandbox allows top navigation');
    }
  }
  return found;
}
"""


@dataclass
class Audit:
    """Everything a page did that it must not: dialogs, console markers, CSP violations, marker requests."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    marker_requests: list[str] = field(default_factory=list)
    dom: list[str] = field(default_factory=list)
    current: str = ""

    def attach(self, page) -> None:
        page.add_init_script(REPORT_CSP_VIOLATIONS)
        page.on("dialog", self._on_dialog)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"{self.current}: page error {error}"))
        page.route("**/*", self._route)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{self.current}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message) -> None:
        text = message.text
        if "CSP-VIOLATION" in text or "Content Security Policy" in text:
            self.csp_violations.append(f"{self.current}: {text}")
        elif "XSS" in text or (message.type == "error" and "Failed to load resource" not in text):
            self.console.append(f"{self.current}: {message.type} {text}")

    def _route(self, route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host == MARKER_HOST or host.endswith("." + MARKER_HOST):
            self.marker_requests.append(f"{self.current}: {route.request.url}")
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            route.abort()

    def visit(self, page, url: str) -> None:
        self.current = url
        page.goto(url, wait_until="load")
        page.mouse.move(200, 200)
        page.keyboard.press("Tab")
        try:
            self.dom += [f"{url}: {problem}" for problem in page.evaluate(AUDIT_DOM)]
        except PlaywrightError as error:
            self.dom.append(f"{url}: the page navigated away by itself ({error.message.splitlines()[0]})")
        if page.url != url:
            self.dom.append(f"{url}: the page navigated to {page.url}")

    def problems(self) -> list[str]:
        """Each problem once, in the order found."""
        return list(dict.fromkeys(self._all()))

    def _all(self) -> list[str]:
        return self.dialogs + self.console + self.csp_violations + self.marker_requests + self.dom
