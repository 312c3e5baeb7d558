/**
 * classchannel.js: one class's event stream over a Socket (socketio.js), in order,
 * with nothing missed and nothing applied twice.
 *
 *   import { Socket } from "/static/js/socketio.js";
 *   import { ClassChannel, DURABLE_EVENTS } from "/static/js/classchannel.js";
 *   const channel = new ClassChannel(socket, classId, {
 *     snapshot(snapshot, { first }) { ... },  // after every class:join (first: full render)
 *     event(name, data) { ... },              // every event, durable ones in seq order
 *     error(error) { ... },                   // class:join refused ({code, message})
 *   });
 *   socket.connect();
 *
 * - On every (re)connection it sends class:join (a new socket is in no room).
 *   A join answered rate_limited (a join storm) is sent again after its
 *   retry_after; other refusals go to error().
 *   The first snapshot is the starting state (lastSeq = snapshot.seq). After a
 *   reconnection the snapshot refreshes the ephemeral state (presence, votes,
 *   tallies) and class:resync replays every durable event after the last
 *   applied seq, page by page (`more`), so a client sees each missed event
 *   once and in order. `reset: true` starts over from a fresh snapshot
 *   (snapshot(..., {first: true}) again).
 * - A durable event whose seq is beyond lastSeq + 1 is held and a resync is
 *   asked for; events at or below lastSeq are dropped (already applied).
 */

export const DURABLE_EVENTS = [
  "chat:message", "chat:deleted", "question:new", "question:updated", "poll:opened",
  "poll:closed", "hand:queue", "resource:shared", "class:status",
];
export const EPHEMERAL_EVENTS = [
  "question:votes", "poll:results", "presence:update", "reaction:burst", "participant:removed",
];

/** An ack with ok: false, thrown as an Error carrying the server's code. */
export class ActionError extends Error {
  constructor(error) {
    super(error?.message || "the server refused this");
    this.name = "ActionError";
    this.code = error?.code || "internal";
    this.retryAfter = error?.retry_after; // seconds, on rate_limited
  }
}

function isConnectionError(error) {
  return error?.name === "NotConnected" || error?.name === "AckTimeout";
}

/** Send `event` and return the ack, throwing ActionError when it says ok: false. */
export async function request(socket, event, payload, options) {
  const ack = await socket.call(event, payload, options);
  if (!ack || ack.ok !== true) throw new ActionError(ack?.error);
  return ack;
}

export class ClassChannel {
  constructor(socket, classId, handlers) {
    this.socket = socket;
    this.classId = classId;
    this.handlers = handlers;
    this.lastSeq = null; // null until the first snapshot
    this._pending = new Map();
    this._syncing = null;
    this._gapTimer = null;
    this._joinTimer = null;
    socket.on("connect", () => this._joined());
    for (const name of DURABLE_EVENTS) socket.on(name, (data) => this._durable(name, data));
    for (const name of EPHEMERAL_EVENTS) socket.on(name, (data) => this._mine(data) && this.handlers.event(name, data));
  }

  _mine(data) {
    return data && data.class_id === this.classId;
  }

  async _joined() {
    clearTimeout(this._joinTimer);
    try {
      const { snapshot } = await request(this.socket, "class:join", { class_id: this.classId });
      const first = this.lastSeq === null;
      if (first) this.lastSeq = snapshot.seq;
      this.handlers.snapshot(snapshot, { first });
      if (!first) await this.resync();
    } catch (error) {
      if (error instanceof ActionError && error.code === "rate_limited") {
        const wait = (error.retryAfter || 1) * 1000;
        this._joinTimer = setTimeout(() => this.socket.connected && this._joined(), wait);
      } else if (error instanceof ActionError) this.handlers.error(error);
      // A dropped connection is retried by the socket, which joins again on connect.
      else if (!isConnectionError(error)) throw error;
    }
  }

  _durable(name, data) {
    if (!this._mine(data) || this.lastSeq === null) return;
    if (data.seq <= this.lastSeq) return;
    if (data.seq > this.lastSeq + 1 || this._syncing) {
      this._pending.set(data.seq, [name, data]);
      if (!this._syncing) {
        // Several processes may deliver seq 6 just before 5: give the gap a moment.
        clearTimeout(this._gapTimer);
        this._gapTimer = setTimeout(() => this.resync(), 300);
      }
      return;
    }
    this._apply(name, data);
  }

  _apply(name, data) {
    this.lastSeq = data.seq;
    this.handlers.event(name, data);
    for (;;) {
      const next = this._pending.get(this.lastSeq + 1);
      if (!next) break;
      this._pending.delete(this.lastSeq + 1);
      this.lastSeq += 1;
      this.handlers.event(next[0], next[1]);
    }
    for (const seq of this._pending.keys()) if (seq <= this.lastSeq) this._pending.delete(seq);
  }

  /** Replay every durable event after lastSeq (one resync at a time). */
  resync() {
    clearTimeout(this._gapTimer);
    if (!this._syncing) {
      this._syncing = this._resync().finally(() => {
        this._syncing = null;
        if (this._pending.size) this._gapTimer = setTimeout(() => this.resync(), 300);
      });
    }
    return this._syncing;
  }

  async _resync() {
    for (;;) {
      if (!this.socket.connected) return;
      let ack;
      try {
        ack = await request(this.socket, "class:resync", { class_id: this.classId, after_seq: this.lastSeq });
      } catch (error) {
        if (error instanceof ActionError) this.handlers.error(error);
        else if (!isConnectionError(error)) throw error;
        return;
      }
      if (ack.reset) {
        this._pending.clear();
        const { snapshot } = await request(this.socket, "class:join", { class_id: this.classId });
        this.lastSeq = snapshot.seq;
        this.handlers.snapshot(snapshot, { first: true });
        return;
      }
      for (const { event, data } of ack.events) {
        if (data.seq > this.lastSeq) this._apply(event, data);
      }
      if (!ack.more) {
        // Held events up to the class's latest seq are now applied or dropped.
        for (const [seq, [name, data]] of [...this._pending].sort((a, b) => a[0] - b[0])) {
          if (seq === this.lastSeq + 1) {
            this._pending.delete(seq);
            this._apply(name, data);
          }
        }
        return;
      }
    }
  }
}
