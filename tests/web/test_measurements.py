"""How the classroom renders a busy class: measured in Chromium and reported, not asserted on time.

The figures (first paint, snapshot rendered, full chat history rendered, the
longest main-thread task) are printed and written to ``measurements.json`` in
the screenshots folder; the assertions are about what is on screen.
"""

from __future__ import annotations

import json

from playwright.async_api import expect

from tests.support.platform import Platform
from tests.support.sockets import live_class
from tests.web.pages import DESKTOP, Pages

MESSAGES = 300
QUESTIONS = 50

# Installed before the page's own scripts: collects main-thread tasks over 50 ms.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({ type: "longtask", buffered: true });
"""

FIGURES = """
() => {
  const at = (name) => performance.getEntriesByName(name).at(-1)?.startTime ?? null;
  const took = (name) => performance.getEntriesByName(name).map((entry) => entry.duration);
  return {
    first_contentful_paint_ms: at("first-contentful-paint"),
    snapshot_rendered_ms: at("classroom-ready"),
    history_rendered_ms: at("chat-history-loaded"),
    render_snapshot_ms: took("render-snapshot")[0] ?? null,
    render_history_pages_ms: took("render-history-page"),
    longest_task_ms: Math.max(0, ...window.__longTasks),
    long_tasks: window.__longTasks.length,
  };
}
"""


async def test_300_messages_and_50_questions_render(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    path = f"/api/live-classes/{class_id}"
    for i in range(MESSAGES):
        sent = await platform.call(
            "POST", f"{path}/chat", platform.mentor, json={"text": f"message {i:03d}"}
        )
        assert sent.status_code == 201, sent.text
    for i in range(QUESTIONS):
        asked = await platform.call(
            "POST", f"{path}/qa", platform.mentor, json={"text": f"question {i:02d}"}
        )
        assert asked.status_code == 201, asked.text

    context = await pages.browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    await context.add_init_script(LONG_TASKS)
    page = await context.new_page()
    page.on("pageerror", lambda error: pages.errors.append(f"measurements: {error}"))
    try:
        sam = platform.students[0]
        await page.goto(f"{platform.server.url}/classes/{class_id}#token={sam.token}")
        await page.locator("body[data-history=complete]").wait_for(state="attached")
        messages = page.locator("#chat-log .msg-text")
        await expect(messages).to_have_count(MESSAGES)
        await expect(page.locator("#questions .question")).to_have_count(QUESTIONS)
        texts = await messages.all_inner_texts()
        assert texts == [f"message {i:03d}" for i in range(MESSAGES)]
        figures = await page.evaluate(FIGURES)
    finally:
        await context.close()
    figures["backend"] = platform.server.settings.database_url.split(":", 1)[0]
    report = pages.screenshots / f"measurements-{figures['backend']}.json"
    report.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"\nclassroom with {MESSAGES} messages and {QUESTIONS} questions: {figures}")
    assert figures["first_contentful_paint_ms"] is not None
