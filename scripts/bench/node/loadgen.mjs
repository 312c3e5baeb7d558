// Fan-out load generator with the official socket.io-client: N receivers (spread over worker
// processes, ~500 sockets each) join one class; one sender posts chat messages at each rate
// in turn; receivers time every chat:message (send -> receive, same machine clock).
// Usage: node loadgen.mjs CONFIG.json  config: {urls, classId, tokens, senderToken,
//   rates: [msg/s...], seconds, settleMs, perWorker}; classId null: receivers connect without joining
// Protocol on stdout (one line each): "READY", then per phase "PHASE <i> START" and
// "PHASE <i> END", "RESULT <json>", then "DONE". The driver samples server CPU between START and END.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function connect(url, token, classId) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 120000 });
    socket.once("connect_error", reject);
    socket.once("connect", async () => {
      if (classId === null) return resolve(socket); // connect only, no class:join
      try {
        const ack = await socket.timeout(120000).emitWithAck("class:join", { class_id: classId });
        if (!ack.ok) throw new Error(JSON.stringify(ack));
        resolve(socket);
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function worker() {
  let phase = null;
  const sockets = [];
  process.on("disconnect", () => process.exit(1)); // the main process is gone
  process.on("message", async (msg) => {
    if (msg.op === "connect") {
      for (let i = 0; i < msg.tokens.length; i += 50) {
        const batch = msg.tokens.slice(i, i + 50);
        sockets.push(
          ...(await Promise.all(batch.map((t, k) => connect(msg.urls[(msg.offset + i + k) % msg.urls.length], t, msg.classId)))),
        );
      }
      for (const s of sockets) {
        s.on("chat:message", (d) => {
          if (phase === null) return;
          const sent = Number(d.message.text);
          if (!(sent >= phase.since)) return;
          phase.count++;
          phase.latencies.push(now() - sent);
        });
        s.on("disconnect", () => process.send({ op: "lost" }));
      }
      process.send({ op: "ready" });
    } else if (msg.op === "phase") {
      phase = { since: msg.since, count: 0, latencies: [] };
    } else if (msg.op === "count") {
      process.send({ op: "count", count: phase ? phase.count : 0 });
    } else if (msg.op === "report") {
      const p = phase ?? { count: 0, latencies: [] };
      phase = null;
      process.send({ op: "report", count: p.count, latencies: p.latencies });
    } else if (msg.op === "exit") {
      for (const s of sockets) s.disconnect();
      process.exit(0);
    }
  });
}

function percentile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

async function main(cfg) {
  const workers = [];
  const n = cfg.tokens.length;
  const per = cfg.perWorker ?? 500;
  let lost = 0;
  for (let i = 0; i < n; i += per) {
    // Workers do not share the main process's stdout: if it dies, the benchmark sees EOF.
    const child = fork(new URL(import.meta.url).pathname, ["--worker"], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    child.on("message", (m) => {
      if (m.op === "lost") lost++;
    });
    workers.push({ child, tokens: cfg.tokens.slice(i, i + per), offset: i });
  }
  const ask = (w, msg, op) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m.op === op) {
          w.child.off("message", on);
          resolve(m);
        }
      };
      w.child.on("message", on);
      w.child.send(msg);
    });
  const joinStart = now();
  await Promise.all(
    workers.map((w) => ask(w, { op: "connect", urls: cfg.urls, classId: cfg.classId, tokens: w.tokens, offset: w.offset }, "ready")),
  );
  const joinSeconds = (now() - joinStart) / 1000;
  const sender = await connect(cfg.urls[0], cfg.senderToken, cfg.classId);
  await sleep(cfg.settleMs);
  console.log(`READY ${JSON.stringify({ joinSeconds })}`);
  for (let p = 0; p < cfg.rates.length; p++) {
    const rate = cfg.rates[p];
    const total = Math.round(rate * cfg.seconds);
    const since = now();
    for (const w of workers) w.child.send({ op: "phase", since });
    await sleep(50);
    console.log(`PHASE ${p} START`);
    const began = now();
    let acked = 0;
    const refused = {};
    for (let k = 0; k < total; k++) {
      const wait = began + (k * 1000) / rate - now();
      if (wait > 0) await sleep(wait);
      sender.emit("chat:send", { class_id: cfg.classId, text: String(now()) }, (ack) => {
        if (ack?.ok) acked++;
        else {
          const code = ack?.error?.code ?? "no ack";
          refused[code] = (refused[code] ?? 0) + 1;
        }
      });
    }
    const sendSeconds = (now() - began) / 1000;
    const expected = total * n;
    const deadline = now() + 5000;
    // Stragglers: up to 5 s after the last send, or until everything arrived.
    while (now() < deadline) {
      const counts = await Promise.all(workers.map((w) => ask(w, { op: "count" }, "count")));
      if (counts.reduce((a, m) => a + m.count, 0) >= expected) break;
      await sleep(100);
    }
    const final = await Promise.all(workers.map((w) => ask(w, { op: "report" }, "report")));
    console.log(`PHASE ${p} END`);
    const latencies = final.flatMap((m) => m.latencies).sort((a, b) => a - b);
    const delivered = final.reduce((a, m) => a + m.count, 0);
    console.log(
      `RESULT ${JSON.stringify({
        rate,
        sent: total,
        acked,
        refused,
        sendSeconds,
        delivered,
        expected,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        lost,
      })}`,
    );
  }
  sender.disconnect();
  for (const w of workers) w.child.send({ op: "exit" });
  console.log("DONE");
  process.exit(0);
}

if (process.argv[2] === "--worker") worker();
else main(JSON.parse(readFileSync(process.argv[2], "utf8")));
