// The reference: a Node socket.io 4.8 server speaking the part of liveclass's protocol the
// fan-out benchmark uses (class:join, chat:send -> chat:message to the class room), with a
// chat:message of the same shape and about the same size as liveclass's.
// Usage: node reference_server.mjs PORT   (prints "listening" when ready)
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Server } from "socket.io";

const port = Number(process.argv[2]);
const http = createServer((req, res) => {
  res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "application/json" });
  res.end('{"status":"ok"}');
});
const io = new Server(http, { cors: { origin: "*" } });
const seqs = new Map();

io.on("connection", (socket) => {
  const token = socket.handshake.auth?.token ?? "";
  const user = { id: token.slice(-12) || socket.id, name: "Student" };
  socket.on("class:join", (data, ack) => {
    socket.join(`class:${data.class_id}`);
    ack({ ok: true, snapshot: { seq: seqs.get(data.class_id) ?? 0, you: { role: "participant" } } });
  });
  socket.on("chat:send", (data, ack) => {
    const seq = (seqs.get(data.class_id) ?? 0) + 1;
    seqs.set(data.class_id, seq);
    const message = {
      id: randomUUID(),
      class_id: data.class_id,
      author: { id: user.id, name: user.name },
      text: data.text,
      anonymous: false,
      created_at: new Date().toISOString(),
    };
    io.to(`class:${data.class_id}`).emit("chat:message", { class_id: data.class_id, seq, message });
    if (ack) ack({ ok: true, message });
  });
});
http.listen(port, "127.0.0.1", () => console.log("listening"));
