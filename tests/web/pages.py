"""Opening the liveclass pages in browser contexts, one per person, as the platform would."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Error, Locator, Page

from tests.support.platform import Person

__all__ = ["DESKTOP", "PHONE", "Pages", "chat_texts", "contrast_failures", "message_box"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
WAIT_MS = 15_000

# A refused request or a socket cut on purpose is logged by the browser itself; not a page bug.
_NETWORK_NOISE = ("Failed to load resource", "WebSocket connection to")


class Pages:
    def __init__(self, browser: Browser, screenshots: Path) -> None:
        self.browser = browser
        self.screenshots = screenshots
        self.errors: list[str] = []
        self._contexts: list[BrowserContext] = []

    async def open(self, url: str, *, label: str, viewport: dict[str, int] | None = None) -> Page:
        context = await self.browser.new_context(viewport=viewport or DESKTOP)  # type: ignore[arg-type]
        context.set_default_timeout(WAIT_MS)
        self._contexts.append(context)
        page = await context.new_page()

        def on_error(error: Error) -> None:
            self.errors.append(f"{label}: {error}")

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and not message.text.startswith(_NETWORK_NOISE):
                self.errors.append(f"{label}: console: {message.text}")

        page.on("pageerror", on_error)
        page.on("console", on_console)
        await page.goto(url)
        return page

    async def classroom(
        self, base: str, person: Person, class_id: str, *, viewport: dict[str, int] | None = None
    ) -> Page:
        """The classroom as the platform opens it (token in the fragment), once joined."""
        page = await self.open(
            f"{base}/classes/{class_id}#token={person.token}", label=person.name, viewport=viewport
        )
        await page.locator("body[data-ready=true]").wait_for(state="attached")
        return page

    async def screenshot(self, page: Page, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(path), full_page=False)
        return path

    async def close(self) -> None:
        for context in self._contexts:
            await context.close()


def message_box(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Message", exact=True)


async def chat_texts(page: Page) -> list[str]:
    return await page.locator("#chat-log .msg-text").all_inner_texts()


# WCAG 2 contrast of every visible text against the first opaque background behind it.
_CONTRAST = """
() => {
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const color = rgb(getComputedStyle(node).backgroundColor);
      if (color.length === 3 || color[3] === 1) return color.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg, [aria-hidden=true], .visually-hidden") || el.disabled) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || !el.getClientRects().length || style.visibility === "hidden") continue;
    const [fg, bg] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      const text = el.textContent.trim().slice(0, 30);
      failures.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} "${text}"`);
    }
  }
  return failures;
}
"""


async def contrast_failures(page: Page) -> list[str]:
    """Texts below WCAG AA (4.5:1, or 3:1 for large text); empty when all pass."""
    failures: list[str] = await page.evaluate(_CONTRAST)
    return failures
