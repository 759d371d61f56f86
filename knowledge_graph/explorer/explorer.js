// The lesson graph explorer: the page of `python -m knowledge_graph explore`.
// Talks to the JSON API of knowledge_graph/explore.py; draws with the vendored Cytoscape.js.
// The overview (modules) comes first; a module's lessons are drawn when it is opened, so the
// page stays responsive at 10,000 lessons.
"use strict";

const state = {
  view: null,          // null: overview; else the open module's box number
  completed: [],       // lesson ids, in the order they were ticked (most recent last)
  goal: null,
  selected: null,      // the lesson shown in the panel
  suggested: new Set(),
  titles: {},          // id -> title, of every lesson seen so far
  updates: 0,          // number of suggestion refreshes (tests wait on it)
};

const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

const cy = cytoscape({
  container: $("cy"),
  wheelSensitivity: 0.3,
  minZoom: 0.05,
  maxZoom: 3,
  style: [
    {selector: "node", style: {
      "shape": "round-rectangle", "width": 190, "height": 48, "background-color": "#ffffff",
      "border-width": 1, "border-color": "#7a8699", "label": "data(display)",
      "text-wrap": "wrap", "text-max-width": 176, "text-valign": "center", "font-size": 11,
      "color": "#1d2430"}},
    {selector: "node.module", style: {"background-color": "data(colour)", "height": 56}},
    {selector: "node.outside", style: {"background-color": "#eef1f5", "border-style": "dashed", "color": "#667"}},
    {selector: "node.problem", style: {"border-color": "#b3261e", "border-width": 3}},
    {selector: "node.done", style: {"background-color": "#c7e9c0", "border-color": "#31a354", "border-width": 2}},
    {selector: "node.suggested", style: {"background-color": "#fff1a8", "border-color": "#f08c00", "border-width": 3}},
    {selector: "node.goal", style: {"border-color": "#7b3294", "border-width": 4}},
    {selector: "node:selected", style: {"overlay-color": "#1f62b4", "overlay-opacity": 0.18}},
    {selector: "edge", style: {"width": 1.4, "line-color": "#333", "target-arrow-color": "#333",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8}},
    {selector: "edge.module-link", style: {"curve-style": "haystack", "target-arrow-shape": "none",
      "line-color": "#5b6b7f", "opacity": 0.35, "width": "data(width)"}},
    {selector: "edge[kind = 'requires_any']", style: {"line-color": "#1f62b4", "target-arrow-color": "#1f62b4"}},
    {selector: "edge[kind = 'recommends']", style: {"line-color": "#8c8c8c", "target-arrow-color": "#8c8c8c", "line-style": "dashed"}},
    {selector: "edge[kind = 'next']", style: {"line-color": "#2e9e44", "target-arrow-color": "#2e9e44", "line-style": "dotted", "width": 2}},
    {selector: "edge[kind = 'related']", style: {"line-color": "#bbb", "line-style": "dashed", "target-arrow-shape": "none"}},
  ],
});

const COURSE_COLOURS = ["#dbe9f6", "#fde2c8", "#d9f0d3", "#f6d5e5", "#e5dcf3", "#fff5c2", "#d4efef", "#efe3d6"];

function lessonDisplay(node) {
  let text = node.label;
  if (state.completed.includes(node.id)) text = "✓ " + text;
  if (state.suggested.has(node.id)) text = "★ " + text;
  if (node.problems) text += `\n! ${node.problems} problem${node.problems === 1 ? "" : "s"}`;
  return text;
}

function markNodes() {
  cy.batch(() => {
    cy.nodes().forEach((n) => {
      const d = n.data();
      if (d.kind !== "lesson") return;
      n.toggleClass("done", state.completed.includes(d.id));
      n.toggleClass("suggested", state.suggested.has(d.id));
      n.toggleClass("goal", state.goal === d.id);
      n.data("display", lessonDisplay(d));
    });
  });
}

async function showOverview() {
  const data = await api("/api/overview");
  const courses = {};
  cy.elements().remove();
  const top = Math.max(1, ...data.edges.map((e) => e.count));
  cy.add(data.nodes.map((n) => {
    courses[n.course] = courses[n.course] || COURSE_COLOURS[Object.keys(courses).length % COURSE_COLOURS.length];
    const problems = n.problems ? `\n! ${n.problems} problem${n.problems === 1 ? "" : "s"}` : "";
    return {group: "nodes", classes: "module" + (n.problems ? " problem" : ""),
      position: {x: n.x, y: n.y},
      data: {...n, kind: "module", colour: courses[n.course],
        display: `${n.label}\n${n.count} lesson${n.count === 1 ? "" : "s"}${problems}`}};
  }));
  cy.add(data.edges.map((e) => ({group: "edges", classes: "module-link",
    data: {...e, width: 0.6 + 5 * Math.log1p(e.count) / Math.log1p(top)}})));
  cy.resize();
  cy.layout({name: "preset"}).run();
  cy.fit(undefined, 30);
  state.view = null;
  $("back").hidden = true;
  $("where").textContent = `All modules (${data.nodes.length}): click one to see its lessons`;
  document.body.dataset.ready = "overview";
}

async function openModule(box, focus) {
  const data = await api(`/api/module?box=${box}`);
  cy.elements().remove();
  cy.add(data.nodes.map((n) => {
    state.titles[n.id] = n.label;
    return {group: "nodes", position: {x: n.x, y: n.y},
      classes: (n.outside ? "outside" : "") + (n.problems ? " problem" : ""),
      data: {...n, kind: "lesson", display: n.label}};
  }));
  cy.add(data.edges.map((e) => ({group: "edges", data: e})));
  markNodes();
  cy.resize();
  cy.layout({name: "preset"}).run();
  cy.fit(undefined, 30);
  state.view = box;
  $("back").hidden = false;
  $("where").textContent = `Module: ${data.label} — lessons of other modules are dashed`;
  if (focus) {
    const node = cy.getElementById(focus);
    if (node.nonempty()) { cy.$(":selected").unselect(); node.select(); }
  }
  document.body.dataset.ready = "module";
}

function lessonLink(id, title) {
  const a = document.createElement("a");
  a.className = "lesson";
  a.textContent = title || state.titles[id] || id;
  a.title = id;
  a.addEventListener("click", () => goToLesson(id));
  return a;
}

function fillList(element, items, render) {
  element.replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    render(li, item);
    return li;
  }));
}

async function showLesson(id) {
  const lesson = await api(`/api/lesson?id=${encodeURIComponent(id)}`);
  Object.assign(state.titles, lesson.titles, {[lesson.id]: lesson.title});
  state.selected = lesson.id;
  $("lesson-empty").hidden = true;
  $("lesson").hidden = false;
  $("lesson-title").textContent = lesson.title;
  const where = lesson.file ? ` · ${lesson.file}${lesson.line ? ":" + lesson.line : ""}` : "";
  $("lesson-meta").textContent = `${lesson.id} · ${lesson.module} · difficulty ${lesson.difficulty} · ${lesson.minutes} min${where}`;
  $("lesson-summary").textContent = lesson.summary || "";
  $("completed-toggle").checked = state.completed.includes(lesson.id);
  const links = $("lesson-links");
  links.replaceChildren();
  const add = (label, ids) => {
    if (!ids.length) return;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    ids.forEach((i, k) => { if (k) dd.append(", "); dd.append(lessonLink(i, lesson.titles[i])); });
    links.append(dt, dd);
  };
  add("requires", lesson.requires);
  lesson.requires_any.forEach((group) => add("requires one of", group));
  add("recommends", lesson.recommends);
  add("next", lesson.next);
  add("related", lesson.related);
  add("is a prerequisite of", lesson.dependents);
  if (lesson.learners) {
    const l = lesson.learners;
    const stopped = l.stopped === null ? `fewer than ${l.min_learners}` : `${l.stopped}`;
    const dt = document.createElement("dt");
    dt.textContent = "learners";
    const dd = document.createElement("dd");
    dd.textContent = `${l.finished} finished it, ${stopped} stopped here`;
    links.append(dt, dd);
    if (l.next.length) {
      const dtNext = document.createElement("dt");
      dtNext.textContent = "learners took next";
      const ddNext = document.createElement("dd");
      l.next.forEach((n, k) => {
        if (k) ddNext.append(", ");
        ddNext.append(lessonLink(n.id, n.title), ` ${n.learners} (${Math.round(n.share * 100)}%)`);
      });
      links.append(dtNext, ddNext);
    }
  }
  fillList($("lesson-problems"), lesson.problems, (li, p) => {
    li.className = p.severity;
    li.textContent = `${p.severity} (${p.code}) ${p.field ? p.field + ": " : ""}${p.message}`;
    if (p.hint) { const fix = document.createElement("span"); fix.className = "fix"; fix.textContent = "fix: " + p.hint; li.append(fix); }
  });
  return lesson;
}

async function goToLesson(id) {
  const lesson = await showLesson(id);
  if (lesson.box !== null && lesson.box !== state.view) await openModule(lesson.box, lesson.id);
  else {
    const node = cy.getElementById(lesson.id);
    if (node.nonempty()) { cy.$(":selected").unselect(); node.select(); cy.center(node); }
  }
}

async function refreshSuggestions() {
  const data = await api("/api/recommend", {completed: state.completed, goal: state.goal, k: 5});
  state.suggested = new Set(data.suggestions.map((s) => s.id));
  fillList($("suggestions"), data.suggestions, (li, s) => {
    li.dataset.id = s.id;
    li.append(lessonLink(s.id, s.title));
    const why = document.createElement("span");
    why.className = "because";
    why.textContent = s.because ? `because ${s.because}` : "";
    li.append(why);
  });
  $("completed-list").replaceChildren(...(state.completed.length
    ? state.completed.flatMap((id, k) => (k ? [", ", lessonLink(id)] : [lessonLink(id)]))
    : ["none"]));
  $("goal").replaceChildren(state.goal ? lessonLink(state.goal) : "none");
  $("path-title").hidden = !data.path;
  fillList($("path"), data.path ? data.path.steps : [], (li, s) => li.append(lessonLink(s.id, s.title)));
  if (data.path) $("path-title").textContent = `Path to the goal (${data.path.steps.length} lessons, ${data.path.total_minutes} min)`;
  markNodes();
  state.updates += 1;
  document.body.dataset.suggestions = String(state.updates);
}

async function showProblems() {
  const data = await api("/api/problems");
  $("problem-summary").textContent = data.summary;
  const items = [...data.errors, ...data.warnings.slice(0, 200)];
  fillList($("problems"), items, (li, p) => {
    li.className = p.severity;
    const blocks = p.blocks ? ` (blocks ${p.blocks} more lessons)` : "";
    li.textContent = `${p.file}${p.line ? ":" + p.line : ""} ${p.subject || ""} ${p.message}${blocks}`;
    if (p.hint) { const fix = document.createElement("span"); fix.className = "fix"; fix.textContent = "fix: " + p.hint; li.append(fix); }
    if (p.subject) li.addEventListener("click", () => goToLesson(p.subject));
  });
}

let searchTimer = null;
async function search(text) {
  const list = $("search-results");
  if (!text.trim()) { list.replaceChildren(); return; }
  const data = await api(`/api/search?q=${encodeURIComponent(text)}`);
  if ($("search").value !== text) return;  // a newer query is on its way
  fillList(list, data.matches, (li, m) => {
    li.dataset.id = m.id;
    li.textContent = m.title + " ";
    const small = document.createElement("small");
    small.textContent = `${m.id} · ${Math.round(m.confidence * 100)}%`;
    li.append(small);
    li.addEventListener("click", () => { list.replaceChildren(); goToLesson(m.id); });
  });
  if (!data.matches.length) fillList(list, ["no lesson matches"], (li, t) => { li.textContent = t; });
}

$("search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => search(event.target.value), 120);
});
$("search").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { const first = $("search-results").querySelector("li[data-id]"); if (first) first.click(); }
});
$("back").addEventListener("click", () => showOverview());
$("completed-toggle").addEventListener("change", (event) => {
  const id = state.selected;
  state.completed = state.completed.filter((c) => c !== id);
  if (event.target.checked) state.completed.push(id);
  refreshSuggestions();
});
$("goal-button").addEventListener("click", () => { state.goal = state.selected; refreshSuggestions(); });
$("reset").addEventListener("click", () => { state.completed = []; state.goal = null; $("completed-toggle").checked = false; refreshSuggestions(); });
cy.on("tap", "node", (event) => {
  const d = event.target.data();
  if (d.kind === "module") openModule(d.box);
  else showLesson(d.id);
});

window.explorer = {cy, state, openModule, showOverview, goToLesson, refreshSuggestions};

(async function start() {
  try {
    const summary = await api("/api/summary");
    $("title").textContent = summary.title || "Lesson graph";
    document.title = `${summary.title} — lesson graph explorer`;
    $("status").textContent = `${summary.lessons.toLocaleString("en")} lessons · ${summary.summary}`;
    $("status").className = "status " + (summary.ok ? "good" : "bad");
    await Promise.all([showOverview(), showProblems(), summary.can_recommend ? refreshSuggestions() : null]);
  } catch (error) {
    $("status").textContent = `error: ${error.message}`;
    $("status").className = "status bad";
    document.body.dataset.ready = "error";
  }
})();
