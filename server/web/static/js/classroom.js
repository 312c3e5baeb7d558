/**
 * The classroom page: meeting link, chat, questions, polls, hands, reactions,
 * people online, resources, host controls and, after the class, attendance.
 *
 * State arrives over the socket (ClassChannel: snapshot, then events in seq
 * order); actions go out as socket events with acks, except start/end, the
 * meeting link, chat history and attendance, which are HTTP calls.
 */

import { barChart, timeline } from "./charts.js";
import { ActionError, ClassChannel, request } from "./classchannel.js";
import { PROVIDERS, STATUSES, clock, duration, fill, h, problemPage, when } from "./dom.js";
import { api, claims, describeTokenProblem, signInHelp, takeToken, tokenProblem } from "./session.js";
import { Socket } from "./socketio.js";

const CHAT_MAX = 2000;
const QUESTION_MAX = 1000;
const HISTORY_PAGE = 100;
const HISTORY_AUTOLOAD = 1000;
const EMOJIS = [["👍", "Thumbs up"], ["👏", "Applause"], ["❤️", "Heart"], ["😂", "Laugh"],
  ["😮", "Surprised"], ["🎉", "Celebrate"], ["🤔", "Thinking"], ["🙋", "Me!"]];

const $ = (id) => document.getElementById(id);
const classId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

const state = {
  token: null,
  me: null, // {user, role}
  cls: null,
  isHost: false,
  messages: new Map(), // id -> element
  questions: new Map(), // id -> {data, el}
  myVotes: new Set(),
  polls: new Map(), // id -> {poll, tally, myVote, el}
  hands: [],
  online: new Map(), // id -> user
  onlineCount: 0,
  resources: new Map(),
  historyDone: false,
  stopped: null, // "removed" | "expired" | "refused": the page is read-only
  started: false,
};

let socket;

// -- small helpers ---------------------------------------------------------------

function showError(el, error) {
  el.textContent = error ? (error.message || String(error)) : "";
}

/**
 * Run an action from a control: its error shows in `errorEl`. The control is
 * busy meanwhile (a second press does nothing) but stays focusable: a disabled
 * button would drop the keyboard user's focus.
 */
async function act(errorEl, control, run) {
  if (control?.getAttribute("aria-disabled") === "true") return undefined;
  showError(errorEl, null);
  control?.setAttribute("aria-disabled", "true");
  try {
    return await run();
  } catch (error) {
    showError(errorEl, friendly(error));
    return undefined;
  } finally {
    control?.removeAttribute("aria-disabled");
  }
}

function friendly(error) {
  if (error instanceof ActionError || error?.name === "ApiError") return error;
  if (error?.name === "NotConnected") return new Error("You are offline: this was not sent. It will work again once you are reconnected.");
  if (error?.name === "AckTimeout") return new Error("The server did not answer in time. Please try again.");
  return error;
}

function send(event, payload) {
  return request(socket, event, { class_id: classId, ...payload });
}

function isMine(user) {
  return user && state.me && user.id === state.me.user.id;
}

// -- connection state ----------------------------------------------------------------

const BANNER = {
  connecting: "Connecting…",
  live: "Connected",
  reconnecting: "Reconnecting… Missed messages will appear once you are back.",
  offline: "Offline: check your connection. Missed messages will appear once you are back.",
};

function banner(kind, text) {
  const el = $("banner");
  el.dataset.state = kind;
  el.textContent = text ?? BANNER[kind];
}

function refreshBanner() {
  if (state.stopped) return;
  if (!navigator.onLine) banner("offline");
  else if (socket.state === "connected") banner("live");
  else if (socket.state === "reconnecting") banner("reconnecting");
  else banner("connecting");
}

/** Removed, expired or refused: keep what is on screen (and typed), stop every action. */
function stop(kind, message) {
  state.stopped = kind;
  banner("closed", message);
  const notice = $("notice");
  notice.textContent = message;
  notice.hidden = false;
  for (const el of document.querySelectorAll("main button, main input, main select, main textarea")) {
    if (el.tagName === "TEXTAREA" || el.type === "text") el.readOnly = true;
    else el.disabled = true;
  }
  socket.disconnect();
}

// -- class header -------------------------------------------------------------------------

function renderClass() {
  const cls = state.cls;
  document.title = `${cls.title} · liveclass`;
  $("class-title").textContent = cls.title;
  let times = `${when(cls.scheduled_start)} to ${clock(cls.scheduled_end)}`;
  if (cls.status === "live" && cls.actual_start) times = `started ${clock(cls.actual_start)}`;
  if (cls.status === "ended" && cls.actual_start) times = `ran ${when(cls.actual_start)} to ${clock(cls.actual_end)}`;
  fill($("class-meta"),
    h("span", { class: `badge status-${cls.status}`, text: STATUSES[cls.status] || cls.status }),
    ` ${times} · ${PROVIDERS[cls.provider] || cls.provider} · host ${cls.host.name}`,
    state.isHost ? " · you are a host" : "");
  const link = (state.isHost && cls.host_url) || cls.join_url;
  const meeting = $("meeting");
  meeting.hidden = !link || cls.status === "ended" || cls.status === "cancelled";
  if (link) meeting.href = link;
  meeting.textContent = state.isHost && cls.host_url ? "Open the meeting (host)" : "Open the meeting";
  $("start").hidden = !(state.isHost && cls.status === "scheduled");
  $("end").hidden = !(state.isHost && cls.status === "live");
  if (cls.status !== "live") $("end-confirm").hidden = true;
  if (cls.status === "ended" && state.isHost) loadAttendance();
  const notice = $("notice");
  if (!state.stopped) {
    const text = {
      scheduled: "The class has not started yet. Chat, questions and polls open when the host starts it.",
      ended: "This class has ended. You can still read everything.",
      cancelled: "This class was cancelled.",
    }[cls.status];
    notice.hidden = !text;
    notice.textContent = text || "";
  }
}

function openMeeting() {
  // Records joining (attendance); the link itself opens in a new tab.
  api(state.token, `/api/live-classes/${encodeURIComponent(classId)}/join`, { method: "POST" }).catch((error) => {
    showError($("head-error"), error);
  });
}

async function lifecycle(move) {
  await act($("head-error"), $(move === "start" ? "start" : "end-yes"), async () => {
    const { data } = await api(state.token, `/api/live-classes/${encodeURIComponent(classId)}/${move}`, { method: "POST" });
    Object.assign(state.cls, { status: data.status, actual_start: data.actual_start, actual_end: data.actual_end });
    renderClass();
  });
}

// -- chat ----------------------------------------------------------------------------------

function messageElement(message) {
  const mine = isMine(message.user);
  const canDelete = mine || state.isHost;
  const el = h("li", { class: `msg${mine ? " mine" : ""}${message.user.role !== "participant" ? " host" : ""}`, "data-id": message.id },
    h("div", { class: "msg-head" },
      h("span", { class: "msg-author", text: mine ? `${message.user.name} (you)` : message.user.name }),
      message.user.role !== "participant" ? h("span", { class: "role", text: "host" }) : null,
      h("time", { datetime: message.sent_at, text: clock(message.sent_at) }),
      canDelete ? h("button", { type: "button", class: "link small", "aria-label": "Delete message", text: "Delete",
        onclick: (event) => deleteMessage(message.id, event.currentTarget) }) : null),
    h("p", { class: "msg-text", text: message.text }),
    h("p", { class: "error", role: "alert" }));
  return el;
}

function nearBottom(log) {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function addMessages(messages, { prepend = false } = {}) {
  const log = $("chat-log");
  const stick = nearBottom(log);
  const fragment = document.createDocumentFragment();
  for (const message of messages) {
    if (state.messages.has(message.id)) continue;
    const el = messageElement(message);
    state.messages.set(message.id, el);
    fragment.append(el);
  }
  if (prepend) {
    const before = log.scrollHeight - log.scrollTop;
    log.prepend(fragment);
    log.scrollTop = log.scrollHeight - before;
  } else {
    log.append(fragment);
    if (stick) log.scrollTop = log.scrollHeight;
  }
}

function removeMessage(id) {
  state.messages.get(id)?.remove();
  state.messages.delete(id);
}

async function deleteMessage(id, button) {
  const errorEl = state.messages.get(id)?.querySelector(".error");
  await act(errorEl, button, () => send("chat:delete", { message_id: id }).then(() => removeMessage(id)));
}

/** Older messages than those on screen, page by page (the snapshot has the last 50). */
async function loadEarlier({ auto = false } = {}) {
  const button = $("chat-earlier");
  await act($("chat-error"), button, async () => {
    for (;;) {
      const page = await api(state.token,
        `/api/live-classes/${encodeURIComponent(classId)}/chat?limit=${HISTORY_PAGE}&offset=${state.messages.size}`);
      const began = performance.now();
      addMessages(page.data, { prepend: true });
      performance.measure("render-history-page", { start: began });
      state.historyDone = state.messages.size >= page.count || page.data.length === 0;
      if (state.historyDone || !auto || state.messages.size >= HISTORY_AUTOLOAD) break;
    }
  });
  button.hidden = state.historyDone;
  performance.mark("chat-history-loaded");
  document.body.dataset.history = state.historyDone ? "complete" : "partial";
}

let chatClientId = null;
let chatClientText = null;

async function sendChat(event) {
  event.preventDefault();
  const box = $("chat-text");
  const text = box.value.trim();
  const errorEl = $("chat-error");
  if (!text) return showError(errorEl, new Error("Type a message first."));
  if (text.length > CHAT_MAX) {
    return showError(errorEl, new Error(`A message can be at most ${CHAT_MAX.toLocaleString()} characters; this one has ${text.length.toLocaleString()}.`));
  }
  // The same text retried after a failure keeps its id, so it is never posted twice.
  if (text !== chatClientText) {
    chatClientText = text;
    chatClientId = crypto.randomUUID();
  }
  const submit = event.currentTarget.querySelector("button[type=submit]");
  const ack = await act(errorEl, submit, () => send("chat:send", { text, client_id: chatClientId }));
  if (!ack) return;
  addMessages([ack.message]);
  chatClientText = chatClientId = null;
  if (box.value.trim() === text) box.value = "";
  box.focus();
}

// -- questions ---------------------------------------------------------------------------------

function sortQuestions() {
  const list = $("questions");
  const ordered = [...state.questions.values()].sort((a, b) =>
    (b.data.pinned - a.data.pinned)
    || ((a.data.status === "answered") - (b.data.status === "answered"))
    || (b.data.votes - a.data.votes)
    || a.data.asked_at.localeCompare(b.data.asked_at));
  const current = [...list.children];
  if (ordered.every((entry, i) => current[i] === entry.el) && current.length === ordered.length) return;
  const focused = document.activeElement;
  list.append(...ordered.map((entry) => entry.el));
  if (focused && list.contains(focused)) focused.focus();
}

function questionElement() {
  return h("li", { class: "question" });
}

function renderQuestion(entry) {
  const q = entry.data;
  const voted = state.myVotes.has(q.id);
  const el = entry.el;
  el.className = `question${q.pinned ? " pinned" : ""}${q.status === "hidden" ? " hidden-q" : ""}`;
  el.dataset.id = q.id;
  const error = h("p", { class: "error", role: "alert" });
  const upvote = h("button", {
    type: "button", class: "small", "aria-label": "Upvote", "aria-pressed": voted ? "true" : "false",
    text: "▲", onclick: () => act(error, upvote, async () => {
      const ack = await send("question:vote", { question_id: q.id, up: !state.myVotes.has(q.id) });
      if (state.myVotes.has(q.id)) state.myVotes.delete(q.id);
      else state.myVotes.add(q.id);
      setVotes(q.id, ack.votes);
    }),
  });
  const actions = state.isHost ? hostQuestionActions(q, error) : null;
  fill(el,
    h("div", { class: "votes" }, upvote, h("span", { class: "vote-count", "aria-label": `${q.votes} votes`, text: String(q.votes) })),
    h("div", { class: "q-body" },
      h("p", { class: "q-text", text: q.text }),
      h("p", { class: "q-meta" },
        h("span", { class: "q-author", text: q.anonymous ? "Anonymous" : q.author?.name || "Someone" }),
        h("time", { datetime: q.asked_at, text: clock(q.asked_at) }),
        q.pinned ? h("span", { class: "badge", text: "Pinned" }) : null,
        q.status === "answered" ? h("span", { class: "badge status-live", text: "Answered" }) : null,
        q.status === "hidden" ? h("span", { class: "badge", text: "Hidden" }) : null),
      q.answer ? h("p", { class: "q-answer" }, h("strong", { text: "Answer: " }), q.answer) : null),
    actions,
    h("div", { class: "q-actions" }, error));
}

function hostQuestionActions(q, error) {
  const bar = h("div", { class: "q-actions" });
  const moderate = (action, label) => {
    const button = h("button", { type: "button", class: "small", text: label,
      onclick: () => act(error, button, async () => upsertQuestion((await send("question:moderate", { question_id: q.id, action })).question)) });
    return button;
  };
  const answerButton = h("button", { type: "button", class: "small", text: "Answer", onclick: () => {
    const box = h("textarea", { rows: 2, id: `answer-${q.id}` });
    const form = h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const submit = form.querySelector("button[type=submit]");
      await act(error, submit, async () => {
        const text = box.value.trim();
        upsertQuestion((await send("question:answer", { question_id: q.id, text: text || null })).question);
      });
    } },
    h("label", { for: `answer-${q.id}`, text: "Answer" }), box,
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary small", text: "Send answer" }),
      h("button", { type: "button", class: "small", text: "Cancel", onclick: () => { form.remove(); answerButton.hidden = false; answerButton.focus(); } })));
    answerButton.hidden = true;
    bar.append(form);
    box.focus();
  } });
  if (q.status === "open") bar.append(answerButton);
  if (q.status === "answered") bar.append(moderate("reopen", "Reopen"));
  bar.append(q.pinned ? moderate("unpin", "Unpin") : moderate("pin", "Pin"));
  bar.append(q.status === "hidden" ? moderate("unhide", "Unhide") : moderate("hide", "Hide"));
  return bar;
}

function upsertQuestion(q, { announce = false, sort = true } = {}) {
  if (q.status === "hidden" && !state.isHost) {
    state.questions.get(q.id)?.el.remove();
    state.questions.delete(q.id);
    return;
  }
  let entry = state.questions.get(q.id);
  if (!entry) {
    entry = { data: q, el: questionElement() };
    state.questions.set(q.id, entry);
    if (announce) {
      $("qa-announcer").textContent = `New question${q.anonymous ? "" : ` from ${q.author?.name || "someone"}`}: ${q.text}`;
    }
  } else {
    entry.data = q;
  }
  renderQuestion(entry);
  if (sort) sortQuestions();
}

function setVotes(id, votes) {
  const entry = state.questions.get(id);
  if (!entry || entry.data.votes === votes) return;
  entry.data = { ...entry.data, votes };
  const count = entry.el.querySelector(".vote-count");
  count.textContent = String(votes);
  count.setAttribute("aria-label", `${votes} votes`);
  entry.el.querySelector("[aria-label=Upvote]").setAttribute("aria-pressed", state.myVotes.has(id) ? "true" : "false");
  sortQuestions();
}

async function ask(event) {
  event.preventDefault();
  const box = $("ask-text");
  const text = box.value.trim();
  const errorEl = $("ask-error");
  if (!text) return showError(errorEl, new Error("Type your question first."));
  if (text.length > QUESTION_MAX) {
    return showError(errorEl, new Error(`A question can be at most ${QUESTION_MAX.toLocaleString()} characters; this one has ${text.length.toLocaleString()}.`));
  }
  const anonymous = $("ask-anon").checked;
  const ack = await act(errorEl, event.currentTarget.querySelector("button[type=submit]"),
    () => send("question:ask", { text, anonymous }));
  if (!ack) return;
  upsertQuestion(ack.question);
  if (box.value.trim() === text) box.value = "";
}

// -- polls ----------------------------------------------------------------------------------------

const KIND = { single: "Single choice", multiple: "Multiple choice", rating: "Rating 1 to 5", text: "Text answer" };
const RESULTS = { live: "results shown live", on_close: "results shown when closed", hosts: "results for hosts only" };

function describeVote(poll, vote) {
  if (vote === null || vote === undefined) return "";
  if (poll.kind === "single") return poll.options[vote];
  if (poll.kind === "multiple") return vote.map((i) => poll.options[i]).join(", ");
  return String(vote);
}

function voteForm(entry) {
  const { poll } = entry;
  const name = `poll-${poll.id}`;
  const error = h("p", { class: "error", role: "alert" });
  const mine = h("p", { class: "poll-mine", role: "status" });
  let inputs;
  if (poll.kind === "single" || poll.kind === "multiple") {
    inputs = poll.options.map((option, i) => h("label", { class: "check" },
      h("input", { type: poll.kind === "single" ? "radio" : "checkbox", name, value: i }), option));
  } else if (poll.kind === "rating") {
    inputs = [1, 2, 3, 4, 5].map((n) => h("label", { class: "check" }, h("input", { type: "radio", name, value: n }), String(n)));
  } else {
    inputs = [h("label", { for: `${name}-text`, class: "visually-hidden", text: "Your answer" }),
      h("input", { type: "text", id: `${name}-text`, maxlength: 500 })];
  }
  const form = h("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    let choice;
    if (poll.kind === "text") choice = form.querySelector("input[type=text]").value.trim();
    else if (poll.kind === "multiple") choice = [...form.querySelectorAll("input:checked")].map((el) => Number(el.value));
    else {
      const picked = form.querySelector("input:checked");
      choice = picked ? Number(picked.value) : null;
    }
    if (choice === null || choice === "" || (Array.isArray(choice) && !choice.length)) {
      return showError(error, new Error(poll.kind === "text" ? "Write an answer first." : "Choose an answer first."));
    }
    const ok = await act(error, form.querySelector("button[type=submit]"), () => send("poll:vote", { poll_id: poll.id, choice }));
    if (ok) {
      entry.myVote = choice;
      mine.textContent = `Your vote: ${describeVote(poll, choice)}`;
    }
  } },
  h("fieldset", {}, h("legend", { text: poll.question }), inputs),
  h("button", { type: "submit", class: "primary small", text: "Vote" }), error, mine);
  if (entry.myVote !== null && entry.myVote !== undefined) mine.textContent = `Your vote: ${describeVote(poll, entry.myVote)}`;
  return form;
}

function resultsView(entry) {
  const { poll, tally } = entry;
  if (!tally) {
    if (poll.results === "hosts") return h("p", { class: "muted", text: "Only the hosts see the results." });
    if (poll.results === "on_close" && poll.status === "open") return h("p", { class: "muted", text: "Results appear when the poll closes." });
    return null;
  }
  const correct = poll.correct || [];
  if (poll.kind === "text") {
    return h("div", { class: "chart" }, h("p", { class: "muted", text: `${tally.total} answer${tally.total === 1 ? "" : "s"}` }),
      h("ul", { class: "answers" }, tally.answers.map((answer) => h("li", { text: answer }))));
  }
  const labels = poll.kind === "rating" ? ["1", "2", "3", "4", "5"] : poll.options;
  const caption = poll.kind === "rating"
    ? `${tally.total} votes · average ${tally.average ?? "–"}`
    : `${tally.total} vote${tally.total === 1 ? "" : "s"}`;
  return barChart(labels, tally.counts, { total: tally.total, correct, caption });
}

function renderPoll(entry) {
  const { poll } = entry;
  const open = poll.status === "open";
  if (!entry.el) entry.el = h("li", { class: "poll", "data-id": poll.id });
  const meta = [KIND[poll.kind], poll.correct ? "quiz" : null, poll.anonymous ? "anonymous" : null,
    RESULTS[poll.results], open ? "open" : "closed"].filter(Boolean).join(" · ");
  const error = h("p", { class: "error", role: "alert" });
  const closeButton = state.isHost && open ? h("button", { type: "button", class: "small", text: "Close poll", onclick: () =>
    act(error, closeButton, async () => {
      const ack = await send("poll:close", { poll_id: poll.id });
      upsertPoll(ack.poll, ack.results);
    }) }) : null;
  const canVote = !state.isHost && open;
  if (canVote && !entry.form) entry.form = voteForm(entry);
  if (!canVote) entry.form = null;
  entry.results = h("div", { class: "poll-results" }, resultsView(entry));
  fill(entry.el,
    canVote ? null : h("h3", { text: poll.question }),
    h("p", { class: "poll-meta", text: meta }),
    entry.form,
    !canVote && entry.myVote !== null && entry.myVote !== undefined
      ? h("p", { class: "poll-mine", text: `Your vote: ${describeVote(poll, entry.myVote)}` }) : null,
    entry.results, closeButton, error);
}

function upsertPoll(poll, tally, myVote) {
  let entry = state.polls.get(poll.id);
  if (!entry) {
    entry = { poll, tally: tally ?? null, myVote: myVote ?? null, el: null, form: null };
    state.polls.set(poll.id, entry);
    renderPoll(entry);
    $("polls").prepend(entry.el);
    return;
  }
  entry.poll = poll;
  if (tally !== undefined) entry.tally = tally;
  if (myVote !== undefined) entry.myVote = myVote;
  renderPoll(entry);
}

function setPollResults(pollId, results) {
  const entry = state.polls.get(pollId);
  if (!entry) return;
  entry.tally = results;
  fill(entry.results, resultsView(entry));
}

function pollFormKind() {
  const kind = $("poll-kind").value;
  $("poll-choice-fields").hidden = !(kind === "single" || kind === "multiple");
}

async function createPoll(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const errorEl = $("poll-error");
  const kind = $("poll-kind").value;
  const body = {
    question: $("poll-question").value.trim(),
    kind,
    results: $("poll-results").value,
    anonymous: $("poll-anonymous").checked,
  };
  if (!body.question) return showError(errorEl, new Error("Write the poll's question first."));
  if (kind === "single" || kind === "multiple") {
    body.options = $("poll-options").value.split("\n").map((line) => line.trim()).filter(Boolean);
    if (body.options.length < 2 || body.options.length > 10) {
      return showError(errorEl, new Error("Give 2 to 10 options, one per line."));
    }
    const correct = $("poll-correct").value.split(/[\s,]+/).filter(Boolean).map(Number);
    if (correct.some((n) => !Number.isInteger(n) || n < 1 || n > body.options.length)) {
      return showError(errorEl, new Error(`Correct options are numbers from 1 to ${body.options.length}.`));
    }
    if (correct.length) body.correct = correct.map((n) => n - 1);
  }
  const ack = await act(errorEl, form.querySelector("button[type=submit]"), () => send("poll:create", body));
  if (!ack) return;
  upsertPoll(ack.poll, null);
  form.reset();
  $("poll-new").open = false;
  pollFormKind();
}

// -- hands ----------------------------------------------------------------------------------------

function renderHands(hands) {
  state.hands = hands;
  const raised = hands.some((hand) => isMine(hand.user));
  const button = $("hand");
  button.textContent = raised ? "Lower hand" : "Raise hand";
  button.setAttribute("aria-pressed", raised ? "true" : "false");
  fill($("hands"), hands.length ? hands.map((hand, i) => h("li", {},
    h("span", { text: `${i + 1}. ${hand.user.name}${isMine(hand.user) ? " (you)" : ""} · ${clock(hand.raised_at)}` }),
    state.isHost && !isMine(hand.user) ? h("button", { type: "button", class: "small", "aria-label": `Lower ${hand.user.name}'s hand`, text: "Lower",
      onclick: (event) => act($("hand-error"), event.currentTarget, async () => renderHands((await send("hand:lower", { user_id: hand.user.id })).hands)) }) : null))
    : h("li", { class: "muted", text: "No hands raised." }));
}

async function toggleHand() {
  const raised = state.hands.some((hand) => isMine(hand.user));
  const ack = await act($("hand-error"), $("hand"), () => send(raised ? "hand:lower" : "hand:raise", {}));
  if (ack) renderHands(ack.hands);
}

// -- reactions ------------------------------------------------------------------------------------

function floatReactions(counts) {
  const layer = $("floaters");
  let shown = 0;
  for (const [emoji, n] of Object.entries(counts)) {
    for (let i = 0; i < Math.min(n, 6) && shown < 24; i += 1, shown += 1) {
      const el = h("span", { class: "floater", text: emoji });
      el.style.left = `${5 + Math.random() * 85}%`;
      el.style.animationDelay = `${Math.random() * 0.4}s`;
      el.addEventListener("animationend", () => el.remove());
      layer.append(el);
    }
  }
}

// -- people -------------------------------------------------------------------------------------------

function renderPeople() {
  const users = [...state.online.values()].sort((a, b) => a.name.localeCompare(b.name));
  $("online-count").textContent = `(${state.onlineCount})`;
  fill($("people"), users.map((user) => {
    const li = h("li", { "data-id": user.id },
      h("span", { text: `${user.name}${isMine(user) ? " (you)" : ""}${user.role !== "participant" ? " · host" : ""}` }));
    if (state.isHost && user.role === "participant") {
      const error = h("p", { class: "error", role: "alert" });
      const remove = h("button", { type: "button", class: "small", "aria-label": `Remove ${user.name}`, text: "Remove", onclick: () => {
        remove.hidden = true;
        const confirm = h("span", { class: "confirm" }, `Remove ${user.name} from this class?`,
          h("button", { type: "button", class: "danger small", text: "Confirm removal", onclick: (event) =>
            act(error, event.currentTarget, async () => {
              await send("participant:remove", { user_id: user.id, reason: null });
              state.online.delete(user.id);
              state.onlineCount = Math.max(0, state.onlineCount - 1);
              renderPeople();
            }) }),
          h("button", { type: "button", class: "small", text: "Cancel", onclick: () => { confirm.remove(); remove.hidden = false; remove.focus(); } }));
        li.append(confirm);
        confirm.querySelector("button").focus();
      } });
      li.append(remove, error);
    }
    return li;
  }));
  const more = state.onlineCount - users.length;
  const button = $("people-more");
  button.hidden = more <= 0;
  button.textContent = `Show everyone (${more} more)`;
}

async function loadEveryone() {
  await act($("people-error"), $("people-more"), async () => {
    for (let offset = 0; ; offset += 500) {
      const ack = await send("presence:list", { offset, limit: 500 });
      for (const user of ack.users) state.online.set(user.id, user);
      state.onlineCount = ack.count;
      if (!ack.users.length || offset + 500 >= ack.count) break;
    }
    renderPeople();
  });
}

function presenceUpdate(data) {
  for (const user of data.left || []) state.online.delete(user.id);
  for (const user of data.joined || []) state.online.set(user.id, user);
  state.onlineCount = data.count;
  if (data.truncated) {
    send("presence:list", { limit: 100 }).then((ack) => {
      state.online = new Map(ack.users.map((user) => [user.id, user]));
      state.onlineCount = ack.count;
      renderPeople();
    }).catch(() => {});
  }
  renderPeople();
}

// -- resources ----------------------------------------------------------------------------------------

function addResource(resource) {
  if (state.resources.has(resource.id)) return;
  const safe = /^https?:\/\//i.test(resource.url);
  const el = h("li", {},
    h("span", {}, safe ? h("a", { href: resource.url, target: "_blank", rel: "noopener noreferrer", text: resource.title }) : resource.title,
      h("span", { class: "muted", text: ` · ${resource.kind} · ${resource.shared_by.name}` })));
  state.resources.set(resource.id, el);
  const list = $("resources");
  list.querySelector(".muted-empty")?.remove();
  list.append(el);
}

async function shareResource(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const body = { title: $("resource-title").value.trim(), url: $("resource-url").value.trim(), kind: $("resource-kind").value };
  const errorEl = $("resource-error");
  if (!body.title) return showError(errorEl, new Error("Give the link a title."));
  if (!/^https?:\/\/\S+$/i.test(body.url)) return showError(errorEl, new Error("The link must start with http:// or https://."));
  const ack = await act(errorEl, form.querySelector("button[type=submit]"), () => send("resource:share", body));
  if (!ack) return;
  addResource(ack.resource);
  form.reset();
  $("resource-new").open = false;
}

// -- attendance -------------------------------------------------------------------------------------------

let attendanceLoaded = false;

async function loadAttendance() {
  if (attendanceLoaded) return;
  attendanceLoaded = true;
  const panel = $("attendance-panel");
  panel.hidden = false;
  $("attendance-status").textContent = "Loading attendance…";
  try {
    const { data: rows } = await api(state.token, `/api/live-classes/${encodeURIComponent(classId)}/attendance`);
    const present = rows.filter((row) => row.status === "present").length;
    $("attendance-status").textContent = `${present} of ${rows.length} present · times in your time zone`;
    const from = state.cls.actual_start || state.cls.scheduled_start;
    const to = state.cls.actual_end || state.cls.scheduled_end;
    fill($("timeline"), timeline(rows, from, to));
    fill(document.querySelector("#attendance tbody"), rows.map((row) => h("tr", {},
      h("td", { text: row.name }),
      h("td", {}, h("span", { class: `badge status-${row.status === "present" ? "live" : row.status === "partial" ? "scheduled" : "cancelled"}`, text: row.status })),
      h("td", { text: duration(row.attended_seconds) }),
      h("td", { text: `${row.attended_percent}%` }),
      h("td", { text: String(row.join_count) }),
      h("td", { text: clock(row.first_join) || "–" }),
      h("td", { text: clock(row.last_leave) || "–" }))));
  } catch (error) {
    attendanceLoaded = false;
    $("attendance-status").textContent = "";
    showError($("attendance-error"), error);
  }
}

async function downloadCsv() {
  await act($("attendance-error"), $("attendance-csv"), async () => {
    const response = await api(state.token, `/api/live-classes/${encodeURIComponent(classId)}/attendance?format=csv`, { accept: "text/csv" });
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: `attendance-${classId}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}

// -- snapshot and events -----------------------------------------------------------------------------------

function applySnapshot(snapshot, { first }) {
  const began = performance.now();
  state.me = snapshot.you;
  state.isHost = snapshot.you.role !== "participant";
  state.cls = snapshot.class;
  for (const el of document.querySelectorAll(".host-only")) el.hidden = !state.isHost;
  renderClass();
  // Presence, hands, questions, polls and resources: the snapshot is the whole truth.
  state.online = new Map(snapshot.presence.users.map((user) => [user.id, user]));
  state.onlineCount = snapshot.presence.count;
  renderPeople();
  renderHands(snapshot.hands);
  for (const q of snapshot.questions) if (q.voted) state.myVotes.add(q.id);
  const seen = new Set(snapshot.questions.map((q) => q.id));
  for (const [id, entry] of state.questions) if (!seen.has(id)) { entry.el.remove(); state.questions.delete(id); }
  for (const q of snapshot.questions) upsertQuestion(q, { sort: false });
  sortQuestions();
  for (const poll of snapshot.polls) upsertPoll(poll, poll.tally, poll.my_vote);
  for (const resource of snapshot.resources) addResource(resource);
  if (!state.resources.size) fill($("resources"), h("li", { class: "muted muted-empty", text: "Nothing shared yet." }));
  if (first) {
    // Chat: the last 50 messages now; older ones follow. After a reconnection the
    // missed messages come from class:resync instead, in order, each once.
    for (const id of [...state.messages.keys()]) removeMessage(id);
    addMessages(snapshot.chat);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
    state.historyDone = false;
    loadEarlier({ auto: true });
  }
  // Measured by the browser tests (and visible in any browser's performance panel).
  performance.measure("render-snapshot", { start: began });
  if (!state.started) {
    state.started = true;
    performance.mark("classroom-ready");
    document.body.dataset.ready = "true";
  }
}

function onEvent(name, data) {
  switch (name) {
    case "chat:message": addMessages([data.message]); break;
    case "chat:deleted": removeMessage(data.message_id); break;
    case "question:new": upsertQuestion(data.question, { announce: true }); break;
    case "question:updated": upsertQuestion(data.question); break;
    case "question:votes": for (const { question_id: id, votes } of data.votes) setVotes(id, votes); break;
    case "poll:opened": upsertPoll(data.poll, null); break;
    case "poll:results": setPollResults(data.poll_id, data.results); break;
    case "poll:closed": upsertPoll(data.poll, data.results); break;
    case "hand:queue": renderHands(data.hands); break;
    case "resource:shared": addResource(data.resource); break;
    case "class:status":
      Object.assign(state.cls, { status: data.status, actual_start: data.actual_start, actual_end: data.actual_end });
      renderClass();
      break;
    case "presence:update": presenceUpdate(data); break;
    case "reaction:burst": floatReactions(data.counts); break;
    case "participant:removed":
      stop("removed", `You were removed from this class by a host.${data.reason ? ` Reason: ${data.reason}` : ""}`);
      break;
    default: break;
  }
}

function onJoinRefused(error) {
  if (!state.started) {
    const titles = {
      not_found: ["Class not found", "This class does not exist, or it belongs to another organization than your sign-in."],
      forbidden: ["You cannot enter this class", `${error.message} If you think this is wrong, ask your mentor.`],
    };
    const [title, text] = titles[error.code] || ["The class could not be opened", error.message];
    socket.disconnect();
    problemPage(title, text);
  } else if (error.code === "forbidden") {
    stop("removed", `You can no longer take part in this class: ${error.message}`);
  } else {
    showError($("head-error"), error);
  }
}

// -- start ----------------------------------------------------------------------------------------------------

function wire() {
  $("chat-form").addEventListener("submit", sendChat);
  $("chat-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
  $("chat-earlier").addEventListener("click", () => loadEarlier());
  $("ask-form").addEventListener("submit", ask);
  $("poll-form").addEventListener("submit", createPoll);
  $("poll-kind").addEventListener("change", pollFormKind);
  $("hand").addEventListener("click", toggleHand);
  $("resource-form").addEventListener("submit", shareResource);
  $("people-more").addEventListener("click", loadEveryone);
  $("meeting").addEventListener("click", openMeeting);
  $("start").addEventListener("click", () => lifecycle("start"));
  $("end").addEventListener("click", () => { $("end").hidden = true; $("end-confirm").hidden = false; $("end-no").focus(); });
  $("end-no").addEventListener("click", () => { $("end-confirm").hidden = true; $("end").hidden = false; $("end").focus(); });
  $("end-yes").addEventListener("click", () => lifecycle("end"));
  $("attendance-csv").addEventListener("click", downloadCsv);
  fill($("reactions"), EMOJIS.map(([emoji, label]) => h("button", { type: "button", "aria-label": label, title: label, text: emoji,
    onclick: () => act($("reaction-error"), null, () => send("reaction:send", { emoji })) })));
}

function main() {
  state.token = takeToken();
  const problem = tokenProblem(state.token);
  if (!classId) return problemPage("Class not found", "This address does not name a class.");
  if (problem) {
    const { title, text } = describeTokenProblem(problem);
    return problemPage(title, text);
  }
  const me = claims(state.token);
  $("who").textContent = me?.name ? `Signed in as ${me.name}` : "";
  wire();
  socket = new Socket("", { auth: () => ({ token: state.token }) });
  new ClassChannel(socket, classId, { snapshot: applySnapshot, event: onEvent, error: onJoinRefused });
  socket.on("state", refreshBanner);
  socket.on("connect_error", (error) => {
    const code = error.data?.code;
    if (!state.started) {
      const { title, text } = describeTokenProblem(tokenProblem(state.token) === "expired" ? "expired" : "refused", error.data?.message || error.message);
      return problemPage(title, text);
    }
    stop(code === "unauthorized" ? "expired" : "refused",
      code === "unauthorized" ? `Your session has expired. ${signInHelp} What you typed is still here.` : error.message);
  });
  socket.on("auth:expired", () => stop("expired", `Your session has expired. ${signInHelp} What you typed is still here.`));
  window.addEventListener("offline", () => {
    // The browser knows the network is gone: drop the socket now rather than wait for
    // the heartbeat to time out; "online" reconnects at once and resyncs.
    refreshBanner();
    if (socket.connected) socket.reconnectNow();
  });
  window.addEventListener("online", () => {
    refreshBanner();
    if (!state.stopped) socket.reconnectNow();
  });
  refreshBanner();
  socket.connect();
}

main();
