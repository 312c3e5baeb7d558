"""The browser modules on their own, in Chromium: ordering and gap recovery of
``classchannel.js`` against a scripted socket, and the backoff of ``socketio.js``."""

from __future__ import annotations

from typing import Any

from tests.support.servers import LiveServer
from tests.web.pages import Pages

CHANNEL_SCRIPT = """
async () => {
  const { ClassChannel } = await import("/static/js/classchannel.js");
  const handlers = new Map();
  const replies = { "class:join": [], "class:resync": [] };
  const calls = [];
  const log = [];
  const socket = {
    connected: true,
    on(name, fn) { handlers.set(name, fn); },
    async call(event, payload) {
      calls.push([event, payload.after_seq ?? null]);
      return replies[event].shift();
    },
  };
  const fire = (name, data) => handlers.get(name)(data);
  const chat = (seq, cls = "c1") => ({ class_id: cls, seq, message: { id: `m${seq}` } });
  const settle = (ms) => new Promise((done) => setTimeout(done, ms));
  new ClassChannel(socket, "c1", {
    snapshot: (snapshot, { first }) => log.push(`snapshot ${snapshot.seq} first=${first}`),
    event: (name, data) => log.push(`${name} ${data.seq ?? ""}`.trim()),
    error: (error) => log.push(`error ${error.code}`),
  });

  replies["class:join"].push({ ok: true, snapshot: { seq: 5 } });
  fire("connect");
  await settle(10);
  fire("chat:message", chat(5));           // already in the snapshot: dropped
  fire("chat:message", chat(6));
  fire("chat:message", chat(6));           // twice: applied once
  fire("chat:message", chat(7, "other"));  // another class: ignored
  replies["class:resync"].push(
    { ok: true, seq: 9, more: true, events: [
      { event: "chat:message", data: chat(7) }, { event: "chat:message", data: chat(8) }] },
    { ok: true, events: [{ event: "chat:message", data: chat(9) }], seq: 9, more: false },
  );
  fire("chat:message", chat(8));           // a gap (7 missing): held, then resync
  fire("chat:message", chat(9));
  await settle(600);
  fire("presence:update", { class_id: "c1", count: 2, joined: [], left: [] });

  // A reconnection: the snapshot refreshes, then resync replays what was missed.
  replies["class:join"].push({ ok: true, snapshot: { seq: 11 } });
  replies["class:resync"].push({ ok: true, events: [
    { event: "question:new", data: { class_id: "c1", seq: 10 } },
    { event: "hand:queue", data: { class_id: "c1", seq: 11 } }], seq: 11, more: false });
  fire("connect");
  await settle(50);

  // History gone: start over from a fresh snapshot.
  replies["class:join"].push({ ok: true, snapshot: { seq: 40 } });
  replies["class:resync"].push({ ok: true, reset: true });
  fire("chat:message", chat(13));
  await settle(600);
  fire("chat:message", chat(41));

  // A refused join reaches the page's error handler.
  replies["class:join"].push({ ok: false, error: { code: "forbidden", message: "removed" } });
  fire("connect");
  await settle(10);
  return { log, calls };
}
"""


async def test_class_channel_applies_each_event_once_in_order(
    server: LiveServer, pages: Pages
) -> None:
    page = await pages.open(f"{server.url}/", label="modules")
    result: dict[str, Any] = await page.evaluate(CHANNEL_SCRIPT)
    assert result["log"] == [
        "snapshot 5 first=true",
        "chat:message 6",
        "chat:message 7",
        "chat:message 8",
        "chat:message 9",
        "presence:update",
        "snapshot 11 first=false",
        "question:new 10",
        "hand:queue 11",
        "snapshot 40 first=true",
        "chat:message 41",
        "error forbidden",
    ]
    assert result["calls"] == [
        ["class:join", None],
        ["class:resync", 6],
        ["class:resync", 9],  # the held 8 and 9 were applied after 7
        ["class:join", None],
        ["class:resync", 9],
        ["class:resync", 11],
        ["class:join", None],
        ["class:join", None],
    ]


RETRY_SCRIPT = """
async () => {
  const { ClassChannel } = await import("/static/js/classchannel.js");
  const handlers = new Map();
  const replies = [
    { ok: false, error: { code: "rate_limited", message: "busy", retry_after: 1 } },
    { ok: true, snapshot: { seq: 3 } },
  ];
  const log = [];
  const socket = {
    connected: true,
    on(name, fn) { handlers.set(name, fn); },
    async call(event) {
      log.push(event);
      return replies.shift();
    },
  };
  new ClassChannel(socket, "c1", {
    snapshot: (snapshot, { first }) => log.push(`snapshot ${snapshot.seq} first=${first}`),
    event: () => {},
    error: (error) => log.push(`error ${error.code}`),
  });
  handlers.get("connect")();
  const deadline = Date.now() + 10000;
  while (log.length < 3 && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 50));
  }
  return log;
}
"""


async def test_a_join_refused_as_rate_limited_is_sent_again_after_retry_after(
    server: LiveServer, pages: Pages
) -> None:
    page = await pages.open(f"{server.url}/", label="modules")
    log: list[str] = await page.evaluate(RETRY_SCRIPT)
    assert log == ["class:join", "class:join", "snapshot 3 first=true"]


BACKOFF_SCRIPT = """
async () => {
  const { backoffDelay } = await import("/static/js/socketio.js");
  const at = (attempt, random) =>
    backoffDelay(attempt, { base: 500, max: 10000, jitter: 0.5, random: () => random });
  return {
    middle: [1, 2, 3, 4, 5, 6, 7].map((n) => at(n, 0.5)),
    low: [1, 7].map((n) => at(n, 0)),
    high: [1, 7].map((n) => at(n, 1)),
  };
}
"""


async def test_reconnection_backs_off_exponentially_with_jitter(
    server: LiveServer, pages: Pages
) -> None:
    page = await pages.open(f"{server.url}/", label="modules")
    delays: dict[str, list[int]] = await page.evaluate(BACKOFF_SCRIPT)
    assert delays["middle"] == [500, 1000, 2000, 4000, 8000, 10000, 10000]
    assert delays["low"] == [250, 5000]
    assert delays["high"] == [750, 15000]
