// Drives one classroom with the official socket.io-client and prints a JSON summary.
// Usage: node classroom.mjs '{"url": ..., "classId": ..., "tokens": {"mentor", "s1", "s2"}}'
import { io } from "socket.io-client";

const { url, classId, tokens } = JSON.parse(process.argv[2]);
const summary = {};

function open(token) {
  const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
  socket.seen = [];
  socket.onAny((event, data) => socket.seen.push({ event, data }));
  return new Promise((resolve, reject) => {
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", reject);
  });
}

async function call(socket, event, payload) {
  return socket.timeout(10000).emitWithAck(event, payload);
}

function waitFor(socket, event, test = () => true, ms = 10000) {
  return new Promise((resolve, reject) => {
    const found = socket.seen.find((e) => e.event === event && test(e.data));
    if (found) return resolve(found.data);
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), ms);
    const listener = (name, data) => {
      if (name === event && test(data)) {
        clearTimeout(timer);
        socket.offAny(listener);
        resolve(data);
      }
    };
    socket.onAny(listener);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const mentor = await open(tokens.mentor);
const s1 = await open(tokens.s1);
let s2 = await open(tokens.s2);
const c = { class_id: classId };

const joined = await Promise.all([mentor, s1, s2].map((s) => call(s, "class:join", c)));
summary.joinedRoles = joined.map((a) => a.snapshot.you.role);
summary.snapshotKeys = Object.keys(joined[0].snapshot).sort();
summary.snapshotPresenceKeys = Object.keys(joined[0].snapshot.presence).sort();

// Presence: the exact count with deltas; the names page by page.
const everyone = await waitFor(mentor, "presence:update", (d) => d.count === 3);
summary.presenceUpdateKeys = Object.keys(everyone).sort();
const listed = await call(s1, "presence:list", { ...c, limit: 2 });
summary.presenceList = { count: listed.count, names: listed.users.map((u) => u.name) };
const rest = await call(s1, "presence:list", { ...c, offset: 2 });
summary.presenceRest = rest.users.map((u) => u.name);
summary.presenceBadLimit = (await call(s1, "presence:list", { ...c, limit: 501 })).error.code;

const sent = await call(s1, "chat:send", { ...c, text: "hello from node" });
summary.chatSeen = (await waitFor(s2, "chat:message")).message.text;
summary.chatAckOk = sent.ok;

const anon = await call(s1, "question:ask", { ...c, text: "anonymous?", anonymous: true });
const named = await call(s2, "question:ask", { ...c, text: "named?" });
summary.anonAuthor = anon.question.author;
summary.namedAuthor = named.question.author.id;
const vote = await call(s2, "question:vote", { ...c, question_id: anon.question.id, up: true });
summary.voteAck = vote.votes;
summary.votesBatch = (await waitFor(mentor, "question:votes",
  (d) => d.votes.some((v) => v.question_id === anon.question.id)))
  .votes.find((v) => v.question_id === anon.question.id).votes;

const poll = await call(mentor, "poll:create", { ...c, question: "Pick", kind: "single", options: ["a", "b"] });
await call(s1, "poll:vote", { ...c, poll_id: poll.poll.id, choice: 0 });
await call(s2, "poll:vote", { ...c, poll_id: poll.poll.id, choice: 1 });
const closed = await call(mentor, "poll:close", { ...c, poll_id: poll.poll.id });
summary.pollCounts = closed.results.counts;
summary.pollClosedSeen = (await waitFor(s1, "poll:closed")).results.counts;

summary.handUp = (await call(s1, "hand:raise", c)).hands.map((h) => h.user.id);
summary.handDown = (await call(s1, "hand:lower", c)).hands.length;
summary.handQueues = (await waitFor(mentor, "hand:queue", (d) => d.hands.length === 0)).hands.length;

for (let i = 0; i < 5; i++) await call(s1, "reaction:send", { ...c, emoji: "👏" });
await sleep(600);
summary.reactionTotal = mentor.seen.filter((e) => e.event === "reaction:burst")
  .reduce((n, e) => n + (e.data.counts["👏"] ?? 0), 0);

// Resync after a reconnect: s2 misses three messages.
const lastSeq = Math.max(...s2.seen.filter((e) => e.data && e.data.seq).map((e) => e.data.seq));
s2.disconnect();
for (let i = 0; i < 3; i++) await call(mentor, "chat:send", { ...c, text: `missed ${i}` });
s2 = await open(tokens.s2);
const resync = await call(s2, "class:resync", { ...c, after_seq: lastSeq });
summary.resynced = resync.events.map((e) => e.data.message.text);
await call(s2, "class:join", c);

const unknown = await call(s1, "no:such:event", c);
summary.unknownCode = unknown.error.code;

await call(mentor, "participant:remove", { ...c, user_id: "student-2", reason: "bye" });
summary.removed = await waitFor(s2, "participant:removed");
summary.rejoin = (await call(s2, "class:join", c)).error.code;

for (const s of [mentor, s1, s2]) s.disconnect();
console.log(JSON.stringify(summary));
