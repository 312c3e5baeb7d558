/**
 * socketio.js: a small Socket.IO v4 client (Engine.IO v4, WebSocket transport only).
 *
 * The official socket.io-client is not shipped with liveclass (nothing is fetched
 * from another host and there is no build step), so the pages use this module.
 * It speaks the subset of the protocol the classroom needs: the main namespace
 * "/", JSON payloads (no binary attachments), acknowledgements, the server's
 * heartbeat, and reconnection with exponential backoff and jitter.
 *
 *   import { Socket } from "/static/js/socketio.js";
 *   const socket = new Socket("", { auth: () => ({ token }) });   // "" = this host
 *   socket.on("connect", () => ...);
 *   socket.on("chat:message", (data) => ...);
 *   const ack = await socket.call("chat:send", { class_id, text }, { timeout: 10000 });
 *   socket.connect();
 *
 * Lifecycle events (besides the server's own events):
 *   "connect"            the Socket.IO handshake succeeded (also after a reconnection)
 *   "disconnect"(reason) the connection is gone: "transport close", "ping timeout",
 *                        "io server disconnect" (no reconnection), "io client disconnect"
 *   "connect_error"(err) the server refused the handshake: err.message, err.data
 *                        ({code, message} from liveclass); no reconnection follows,
 *                        since a refused token stays refused
 *   "reconnect_attempt"(attempt, delayMs)  a reconnection is scheduled
 *   "state"(state)       "connecting" | "connected" | "reconnecting" | "closed"
 *
 * Documented in docs/classroom.md ("The browser Socket.IO client").
 */

const EIO = { OPEN: "0", CLOSE: "1", PING: "2", PONG: "3", MESSAGE: "4" };
const SIO = { CONNECT: "0", DISCONNECT: "1", EVENT: "2", ACK: "3", CONNECT_ERROR: "4" };

/** Raised (as a rejected promise) when an acknowledgement does not come in time. */
export class AckTimeout extends Error {
  constructor(event, timeout) {
    super(`no answer to "${event}" within ${timeout} ms`);
    this.name = "AckTimeout";
    this.event = event;
  }
}

/** Raised when an event is sent while the socket is not connected. */
export class NotConnected extends Error {
  constructor(event) {
    super(`not connected: "${event}" was not sent`);
    this.name = "NotConnected";
    this.event = event;
  }
}

/**
 * Delay before reconnection attempt `attempt` (1, 2, ...): base * 2^(attempt-1),
 * capped at `max`, then spread by +-`jitter` (a fraction) so that a class of
 * thousands does not reconnect in lockstep after a server restart.
 */
export function backoffDelay(attempt, { base = 500, max = 10000, jitter = 0.5, random = Math.random } = {}) {
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const spread = raw * jitter * (2 * random() - 1);
  return Math.max(0, Math.round(raw + spread));
}

export class Socket {
  /**
   * @param {string} url  http(s) origin of the server; "" for the page's own origin
   * @param {object} options
   *   auth: object or function returning the object sent in the handshake (called
   *         at every (re)connection, so a fresh token can be supplied)
   *   path: "/socket.io" (default)
   *   ackTimeout: default timeout of call(), ms (10000)
   *   reconnection: true; reconnectionDelay: 500; reconnectionDelayMax: 10000;
   *   randomizationFactor: 0.5
   *   WebSocket: a WebSocket constructor (tests), default globalThis.WebSocket
   */
  constructor(url, options = {}) {
    this.url = url;
    this.options = {
      path: "/socket.io",
      ackTimeout: 10000,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 10000,
      randomizationFactor: 0.5,
      ...options,
    };
    this.id = null;
    this.state = "closed";
    this.connected = false;
    this._handlers = new Map();
    this._acks = new Map();
    this._nextAckId = 0;
    this._ws = null;
    this._attempt = 0;
    this._reconnectTimer = null;
    this._heartbeatTimer = null;
    this._pingDeadline = 0;
    this._wanted = false;
  }

  /** Register `handler` for `event`; returns a function that unregisters it. */
  on(event, handler) {
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(handler);
    return () => this._handlers.get(event)?.delete(handler);
  }

  /** Open the connection (and keep it open, reconnecting, until disconnect()). */
  connect() {
    this._wanted = true;
    if (this._ws || this._reconnectTimer) return this;
    this._setState(this._attempt ? "reconnecting" : "connecting");
    this._open();
    return this;
  }

  /** Close for good: no reconnection; pending acks fail with NotConnected. */
  disconnect() {
    this._wanted = false;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    if (this._ws) {
      if (this.connected) this._sendRaw(EIO.MESSAGE + SIO.DISCONNECT);
      this._drop("io client disconnect", false);
    } else {
      this._setState("closed");
    }
    return this;
  }

  /** Drop the current connection and reconnect at once (e.g. when the network is back). */
  reconnectNow() {
    if (!this._wanted) return;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    if (this._ws) this._drop("transport close", true, 0);
    else this._open();
  }

  /** Send an event without asking for an acknowledgement. */
  emit(event, ...args) {
    if (!this.connected) throw new NotConnected(event);
    this._sendRaw(EIO.MESSAGE + SIO.EVENT + JSON.stringify([event, ...args]));
  }

  /**
   * Send an event and wait for its acknowledgement: resolves with the server's
   * first ack argument; rejects with AckTimeout or NotConnected (the event may
   * or may not have been processed when the connection drops mid-way).
   */
  call(event, payload, { timeout = this.options.ackTimeout } = {}) {
    if (!this.connected) return Promise.reject(new NotConnected(event));
    const id = this._nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._acks.delete(id);
        reject(new AckTimeout(event, timeout));
      }, timeout);
      this._acks.set(id, {
        event,
        resolve: (args) => { clearTimeout(timer); resolve(args[0]); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
      const args = payload === undefined ? [event] : [event, payload];
      this._sendRaw(EIO.MESSAGE + SIO.EVENT + id + JSON.stringify(args));
    });
  }

  // -- internals ---------------------------------------------------------------

  _endpoint() {
    const base = this.url || globalThis.location.origin;
    const target = new URL(this.options.path.replace(/\/?$/, "/"), base);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    target.search = "?EIO=4&transport=websocket";
    return target.href;
  }

  _open() {
    const WebSocketImpl = this.options.WebSocket || globalThis.WebSocket;
    let ws;
    try {
      ws = new WebSocketImpl(this._endpoint());
    } catch (error) {
      this._fire("disconnect", "transport error");
      this._scheduleReconnect();
      return;
    }
    this._ws = ws;
    ws.onmessage = (message) => { if (this._ws === ws) this._onPacket(String(message.data)); };
    ws.onclose = () => { if (this._ws === ws) this._drop("transport close", true); };
    ws.onerror = () => { /* onclose follows */ };
  }

  _onPacket(packet) {
    const type = packet[0];
    const body = packet.slice(1);
    if (type === EIO.OPEN) {
      const handshake = JSON.parse(body);
      this._pingTimeoutMs = handshake.pingInterval + handshake.pingTimeout;
      this._armHeartbeat();
      const auth = typeof this.options.auth === "function" ? this.options.auth() : this.options.auth;
      this._sendRaw(EIO.MESSAGE + SIO.CONNECT + (auth ? JSON.stringify(auth) : ""));
    } else if (type === EIO.PING) {
      this._armHeartbeat();
      this._sendRaw(EIO.PONG);
    } else if (type === EIO.CLOSE) {
      this._drop("transport close", true);
    } else if (type === EIO.MESSAGE) {
      this._onSocketPacket(body);
    }
  }

  _onSocketPacket(body) {
    const type = body[0];
    let rest = body.slice(1);
    if (rest.startsWith("/")) rest = rest.slice(rest.indexOf(",") + 1); // namespace "/" only
    if (type === SIO.CONNECT) {
      this.id = rest ? JSON.parse(rest).sid : null;
      this.connected = true;
      this._attempt = 0;
      this._setState("connected");
      this._fire("connect");
    } else if (type === SIO.CONNECT_ERROR) {
      const detail = rest ? JSON.parse(rest) : {};
      const error = new Error(detail.message || "connection refused");
      error.data = detail.data;
      this._wanted = false;
      this._drop("io server disconnect", false);
      this._fire("connect_error", error);
    } else if (type === SIO.DISCONNECT) {
      this._drop("io server disconnect", false);
    } else if (type === SIO.EVENT) {
      const { id, args } = splitId(rest);
      const [event, ...data] = args;
      if (id !== null) data.push((...reply) => this._sendRaw(EIO.MESSAGE + SIO.ACK + id + JSON.stringify(reply)));
      this._fire(event, ...data);
    } else if (type === SIO.ACK) {
      const { id, args } = splitId(rest);
      const pending = this._acks.get(id);
      if (pending) {
        this._acks.delete(id);
        pending.resolve(args);
      }
    }
  }

  _armHeartbeat() {
    clearTimeout(this._heartbeatTimer);
    // The server pings every pingInterval; silence beyond interval + timeout means a dead link.
    this._heartbeatTimer = setTimeout(() => this._drop("ping timeout", true), this._pingTimeoutMs);
  }

  _drop(reason, reconnect, delay) {
    const ws = this._ws;
    this._ws = null;
    clearTimeout(this._heartbeatTimer);
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(); } catch { /* already closed */ }
    }
    const wasConnected = this.connected;
    this.connected = false;
    this.id = null;
    for (const pending of this._acks.values()) pending.reject(new NotConnected(pending.event));
    this._acks.clear();
    if (wasConnected) this._fire("disconnect", reason);
    if (reconnect && this._wanted && this.options.reconnection) this._scheduleReconnect(delay);
    else {
      this._wanted = this._wanted && reconnect;
      this._setState("closed");
    }
  }

  _scheduleReconnect(delay) {
    this._attempt += 1;
    const wait = delay ?? backoffDelay(this._attempt, {
      base: this.options.reconnectionDelay,
      max: this.options.reconnectionDelayMax,
      jitter: this.options.randomizationFactor,
    });
    this._setState("reconnecting");
    this._fire("reconnect_attempt", this._attempt, wait);
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      if (this._wanted) this._open();
    }, wait);
  }

  _sendRaw(text) {
    if (this._ws && this._ws.readyState === 1) this._ws.send(text);
  }

  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    this._fire("state", state);
  }

  _fire(event, ...args) {
    for (const handler of [...(this._handlers.get(event) || [])]) {
      try {
        handler(...args);
      } catch (error) {
        console.error(`handler of "${event}" failed`, error);
      }
    }
  }
}

/** "12[...]" -> {id: 12, args: [...]}; "[...]" -> {id: null, args: [...]}. */
function splitId(text) {
  const bracket = text.indexOf("[");
  const head = text.slice(0, bracket);
  return { id: head ? Number(head) : null, args: JSON.parse(text.slice(bracket)) };
}
