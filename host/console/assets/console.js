// The Portcullis console: one module, no framework. Every value from the
// appliance (rule texts, file names, addresses, log lines) reaches the page
// through textContent or an attribute set by the DOM, never as HTML, so a
// rule comment holding <script> shows as text.
const REFRESH_MS = 2000;
const main = document.getElementById("main");
const statusEl = document.getElementById("status");

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(path, init) {
  const res = await fetch(path, { credentials: "same-origin", ...init });
  if (res.status === 401) { location.href = "/login"; throw new Error("login required"); }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

const fmt = (n) => Number(n).toLocaleString("en-US");
const bytes = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const ago = (ms) => {
  if (ms === null || ms === undefined) return "never";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};
const duration = (s) => (s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`);

function card(k, v) {
  return el("div", { class: "card" }, el("div", { class: "k", text: k }), el("div", { class: "v", text: v }));
}

function table(headers, rows) {
  const thead = el("thead", {}, el("tr", {}, ...headers.map((h) => (h instanceof Node ? h : el("th", { text: h })))));
  return el("table", {}, thead, el("tbody", {}, ...rows));
}

/** Replace the page's content; absent parts (null) are left out. */
function show(...parts) {
  main.replaceChildren(...parts.filter((p) => p !== null && p !== undefined));
}

function setStatus(ok, text) {
  statusEl.textContent = text;
  statusEl.classList.toggle("stale", !ok);
}

// ------------------------------------------------------------------ overview

/** Rates per sample interval of every port, as an SVG line chart (rx solid, tx dashed). */
function chart(history) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("viewBox", "0 0 600 120");
  svg.setAttribute("preserveAspectRatio", "none");
  const samples = history.samples;
  const series = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].atMs - samples[i - 1].atMs) / 1000 || 1;
    let rx = 0, tx = 0;
    for (const p of samples[i].ports) {
      const q = samples[i - 1].ports.find((x) => x.name === p.name);
      if (!q) continue;
      rx += Math.max(0, p.rxPackets - q.rxPackets) / dt;
      tx += Math.max(0, p.txPackets - q.txPackets) / dt;
    }
    series.push({ rx, tx });
  }
  const max = Math.max(1, ...series.map((s) => Math.max(s.rx, s.tx)));
  const points = (key) => series.map((s, i) => `${(i / Math.max(1, series.length - 1)) * 600},${110 - (s[key] / max) * 100}`).join(" ");
  for (const key of ["rx", "tx"]) {
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("class", key);
    line.setAttribute("points", points(key));
    svg.append(line);
  }
  const label = document.createElementNS(NS, "text");
  label.setAttribute("x", "4");
  label.setAttribute("y", "12");
  label.textContent = `peak ${fmt(Math.round(max))} frames/s (rx solid, tx dashed), last ${Math.round((samples.length * history.sampleMs) / 60000)} min`;
  svg.append(label);
  return svg;
}

async function overviewPage() {
  const o = await api("/api/overview");
  const ct = o.conntrack;
  const dropped = o.drops.reduce((n, d) => n + d.count, 0);
  show(
    el("div", { class: "cards" },
      card("uptime", duration(o.uptimeS)),
      card("version", `${o.build.version} (${o.build.commit})`),
      card("rules", `${fmt(o.rules.total)} (${fmt(o.rules.neverHit)} never hit)`),
      card("generation", String(o.generation)),
      card("connections", ct ? `${fmt(ct.flows)} / ${fmt(ct.capacity)}` : "not tracked"),
      card("dropped", fmt(dropped)),
      card("reloads", `${o.reloads.applied} applied, ${o.reloads.refused} refused`)),
    el("h2", { text: "Configuration" }),
    el("p", {}, `${o.dialect ?? "?"} rules from `, el("code", { text: o.configs.join(", ") }), `, loaded ${new Date(o.loadedAtMs).toLocaleString()}`),
    o.lastReload ? el("p", { class: o.lastReload.ok ? "muted" : "warn", text: `last reload ${new Date(o.lastReload.atMs).toLocaleString()}: ${o.lastReload.message}` }) : null,
    o.warningCount ? el("details", {}, el("summary", { class: "warn", text: `${o.warningCount} warnings` }), ...o.warnings.map((w) => el("div", { class: "text", text: w }))) : null,
    el("h2", { text: "Traffic" }),
    chart(o.history),
    table(["port", "rx frames", "rx bytes", "tx frames", "tx bytes", "tx errors"].map((h, i) => el("th", { class: i ? "num" : "", text: h })),
      o.ports.map((p) => el("tr", {}, el("td", { text: p.name }), ...[fmt(p.rxPackets), bytes(p.rxBytes), fmt(p.txPackets), bytes(p.txBytes), fmt(p.txErrors)].map((v) => el("td", { class: "num", text: v }))))),
    el("h2", { text: "Drops by reason" }),
    o.drops.length
      ? table(["reason", el("th", { class: "num", text: "frames" })], o.drops.sort((a, b) => b.count - a.count).map((d) => el("tr", {}, el("td", { text: d.reason }), el("td", { class: "num", text: fmt(d.count) }))))
      : el("p", { class: "muted", text: "nothing dropped" }),
    ct ? el("p", { class: "muted", text: `connection table: ${fmt(ct.flows)} flows of ${fmt(ct.capacity)}, ${fmt(ct.created)} created, ${fmt(ct.evicted)} evicted, ${fmt(ct.untracked)} untracked` }) : null,
  );
}

// ------------------------------------------------------------------ rules

const ruleView = { sort: "order", filter: "", only: "", offset: 0 };

async function rulesPage(rebuild) {
  const q = new URLSearchParams({ sort: ruleView.sort, filter: ruleView.filter, offset: String(ruleView.offset), limit: "200" });
  if (ruleView.only) q.set("only", ruleView.only);
  const r = await api(`/api/rules?${q}`);
  if (rebuild || !document.getElementById("rule-filter")) {
    const filter = el("input", { id: "rule-filter", type: "search", placeholder: "filter rules (text, file, ruleset)", value: ruleView.filter });
    filter.addEventListener("input", () => { ruleView.filter = filter.value; ruleView.offset = 0; rulesPage(); });
    const only = el("select", { id: "rule-only" }, el("option", { value: "", text: "all rules" }), el("option", { value: "never", text: "never hit since load" }));
    only.value = ruleView.only;
    only.addEventListener("change", () => { ruleView.only = only.value; ruleView.offset = 0; rulesPage(); });
    show(el("div", { class: "toolbar" }, filter, only, el("span", { id: "rule-count", class: "muted" })), el("div", { id: "rule-table" }), el("div", { id: "rule-pager", class: "toolbar" }));
  }
  document.getElementById("rule-count").textContent = `${fmt(r.matched)} of ${fmt(r.total)} rules (${r.dialect}, generation ${r.generation})`;
  const sortable = (key, label) => el("th", { class: "sortable num", title: `sort by ${label}`, onclick: () => { ruleView.sort = ruleView.sort === key ? "order" : key; rulesPage(); } }, `${label}${ruleView.sort === key ? " ▼" : ""}`);
  const rows = r.rows.map((x) => el("tr", { class: x.packets === 0 ? "never" : "", "data-index": x.index },
    el("td", { text: x.ruleset }),
    el("td", { text: x.name }),
    el("td", { class: x.action, text: x.action }),
    el("td", { class: "text", text: x.text }),
    el("td", { text: `${x.file}:${x.line}` }),
    el("td", { class: "num", text: fmt(x.packets) }),
    el("td", { class: "num", text: bytes(x.bytes) }),
    el("td", {}, x.lastHitMs === null ? el("span", { class: "tag never", text: "never hit" }) : ago(x.lastHitMs))));
  document.getElementById("rule-table").replaceChildren(table(
    [el("th", { class: "sortable", onclick: () => { ruleView.sort = "order"; rulesPage(); }, text: "ruleset" }), "rule", "action", "text", "from", sortable("hits", "packets"), sortable("bytes", "bytes"), sortable("last", "last hit")],
    rows));
  const pager = document.getElementById("rule-pager");
  pager.replaceChildren(
    el("button", { class: "plain", disabled: ruleView.offset === 0 ? "" : null, onclick: () => { ruleView.offset = Math.max(0, ruleView.offset - 200); rulesPage(); }, text: "previous" }),
    el("span", { class: "muted", text: r.matched ? `${r.offset + 1}–${Math.min(r.matched, r.offset + r.rows.length)}` : "none" }),
    el("button", { class: "plain", disabled: r.offset + r.rows.length >= r.matched ? "" : null, onclick: () => { ruleView.offset += 200; rulesPage(); }, text: "next" }));
}

// ------------------------------------------------------------------ connections

const flowView = { sort: "largest", filter: "", offset: 0 };

async function connectionsPage(rebuild) {
  const q = new URLSearchParams({ sort: flowView.sort, filter: flowView.filter, offset: String(flowView.offset), limit: "100" });
  const r = await api(`/api/connections?${q}`);
  if (rebuild || !document.getElementById("flow-filter")) {
    const filter = el("input", { id: "flow-filter", type: "search", placeholder: "filter by address or port", value: flowView.filter });
    filter.addEventListener("input", () => { flowView.filter = filter.value; flowView.offset = 0; connectionsPage(); });
    const sort = el("select", {}, el("option", { value: "largest", text: "largest first" }), el("option", { value: "newest", text: "newest first" }));
    sort.value = flowView.sort;
    sort.addEventListener("change", () => { flowView.sort = sort.value; connectionsPage(); });
    show(el("div", { class: "toolbar" }, filter, sort, el("span", { id: "flow-count", class: "muted" })), el("div", { id: "flow-table" }));
  }
  document.getElementById("flow-count").textContent = `${fmt(r.matched)} of ${fmt(r.total)} tracked flows`;
  const proto = (p) => ({ 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6" })[p] ?? String(p);
  document.getElementById("flow-table").replaceChildren(table(
    ["proto", "from", "to", "in → out", "state", "age", "idle", "packets", "bytes"].map((h, i) => el("th", { class: i >= 5 ? "num" : "", text: h })),
    r.rows.map((f) => el("tr", {},
      el("td", { text: proto(f.proto) }), el("td", { class: "text", text: `${f.src}:${f.sport}` }), el("td", { class: "text", text: `${f.dst}:${f.dport}` }),
      el("td", { text: `${f.in} → ${f.out}` }), el("td", { text: f.state }),
      ...[duration(f.ageS), duration(f.idleS), fmt(f.packets), bytes(f.bytes)].map((v) => el("td", { class: "num", text: v }))))));
}

// ------------------------------------------------------------------ log

let logSource = null;

function logPage() {
  const box = el("div", { class: "log", id: "log-lines" });
  const filter = el("input", { type: "search", placeholder: "filter log lines" });
  const lines = [];
  const render = () => {
    const f = filter.value.toLowerCase();
    box.replaceChildren(...lines.filter((l) => !f || l.text.toLowerCase().includes(f)).slice(-1000).map((l) =>
      el("div", { class: `sev-${l.severity}` }, `${new Date(l.atMs).toLocaleTimeString()} ${l.severity.padEnd(7)} ${l.text}`)));
    box.scrollTop = box.scrollHeight;
  };
  filter.addEventListener("input", render);
  show(el("div", { class: "toolbar" }, filter, el("span", { id: "log-state", class: "muted", text: "connecting…" })), box);
  logSource?.close();
  logSource = new EventSource("/api/log/stream");
  logSource.onopen = () => { document.getElementById("log-state").textContent = "live"; };
  logSource.onerror = () => { const s = document.getElementById("log-state"); if (s) s.textContent = "reconnecting…"; };
  logSource.onmessage = (ev) => {
    lines.push(JSON.parse(ev.data));
    if (lines.length > 2000) lines.splice(0, lines.length - 2000);
    render();
  };
  logSource.addEventListener("missed", (ev) => { lines.push({ atMs: Date.now(), severity: "notice", text: `(${ev.data} lines not shown: too many at once)` }); render(); });
}

// ------------------------------------------------------------------ tester

function testerPage() {
  const input = el("input", { class: "wide", id: "packet", type: "text", value: "tcp 192.168.0.10:40000 > 10.0.0.2:80", spellcheck: "false" });
  const out = el("div", { id: "answer" });
  const form = el("form", { class: "toolbar" }, input, el("button", { type: "submit", text: "Test" }));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const a = await api("/api/explain", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ packet: input.value }) }).catch((e) => ({ ok: false, error: e.message }));
    if (!a.ok) { out.replaceChildren(el("div", { class: "answer" }, el("div", { class: "deny", text: a.error }))); return; }
    out.replaceChildren(el("div", { class: "answer" },
      el("div", { class: `verdict ${a.verdict}`, text: a.verdict }),
      el("div", { text: `${a.packet}  (in=${a.in} out=${a.out})` }),
      a.rule
        ? el("div", {}, `decided by ${a.rule.name} of ${a.rule.ruleset} (${a.rule.file}:${a.rule.line}): `, el("code", { text: a.rule.text }))
        : el("div", { text: a.reason })));
  });
  show(
    el("p", { class: "muted" }, "A packet in explain's syntax: ", el("code", { text: "PROTO SRC[:PORT] > DST[:PORT] [in=IF] [out=IF] [flags=SA] [type=8] [code=0] [frag=none|first|later] [time=...]" }), ". It is judged by the running rules as explain judges it (no tracked state)."),
    form, out);
}

// ------------------------------------------------------------------ routing

const PAGES = { "/": ["overview", overviewPage], "/rules": ["rules", rulesPage], "/connections": ["connections", connectionsPage], "/log": ["log", null], "/tester": ["tester", null] };
const [name, refresh] = PAGES[location.pathname] ?? PAGES["/"];
for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === name);

async function tick(first) {
  try {
    await refresh(first);
    setStatus(true, `updated ${new Date().toLocaleTimeString()}`);
  } catch (e) {
    setStatus(false, `not updated: ${e.message}`);
  }
}

if (name === "log") { logPage(); setStatus(true, "live log"); }
else if (name === "tester") { testerPage(); setStatus(true, "ready"); }
else {
  await tick(true);
  setInterval(() => { if (!document.hidden) tick(false); }, REFRESH_MS);
}
