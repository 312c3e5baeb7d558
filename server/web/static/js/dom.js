/**
 * dom.js: building elements. Text from users always goes in as text nodes
 * (never innerHTML), so a message such as "<img onerror=...>" shows as typed.
 */

/**
 * h("button", {class: "x", onclick, "aria-label": "Send"}, "Send") -> element.
 * Attributes: `class`, `text` (textContent), on* functions (listeners),
 * booleans (present when true), anything else through setAttribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";

/** The same for SVG elements (charts). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") el.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const secondsFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", second: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit", timeZoneName: "short",
});

/** "14:05" in the viewer's time zone (with seconds: "14:05:09"). */
export function clock(iso, { seconds = false } = {}) {
  return iso ? (seconds ? secondsFormat : timeFormat).format(new Date(iso)) : "";
}

/** "Tue 1 Dec, 14:05 CET" in the viewer's time zone. */
export function when(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}

/** 3725 -> "1 h 2 min"; 59 -> "59 s". */
export function duration(seconds) {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export const PROVIDERS = { zoom: "Zoom", google_meet: "Google Meet", jitsi: "Jitsi Meet", manual: "External link" };
export const STATUSES = { scheduled: "Scheduled", live: "Live now", ended: "Ended", cancelled: "Cancelled" };

/** A full-page message (sign-in problems, class not found): replaces the page's content. */
export function problemPage(title, text) {
  const main = document.querySelector("main") || document.body;
  document.title = `${title} · liveclass`;
  fill(main, h("section", { class: "problem", role: "alert" }, h("h1", { text: title }), h("p", { text })));
}
