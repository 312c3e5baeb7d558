/**
 * session.js: sign-in from the address's fragment, and calls to the HTTP API.
 *
 * The platform opens `/classes/{id}#token=<JWT>` (or `/#token=<JWT>`). The token
 * moves to sessionStorage (this tab only) and leaves the address bar, so it is
 * not bookmarked, shared by copy-paste or kept in the history.
 */

const KEY = "liveclass.token";

/** Move a `#token=` from the address to sessionStorage; return the token in use or null. */
export function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fresh = fragment.get("token");
  if (fresh) {
    sessionStorage.setItem(KEY, fresh);
    fragment.delete("token");
    const rest = fragment.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  return sessionStorage.getItem(KEY);
}

/** The token's claims (not verified here: the server does that), or null if unreadable. */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** Why this token cannot be used, or null: "missing", "unreadable" or "expired". */
export function tokenProblem(token, now = Date.now()) {
  if (!token) return "missing";
  const body = claims(token);
  if (!body) return "unreadable";
  if (typeof body.exp === "number" && body.exp * 1000 <= now) return "expired";
  return null;
}

/** An HTTP API failure: status, the envelope's code and message. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = error?.code || "internal";
  }
}

/** Call the API with the token; resolve with the whole envelope ({data, count, ...}). */
export async function api(token, path, { method = "GET", body, accept = "application/json" } = {}) {
  const headers = { Authorization: `Bearer ${token}`, Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { code: "offline", message: "The server cannot be reached. Check your connection." });
  }
  if (accept !== "application/json" && response.ok) return response;
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    /* not JSON: a proxy's error page */
  }
  if (!response.ok || !envelope?.success) throw new ApiError(response.status, envelope?.error);
  return envelope;
}

export const signInHelp = "Open the class again from your learning platform to sign in.";

/** The message shown on a full-page sign-in problem. */
export function describeTokenProblem(problem, detail) {
  if (problem === "missing") return { title: "You are not signed in", text: `This page needs a sign-in link. ${signInHelp}` };
  if (problem === "expired") return { title: "Your session has expired", text: `Your sign-in is no longer valid. ${signInHelp}` };
  return { title: "Your sign-in was refused", text: `${detail || "The server did not accept your sign-in."} ${signInHelp}` };
}
