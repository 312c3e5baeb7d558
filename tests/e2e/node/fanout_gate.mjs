// The fan-out gate: official socket.io-client sockets against tests/support/fanout_gate.py.
// Usage: node fanout_gate.mjs '{"url", "clients", "count", "size", "pauseEvery", "idleMs",
//                               "directEvery", "binaryEvery"}'
// Prints one JSON line: per transport kind, how many clients saw every broadcast exactly
// once and in order, with the stock-path messages in their place, and a list of problems.
import { io } from "socket.io-client";

const cfg = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kinds = ["websocket", "upgrade", "polling"];
const transportsOf = {
  websocket: ["websocket"],
  upgrade: ["polling", "websocket"],
  polling: ["polling"],
};
const problems = [];

function open(kind, n) {
  const socket = io(cfg.url, { transports: transportsOf[kind], reconnection: false, forceNew: true });
  socket.gate = { kind, name: `${kind}-${n}`, log: [], acks: 0, disconnects: [] };
  socket.on("seq", (d) => socket.gate.log.push(["seq", d.i, d.pad.length]));
  socket.on("direct", (d) => socket.gate.log.push(["direct", d.after]));
  socket.on("bin", (d) => {
    const blob = new Uint8Array(d.blob);
    const good = blob.length === 16 && blob.every((b) => b === d.after % 256);
    socket.gate.log.push(["bin", d.after, good]);
  });
  socket.on("final", () => socket.gate.log.push(["final"]));
  socket.on("disconnect", (reason) => socket.gate.disconnects.push(reason));
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

function check(socket) {
  const expected = [];
  for (let i = 0; i < cfg.count; i++) {
    expected.push(`seq ${i} ${cfg.size}`);
    if (i % cfg.directEvery === Math.floor(cfg.directEvery / 2)) expected.push(`direct ${i}`);
    if (i % cfg.binaryEvery === Math.floor(cfg.binaryEvery / 2)) expected.push(`bin ${i} true`);
  }
  expected.push("final");
  const got = socket.gate.log.map((e) => e.join(" "));
  for (let k = 0; k < Math.max(expected.length, got.length); k++) {
    if (expected[k] !== got[k]) {
      problems.push(`${socket.gate.name}: at ${k} expected ${expected[k]} got ${got[k]} (${got.length} received)`);
      return false;
    }
  }
  return true;
}

async function pinger(socket, until) {
  let n = 0;
  while (!until.done) {
    const payload = { from: socket.gate.name, n };
    const answer = await socket.timeout(20000).emitWithAck("echo", payload);
    if (answer.from !== payload.from || answer.n !== n) problems.push(`${socket.gate.name}: bad ack ${JSON.stringify(answer)}`);
    socket.gate.acks++;
    n++;
    await sleep(20);
  }
}

const sockets = [];
for (let n = 0; n < cfg.clients; n++) sockets.push(open(kinds[n % kinds.length], n));
const all = await Promise.all(sockets);
const until = { done: false };
const pingers = all.map((s) => pinger(s, until));

// The blast starts while the "upgrade" sockets are still on polling.
const controller = all[0];
await controller.timeout(10000).emitWithAck("blast", {
  count: cfg.count,
  size: cfg.size,
  pause_every: cfg.pauseEvery,
});
const deadline = Date.now() + 60000;
const seqCount = (s) => s.gate.log.filter((e) => e[0] === "seq").length;
while (all.some((s) => seqCount(s) < cfg.count) && Date.now() < deadline) await sleep(50);
until.done = true;
await Promise.all(pingers);

// Idle through several engine.io ping intervals, then one more broadcast.
await sleep(cfg.idleMs);
await controller.timeout(10000).emitWithAck("final", {});
const finalDeadline = Date.now() + 10000;
while (all.some((s) => !s.gate.log.some((e) => e[0] === "final")) && Date.now() < finalDeadline) await sleep(50);

const summary = { clients: {}, transports: {}, inOrder: {}, acked: true, idleDisconnects: 0 };
for (const s of all) {
  summary.clients[s.gate.kind] = (summary.clients[s.gate.kind] || 0) + 1;
  const t = s.io.engine.transport.name;
  summary.transports[s.gate.kind] = summary.transports[s.gate.kind] || [];
  if (!summary.transports[s.gate.kind].includes(t)) summary.transports[s.gate.kind].push(t);
  if (s.gate.acks === 0) summary.acked = false;
  summary.idleDisconnects += s.gate.disconnects.length;
  summary.inOrder[s.gate.kind] = (summary.inOrder[s.gate.kind] || 0) + (check(s) ? 1 : 0);
}

// Server-side disconnect.
const reasons = await Promise.all(
  all.map(
    (s) =>
      new Promise((resolve) => {
        s.once("disconnect", resolve);
        s.emit("kick");
      }),
  ),
);
summary.kickReasons = [...new Set(reasons)];
summary.problems = problems.slice(0, 20);
console.log(JSON.stringify(summary));
process.exit(0);
