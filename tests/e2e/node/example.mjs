// A participant's client, start to finish: join, keep up with the class, chat.
// Node 18+ as an ES module (this file's .mjs name, or "type": "module"):
//   npm install socket.io-client
//   CLASSROOM_URL=https://liveclass.example.org CLASSROOM_TOKEN=<JWT> \
//   CLASSROOM_CLASS_ID=<id> node example.mjs
// The class must be live for a participant to chat (a host starts it with
// POST /api/live-classes/{id}/start), or scheduled with the lobby_chat setting on.
import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";

const { CLASSROOM_URL: url, CLASSROOM_TOKEN: token, CLASSROOM_CLASS_ID: classId } = process.env;

const socket = io(url, {
  auth: { token },                 // the same JWT as the HTTP API
  transports: ["websocket"],
});

let lastSeq = 0;                   // highest durable seq applied
const early = new Map();           // durable events that came before a missing one, by seq
const online = { count: 0, users: new Map() };  // the first users by name, kept by deltas
const chatSeen = new Set();        // ids of chat messages shown
let sentId = null;                 // our own message: seeing it come back ends this example

async function call(event, payload) {
  const ack = await socket.timeout(10_000).emitWithAck(event, payload);
  if (!ack.ok) {
    throw Object.assign(new Error(`${event}: ${ack.error.message}`), { code: ack.error.code });
  }
  return ack;
}

// Entering (again): a new socket is in no room. The first time, the snapshot
// is the whole state; after a reconnect, replay what was missed, in order.
async function enter() {
  const { snapshot } = await call("class:join", { class_id: classId });
  online.count = snapshot.presence.count;
  online.users = new Map(snapshot.presence.users.map((u) => [u.id, u]));
  if (lastSeq === 0) {
    lastSeq = snapshot.seq;        // class, hands, polls, questions, chat, resources: render them
    console.log(`joined "${snapshot.class.title}" as ${snapshot.you.role}; ${online.count} online`);
  } else {
    await resync();
  }
}

async function resync() {
  for (;;) {
    const ack = await call("class:resync", { class_id: classId, after_seq: lastSeq });
    if (ack.reset) {               // history gone: start again from a fresh snapshot
      lastSeq = 0;
      return enter();
    }
    for (const { event, data } of ack.events) apply(event, data);
    if (!ack.more) return;
  }
}

function apply(event, data) {
  if (data.seq <= lastSeq) return;              // already applied (snapshot or resync)
  if (data.seq > lastSeq + 1) {                 // one is missing: hold this one a second
    early.set(data.seq, [event, data]);
    setTimeout(() => early.size && resync().catch(console.error), 1000);
    return;
  }
  lastSeq = data.seq;
  early.delete(data.seq);
  show(event, data);
  const next = early.get(lastSeq + 1);
  if (next) apply(...next);
}

function show(event, data) {
  if (event === "chat:message") {
    console.log(`${data.message.user.name}: ${data.message.text}`);
    chatSeen.add(data.message.id);
    if (data.message.id === sentId) socket.disconnect();
  }
  // question:new, poll:opened, hand:queue, class:status ...: update the screen
}

for (const name of ["chat:message", "chat:deleted", "question:new", "question:updated",
  "poll:opened", "poll:closed", "hand:queue", "resource:shared", "class:status"]) {
  socket.on(name, (data) => apply(name, data));
}

socket.on("presence:update", async (d) => {     // ephemeral: no seq, the count is exact
  online.count = d.count;
  for (const user of d.left) online.users.delete(user.id);
  for (const user of d.joined) online.users.set(user.id, user);
  if (d.truncated) {               // too many changes to list: ask for the first page again
    const page = await call("presence:list", { class_id: classId, limit: 100 });
    online.users = new Map(page.users.map((u) => [u.id, u]));
  }
});

socket.on("participant:removed", (d) => {
  console.log(`removed from the class: ${d.reason ?? "no reason given"}`);
  socket.disconnect();
});

socket.on("connect_error", (err) => {
  console.error(`cannot connect: ${err.data?.code ?? err.message}`);  // e.g. unauthorized
  if (!socket.active) process.exit(1);          // refused by the server: no retry
});

// Tokens expire on sockets too: the server says so and disconnects. Get a fresh
// JWT from your platform, then connect again; "connect" rejoins and resyncs.
socket.on("auth:expired", () => {
  socket.auth.token = process.env.CLASSROOM_TOKEN;   // your platform's fresh token here
});
socket.on("disconnect", (reason) => {
  if (reason === "io server disconnect") socket.connect();   // other reasons retry by themselves
});

// Send only once the room is joined: a message sent before misses nothing,
// but its own broadcast would reach a socket not yet in the room.
const joined = new Promise((resolve, reject) => {
  socket.on("connect", () => enter().then(resolve, reject));
});
await joined;
const { message } = await call("chat:send", {
  class_id: classId,
  text: "Hello from the example!",
  client_id: randomUUID(),         // sending it again after a timeout cannot duplicate it
});
sentId = message.id;
if (chatSeen.has(sentId)) socket.disconnect();  // its broadcast came before the ack
