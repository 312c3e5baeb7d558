/** The signed-in person's classes: live now, upcoming, past; each with a way in. */

import { PROVIDERS, STATUSES, fill, h, problemPage, when } from "./dom.js";
import { ApiError, api, claims, describeTokenProblem, takeToken, tokenProblem } from "./session.js";

const PAGE = 100;
const MAX_CLASSES = 1000;

async function allClasses(token) {
  const found = [];
  for (let offset = 0; offset < MAX_CLASSES; offset += PAGE) {
    const page = await api(token, `/api/live-classes?limit=${PAGE}&offset=${offset}`);
    found.push(...page.data);
    if (found.length >= page.count || !page.data.length) break;
  }
  return found;
}

function item(cls) {
  const provider = PROVIDERS[cls.provider] || cls.provider;
  const live = cls.status === "live";
  return h("li", { class: "class-card" },
    h("div", { class: "class-card-main" },
      h("h3", {}, h("a", { href: `/classes/${encodeURIComponent(cls.id)}` , text: cls.title })),
      h("p", { class: "muted" },
        h("time", { datetime: cls.scheduled_start, text: when(cls.scheduled_start) }),
        ` · ${provider}`,
        cls.your_role !== "participant" ? " · you host" : "",
        live && cls.participant_count ? ` · ${cls.participant_count} online` : ""),
    ),
    h("span", { class: `badge status-${cls.status}`, text: STATUSES[cls.status] || cls.status }),
    h("a", { class: `button ${live ? "primary" : ""}`, href: `/classes/${encodeURIComponent(cls.id)}`,
      "aria-label": `${live ? "Join" : "Open"} ${cls.title}`, text: live ? "Join" : "Open" }),
  );
}

async function main() {
  const token = takeToken();
  const problem = tokenProblem(token);
  if (problem) {
    const { title, text } = describeTokenProblem(problem);
    problemPage(title, text);
    return;
  }
  const me = claims(token);
  document.getElementById("who").textContent = me?.name ? `Signed in as ${me.name}` : "";
  let classes;
  try {
    classes = await allClasses(token);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      const { title, text } = describeTokenProblem("refused", error.message);
      problemPage(title, text);
    } else {
      problemPage("Your classes could not be loaded", error.message);
    }
    return;
  }
  const now = Date.now();
  const groups = { live: [], upcoming: [], past: [] };
  for (const cls of classes) {
    if (cls.status === "live") groups.live.push(cls);
    else if (cls.status === "scheduled" && Date.parse(cls.scheduled_end) > now) groups.upcoming.push(cls);
    else groups.past.push(cls);
  }
  const start = (c) => Date.parse(c.scheduled_start);
  groups.live.sort((a, b) => start(a) - start(b));
  groups.upcoming.sort((a, b) => start(a) - start(b));
  groups.past.sort((a, b) => start(b) - start(a));
  const empty = { live: "No class is live right now.", upcoming: "Nothing scheduled.", past: "No past classes." };
  for (const [name, list] of Object.entries(groups)) {
    const ul = document.getElementById(name);
    fill(ul, list.length ? list.map(item) : h("li", { class: "muted", text: empty[name] }));
  }
  document.getElementById("status").textContent =
    `${classes.length} class${classes.length === 1 ? "" : "es"} · times in ${Intl.DateTimeFormat().resolvedOptions().timeZone}`;
}

main();
