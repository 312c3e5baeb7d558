"""The classroom in Chromium: a mentor and two students, each in a browser context of their own."""

from __future__ import annotations

import csv
import io
import re

from playwright.async_api import Locator, Page, expect

from tests.support.platform import Platform
from tests.support.sockets import live_class
from tests.web.pages import DESKTOP, PHONE, Pages, chat_texts, contrast_failures, message_box


async def say(page: Page, text: str) -> None:
    box = message_box(page)
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


def question(page: Page, text: str) -> Locator:
    return page.locator("#questions .question").filter(has_text=text)


def poll_item(page: Page, text: str) -> Locator:
    return page.locator("#polls .poll").filter(has_text=text)


async def test_a_class_with_a_mentor_and_two_students(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    base = platform.server.url
    sam, lee = platform.students
    mentor = await pages.classroom(base, platform.mentor, class_id)
    s1 = await pages.classroom(base, sam, class_id)
    s2 = await pages.classroom(base, lee, class_id)

    # Everyone is connected and online; the token left the address bar.
    for page in (mentor, s1, s2):
        await expect(page.locator("#banner")).to_have_attribute("data-state", "live")
        assert "token" not in page.url
    await expect(mentor.locator("#online-count")).to_have_text("(3)")
    await expect(mentor.locator("#people")).to_contain_text("Lee Learner")
    await expect(mentor.get_by_role("button", name="End class")).to_be_visible()
    await expect(s1.get_by_role("button", name="End class")).to_have_count(0)
    await expect(s1.get_by_role("button", name="Create poll")).to_be_hidden()

    # Chat both ways; text from users stays text.
    await say(s1, "Hello from Sam <b>not bold</b>")
    await expect(mentor.locator("#chat-log")).to_contain_text("Hello from Sam <b>not bold</b>")
    await expect(mentor.locator("#chat-log b")).to_have_count(0)
    await say(mentor, "Welcome, Sam")
    await expect(s1.locator("#chat-log")).to_contain_text("Welcome, Sam")
    await expect(s2.locator("#chat-log")).to_contain_text("Welcome, Sam")
    await say(s2, "oops, wrong window")
    wrong = mentor.locator("#chat-log .msg").filter(has_text="oops, wrong window")
    await wrong.get_by_role("button", name="Delete message").click()
    await expect(s2.locator("#chat-log")).not_to_contain_text("oops, wrong window")
    await expect(s1.locator("#chat-log")).not_to_contain_text("oops, wrong window")

    # An anonymous question: upvoted by the other student, answered by the mentor.
    await s1.get_by_role("textbox", name="Question", exact=True).fill("Why is the sky blue?")
    await s1.get_by_role("checkbox", name="Ask anonymously").check()
    await s1.get_by_role("button", name="Ask", exact=True).click()
    for page in (mentor, s2):
        await expect(question(page, "Why is the sky blue?")).to_contain_text("Anonymous")
        await expect(question(page, "Why is the sky blue?")).not_to_contain_text("Sam")
    await expect(s2.locator("#qa-announcer")).to_contain_text("Why is the sky blue?")
    upvote = question(s2, "Why is the sky blue?").get_by_role("button", name="Upvote")
    await upvote.click()
    await expect(upvote).to_have_attribute("aria-pressed", "true")
    await expect(question(mentor, "Why is the sky blue?").locator(".vote-count")).to_have_text("1")
    await question(mentor, "Why is the sky blue?").get_by_role("button", name="Answer").click()
    await mentor.get_by_role("textbox", name="Answer", exact=True).fill("Rayleigh scattering.")
    await mentor.get_by_role("button", name="Send answer").click()
    answered = question(s1, "Why is the sky blue?")
    await expect(answered).to_contain_text("Answered")
    await expect(answered).to_contain_text("Rayleigh scattering.")
    # Pinned questions come first; a hidden one leaves the students' lists.
    await s2.get_by_role("textbox", name="Question", exact=True).fill("Off-topic question")
    await s2.get_by_role("button", name="Ask", exact=True).click()
    await question(mentor, "Off-topic question").get_by_role("button", name="Pin").click()
    await expect(s1.locator("#questions .question").first).to_contain_text("Off-topic question")
    await expect(question(s1, "Off-topic question")).to_contain_text("Lee Learner")
    await question(mentor, "Off-topic question").get_by_role("button", name="Hide").click()
    await expect(question(s1, "Off-topic question")).to_have_count(0)
    await expect(question(mentor, "Off-topic question")).to_contain_text("Hidden")

    # A poll: created, voted, closed; the chart shows the final counts.
    await mentor.get_by_text("New poll").click()
    await mentor.get_by_label("Poll question").fill("Best colour?")
    await mentor.get_by_label("Options, one per line").fill("Red\nBlue\nGreen")
    await mentor.get_by_label("Correct options").fill("2")
    await mentor.get_by_role("button", name="Create poll").click()
    for page, choice in ((s1, "Blue"), (s2, "Green")):
        poll = poll_item(page, "Best colour?")
        await poll.get_by_label(choice).check()
        await poll.get_by_role("button", name="Vote").click()
        await expect(poll).to_contain_text(f"Your vote: {choice}")
    mentor_poll = poll_item(mentor, "Best colour?")
    await expect(mentor_poll.locator(".bar-count")).to_have_text(["0", "1", "1"])
    await mentor_poll.get_by_role("button", name="Close poll").click()
    closed = poll_item(s1, "Best colour?")
    await expect(closed).to_contain_text("closed")
    await expect(closed.locator(".bar-count")).to_have_text(["0", "1", "1"])
    await expect(closed.locator(".bar-row.correct")).to_contain_text("Blue")
    await expect(closed.get_by_role("button", name="Vote")).to_have_count(0)

    # A hand raised, seen by the mentor in the queue, then lowered.
    await s2.get_by_role("button", name="Raise hand").click()
    await expect(mentor.locator("#hands")).to_contain_text("1. Lee Learner")
    await s2.get_by_role("button", name="Lower hand").click()
    await expect(mentor.locator("#hands")).to_contain_text("No hands raised.")
    await expect(s2.get_by_role("button", name="Raise hand")).to_be_visible()
    await s1.get_by_role("button", name="Raise hand").click()
    await mentor.get_by_role("button", name="Lower Sam Student's hand").click()
    await expect(s1.get_by_role("button", name="Raise hand")).to_be_visible()
    await expect(s1.locator("#hands")).to_contain_text("No hands raised.")

    # A reaction floats on the others' screens; a shared link reaches everyone.
    await s1.get_by_role("button", name="Applause").click()
    await expect(mentor.locator(".floater").first).to_have_text("👏")
    await mentor.get_by_text("Share a link").click()
    await mentor.get_by_label("Link title").fill("Course notes")
    await mentor.get_by_label("Link address").fill("https://example.org/notes")
    await mentor.get_by_role("button", name="Share").click()
    await expect(s1.get_by_role("link", name="Course notes")).to_have_attribute(
        "href", "https://example.org/notes"
    )

    # Screenshots as people see the class (desktop and phone); every text readable (WCAG AA).
    for page, who in ((mentor, "mentor"), (s1, "student")):
        assert await contrast_failures(page) == [], who
        await pages.screenshot(page, f"classroom-{who}-desktop")
        await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
        await pages.screenshot(page, f"classroom-{who}-phone")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{who}: the page scrolls sideways at 360 px ({width})"
        await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]

    # Lee's network drops while the others chat; back online, every missed message once, in order.
    before = await chat_texts(s2)
    await s2.context.set_offline(True)
    await expect(s2.locator("#banner")).to_have_attribute("data-state", "offline")
    await say(mentor, "missed 1")
    await say(s1, "missed 2")
    await say(mentor, "missed 3")
    await s2.context.set_offline(False)
    await expect(s2.locator("#banner")).to_have_attribute("data-state", "live")
    await expect(s2.locator("#chat-log")).to_contain_text("missed 3")
    assert await chat_texts(s2) == [*before, "missed 1", "missed 2", "missed 3"]

    # The mentor removes Lee: Lee is told, and leaves the online list.
    await mentor.get_by_role("button", name="Remove Lee Learner").click()
    await mentor.get_by_role("button", name="Confirm removal").click()
    await expect(s2.locator("#notice")).to_contain_text("You were removed from this class")
    await expect(message_box(s2)).to_have_js_property("readOnly", True)
    await expect(mentor.locator("#online-count")).to_have_text("(2)")

    # The end of the class: everyone sees it; the mentor gets attendance, timeline and CSV.
    await mentor.get_by_role("button", name="End class").click()
    await mentor.get_by_role("button", name="Yes, end it").click()
    await expect(s1.locator("#class-meta")).to_contain_text("Ended")
    await expect(s1.locator("#notice")).to_contain_text("This class has ended")
    await expect(s1.locator("#attendance-panel")).to_be_hidden()
    table = mentor.locator("#attendance tbody tr")
    await expect(table).to_have_count(3)
    sam_row = table.filter(has_text="Sam Student")
    await expect(sam_row).to_contain_text(re.compile("present|partial"))
    await expect(mentor.locator("#timeline svg rect.session")).not_to_have_count(0)
    await pages.screenshot(mentor, "attendance-mentor-desktop")
    async with mentor.expect_download() as download_info:
        await mentor.get_by_role("button", name="Download CSV").click()
    download = await download_info.value
    rows = list(csv.DictReader(io.StringIO((await download.path()).read_text(encoding="utf-8"))))
    assert {row["name"] for row in rows} == {"Sam Student", "Lee Learner", "Grace Mentor"}
    assert download.suggested_filename == f"attendance-{class_id}.csv"


async def test_polls_of_every_kind(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    base = platform.server.url
    mentor = await pages.classroom(base, platform.mentor, class_id)
    student = await pages.classroom(base, platform.students[0], class_id)

    async def create(question_text: str, kind: str, results: str, options: str = "") -> None:
        await mentor.get_by_text("New poll").click()
        await mentor.get_by_label("Poll question").fill(question_text)
        await mentor.get_by_label("Poll kind").select_option(kind)
        if options:
            await mentor.get_by_label("Options, one per line").fill(options)
        await mentor.get_by_label("Who sees the results").select_option(results)
        await mentor.get_by_role("checkbox", name="Anonymous votes").check()
        await mentor.get_by_role("button", name="Create poll").click()
        await expect(poll_item(student, question_text)).to_be_visible()

    await create("Which topics?", "multiple", "live", "Loops\nLists\nDicts")
    topics = poll_item(student, "Which topics?")
    await topics.get_by_label("Loops").check()
    await topics.get_by_label("Dicts").check()
    await topics.get_by_role("button", name="Vote").click()
    await expect(topics).to_contain_text("Your vote: Loops, Dicts")
    await expect(topics.locator(".bar-count")).to_have_text(["1", "0", "1"])

    await create("How clear was it?", "rating", "on_close")
    rating = poll_item(student, "How clear was it?")
    await expect(rating).to_contain_text("Results appear when the poll closes.")
    await rating.get_by_label("4").check()
    await rating.get_by_role("button", name="Vote").click()
    await expect(poll_item(mentor, "How clear was it?")).to_contain_text("average 4")
    await poll_item(mentor, "How clear was it?").get_by_role("button", name="Close poll").click()
    await expect(rating.locator(".bar-count")).to_have_text(["0", "0", "0", "1", "0"])

    await create("One word for today?", "text", "hosts")
    words = poll_item(student, "One word for today?")
    await expect(words).to_contain_text("Only the hosts see the results.")
    await words.get_by_role("textbox", name="Your answer").fill("<i>curious</i>")
    await words.get_by_role("button", name="Vote").click()
    await expect(poll_item(mentor, "One word for today?").locator(".answers li")).to_have_text(
        ["<i>curious</i>"]
    )
    await expect(words.locator(".answers")).to_have_count(0)


async def test_keyboard_alone_chats_and_raises_a_hand(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    page = await pages.classroom(platform.server.url, platform.students[0], class_id)

    async def tab_to(name: str) -> None:
        for _ in range(60):
            await page.keyboard.press("Tab")
            focused = await page.evaluate(
                "document.activeElement.getAttribute('aria-label')"
                " || document.activeElement.labels?.[0]?.textContent"
                " || document.activeElement.textContent"
            )
            if (focused or "").strip() == name:
                return
        raise AssertionError(f"Tab never reached {name!r}")

    await tab_to("Message")
    await page.keyboard.type("typed without a mouse")
    await page.keyboard.press("Enter")
    await expect(page.locator("#chat-log")).to_contain_text("typed without a mouse")
    await tab_to("Raise hand")
    await page.keyboard.press("Enter")
    lower = page.get_by_role("button", name="Lower hand")
    await expect(lower).to_be_focused()
    # The queue broadcast can relabel the button before the raise is acked; until then
    # it is busy and a press does nothing, as for any user.
    await expect(lower).not_to_have_attribute("aria-disabled", "true")
    await page.keyboard.press("Space")
    await expect(page.get_by_role("button", name="Raise hand")).to_be_visible()
