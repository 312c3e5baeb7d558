/** Charts drawn with plain DOM and SVG: a poll's bar chart and the attendance timeline. */

import { clock, h, s } from "./dom.js";

/**
 * Bars for choice and rating polls: one row per label with its count; rows in
 * `correct` (quiz answers, once revealed) are marked.
 */
export function barChart(labels, counts, { total, correct = [], caption } = {}) {
  const most = Math.max(1, ...counts);
  const rows = labels.map((label, i) => {
    const isCorrect = correct.includes(i);
    const count = counts[i] ?? 0;
    return h("div", { class: `bar-row${isCorrect ? " correct" : ""}` },
      h("span", { class: "bar-label", text: isCorrect ? `${label} ✓ correct` : label }),
      s("svg", { class: "bar", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true" },
        s("rect", { class: "track", x: 0, y: 0, width: 100, height: 10, rx: 2 }),
        s("rect", { class: "fill", x: 0, y: 0, width: (100 * count) / most, height: 10, rx: 2 })),
      h("span", { class: "bar-count", "aria-label": `${count} vote${count === 1 ? "" : "s"}`, text: String(count) }),
    );
  });
  return h("figure", { class: "chart" },
    h("figcaption", { text: caption ?? `${total ?? counts.reduce((a, b) => a + b, 0)} votes` }), rows);
}

const ROW = 26;
const LABEL = 150;
const WIDTH = 800;

/**
 * The attendance timeline: one lane per person, a bar per merged session,
 * between `from` and `to` (the class's run), with a few time ticks.
 */
export function timeline(rows, from, to) {
  const start = Date.parse(from);
  const end = Math.max(Date.parse(to), start + 60_000);
  const span = end - start;
  const x = (iso) => LABEL + ((WIDTH - LABEL - 10) * (Math.min(end, Math.max(start, Date.parse(iso))) - start)) / span;
  const height = rows.length * ROW + 24;
  const ticks = [];
  for (let i = 0; i <= 4; i += 1) {
    const at = new Date(start + (span * i) / 4).toISOString();
    const left = x(at);
    ticks.push(s("line", { class: "tick", x1: left, x2: left, y1: 0, y2: rows.length * ROW }));
    const label = clock(at, { seconds: span < 10 * 60_000 });
    ticks.push(s("text", { x: left, y: height - 6, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle", text: label }));
  }
  const lanes = rows.map((row, i) => {
    const y = i * ROW;
    return s("g", {},
      s("text", { x: 0, y: y + 17, text: row.name.length > 20 ? `${row.name.slice(0, 19)}…` : row.name }),
      s("rect", { class: "lane", x: LABEL, y: y + 4, width: WIDTH - LABEL - 10, height: ROW - 8 }),
      row.sessions.map((session) => s("rect", {
        class: "session", x: x(session.start), y: y + 4,
        width: Math.max(2, x(session.end) - x(session.start)), height: ROW - 8,
      }, s("title", { text: `${row.name}: ${clock(session.start)} to ${clock(session.end)}` }))),
    );
  });
  const summary = rows.map((row) => `${row.name}: ${row.sessions.map((r) => `${clock(r.start)} to ${clock(r.end)}`).join(", ") || "absent"}`).join("; ");
  return s("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-label": `Attendance timeline. ${summary}` }, ticks, lanes);
}
