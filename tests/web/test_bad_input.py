"""Bad input and refusals through the page: each shows a clear message and loses nothing typed."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.platform import Platform
from tests.support.sockets import live_class
from tests.web.pages import Pages, chat_texts, message_box


async def test_empty_and_too_long_messages_are_explained_and_kept(
    platform: Platform, pages: Pages
) -> None:
    class_id = await live_class(platform)
    page = await pages.classroom(platform.server.url, platform.students[0], class_id)
    box = message_box(page)
    error = page.locator("#chat-error")

    await box.fill("   ")
    await box.press("Enter")
    await expect(error).to_have_text("Type a message first.")

    too_long = "x" * 2001
    await box.fill(too_long)
    await page.get_by_role("button", name="Send").click()
    await expect(error).to_have_text(
        "A message can be at most 2,000 characters; this one has 2,001."
    )
    await expect(box).to_have_value(too_long)

    # Fixed by the person: sent, the box empties and the error goes away.
    await box.fill("x" * 2000)
    await box.press("Enter")
    await expect(box).to_have_value("")
    await expect(error).to_be_hidden()
    assert await chat_texts(page) == ["x" * 2000]

    await page.get_by_role("button", name="Ask", exact=True).click()
    await expect(page.locator("#ask-error")).to_have_text("Type your question first.")


async def test_a_refusal_from_the_server_shows_next_to_the_control(
    platform: Platform, pages: Pages
) -> None:
    class_id = await live_class(platform, start=False)  # scheduled: students cannot chat yet
    page = await pages.classroom(platform.server.url, platform.students[0], class_id)
    await expect(page.locator("#notice")).to_contain_text("has not started yet")
    box = message_box(page)
    await box.fill("Is anyone here?")
    await box.press("Enter")
    await expect(page.locator("#chat-error")).to_contain_text("not live")
    await expect(box).to_have_value("Is anyone here?")
    await page.get_by_role("textbox", name="Question", exact=True).fill("When do we start?")
    await page.get_by_role("button", name="Ask", exact=True).click()
    await expect(page.locator("#ask-error")).to_contain_text("not live")
    await expect(page.get_by_role("textbox", name="Question", exact=True)).to_have_value(
        "When do we start?"
    )
    await page.get_by_role("button", name="Raise hand").click()
    await expect(page.locator("#hand-error")).to_contain_text("not live")

    # The mentor starts the class from the page: the student's page follows, and the
    # message that failed is still there to send.
    mentor = await pages.classroom(platform.server.url, platform.mentor, class_id)
    await mentor.get_by_role("button", name="Start class").click()
    await expect(page.locator("#class-meta")).to_contain_text("Live now")
    await box.press("Enter")
    await expect(mentor.locator("#chat-log")).to_contain_text("Is anyone here?")
    await expect(page.locator("#chat-error")).to_be_hidden()


async def test_a_poll_form_explains_what_is_missing(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    mentor = await pages.classroom(platform.server.url, platform.mentor, class_id)
    await mentor.get_by_text("New poll").click()
    await mentor.get_by_role("button", name="Create poll").click()
    await expect(mentor.locator("#poll-error")).to_have_text("Write the poll's question first.")
    await mentor.get_by_label("Poll question").fill("Pick one")
    await mentor.get_by_label("Options, one per line").fill("Only one")
    await mentor.get_by_role("button", name="Create poll").click()
    await expect(mentor.locator("#poll-error")).to_have_text("Give 2 to 10 options, one per line.")
    await mentor.get_by_label("Options, one per line").fill("A\nB")
    await mentor.get_by_label("Correct options").fill("3")
    await mentor.get_by_role("button", name="Create poll").click()
    await expect(mentor.locator("#poll-error")).to_have_text(
        "Correct options are numbers from 1 to 2."
    )
    await expect(mentor.get_by_label("Poll question")).to_have_value("Pick one")


async def test_an_expired_session_keeps_what_was_typed(platform: Platform, pages: Pages) -> None:
    class_id = await live_class(platform)
    sam = platform.students[0]
    page = await pages.classroom(platform.server.url, sam, class_id)
    await message_box(page).fill("half-written thought")
    state = platform.server.state
    for sid in list(state.hub.presence.sids(class_id, sam.user_id)):
        await state.sio.emit(
            "auth:expired", {"code": "unauthorized", "message": "the token has expired"}, to=sid
        )
        await state.sio.disconnect(sid)
    await expect(page.locator("#notice")).to_contain_text("Your session has expired")
    await expect(page.locator("#banner")).to_have_attribute("data-state", "closed")
    await expect(message_box(page)).to_have_value("half-written thought")
    await expect(page.get_by_role("button", name="Send")).to_be_disabled()
