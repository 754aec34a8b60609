// The sandbox dashboard: a thin client of the control plane (/__mock/…), polled every two seconds.
// Tables are kept in step row by row instead of being rebuilt, so keyboard focus and open journal entries
// survive every poll. The key lives in sessionStorage: it is gone when the tab closes.
"use strict";

(() => {
  const CONFIG = JSON.parse(document.getElementById("dashboard-config").textContent);
  const API = "/__mock";
  const POLL_MS = 2000;
  const AUTH_STORAGE = "ktp-sandbox.dashboard.auth";
  const SUBMISSION_LIMIT = 100;
  const SESSION_LIMIT = 100;
  const TIMELINE_LIMIT = 500;
  const LOW_CONFIDENCE = 0.8;
  // The README's names for the gateway's endpoints, so the timeline reads like the integration guide.
  const OPERATIONS = {
    "tokens.partner_token": ["E1", "partner token"],
    "tokens.user_token": ["E2", "user token"],
    "flows.initiate_flow": ["E3", "initiate flow"],
    "submissions.presigned_urls": ["E4", "presigned URL"],
    "storage.upload_document": ["E5", "upload"],
    "submissions.confirm_submission": ["E6", "confirm"],
    "submissions.submission_status": ["E7", "status"],
    "details.submission_details": ["E8", "submission details"],
    "details.partner_submission_details": ["E8", "submission details"],
    "storage.download_document": ["E8", "image download"],
    callback: ["Callback", "attempt"],
  };
  const OUTCOME_ROWS = [
    ["Status", "status"], ["Result", "result"], ["Reason code", "reasonCode"],
    ["Next action", "nextAction"], ["Retry reason", "retryReason"],
  ];
  const SCENARIOS = new Map(CONFIG.scenarios.map((scenario) => [scenario.name, scenario]));

  const state = {
    auth: null,
    timer: null,
    polling: false,
    pollAgain: false,
    generation: 0, // bumped on sign-out, so a poll still in flight cannot paint a signed-out page
    partners: new Map(), // clientId -> name
    submissions: new Map(), // submissionId -> record, the newest SUBMISSION_LIMIT
    loaded: false, // false until the first poll: rows present then are not "new"
    selectedSubmission: null,
    selectedSession: null,
    detail: "", // the JSON of the record on screen, to repaint only on change
    image: { id: null, url: null },
    timeline: { session: null, lastId: 0, deliveries: "" },
    scenarios: "",
    truth: { byNik: new Map(), byName: new Map() }, // the loaded manifest's cards, by NIK and by name
  };

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- small helpers

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "className") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
    return node;
  }

  function badge(value) {
    if (value === null || value === undefined || value === "") return el("span", { className: "none" }, "—");
    return el("span", { className: `badge v-${value}` }, String(value));
  }

  const pad = (number, width = 2) => String(number).padStart(width, "0");

  function clock(iso, withMs = false) {
    if (!iso) return "—";
    const at = new Date(iso);
    const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
    return withMs ? `${time}.${pad(at.getMilliseconds(), 3)}` : time;
  }

  function timeEl(iso, withMs = false) {
    return el("time", { datetime: iso || undefined, title: iso || undefined }, clock(iso, withMs));
  }

  function announce(text) {
    const announcer = $("announcer");
    announcer.textContent = "";
    // A fresh text node after a tick makes screen readers speak a message even when it repeats.
    setTimeout(() => { announcer.textContent = text; }, 50);
  }

  const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

  // ---------------------------------------------------------------- the control plane

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function authHeaders(auth) {
    return auth.kind === "admin"
      ? { "x-mock-admin-key": auth.adminKey }
      : { "client-id": auth.clientId, "pass-key": auth.passKey };
  }

  async function call(path, { method = "GET", params = {}, body, auth = state.auth } = {}) {
    const url = new URL(API + path, window.location.origin);
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const headers = auth ? authHeaders(auth) : {};
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(url, {
      method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = payload && payload.errors && payload.errors[0];
      throw new ApiError(response.status, error ? error.message || error.cause : `HTTP ${response.status}`);
    }
    return payload.data;
  }

  async function imageUrl(record) {
    const response = await fetch(record.image.url, { headers: authHeaders(state.auth), cache: "no-store" });
    if (!response.ok) throw new ApiError(response.status, `image: HTTP ${response.status}`);
    return URL.createObjectURL(await response.blob());
  }

  // ---------------------------------------------------------------- sign-in

  function savedAuth() {
    try {
      return JSON.parse(sessionStorage.getItem(AUTH_STORAGE));
    } catch {
      return null;
    }
  }

  function showLogin(message = "") {
    $("app").hidden = true;
    $("who").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message;
    const adminKey = $("admin-key");
    if (CONFIG.defaultAdminKey && !adminKey.value) {
      adminKey.value = CONFIG.defaultAdminKey;
      $("admin-key-hint").hidden = false;
    }
    adminKey.focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const auth = form.id === "admin-form"
      ? { kind: "admin", adminKey: form.adminKey.value.trim() }
      : { kind: "partner", clientId: form.clientId.value.trim(), passKey: form.passKey.value };
    if (auth.kind === "admin" ? !auth.adminKey : !auth.clientId || !auth.passKey) {
      $("login-error").textContent = auth.kind === "admin"
        ? "Enter the admin key." : "Enter the client id and the pass key.";
      return;
    }
    try {
      await call("/partners", { auth });
    } catch (error) {
      $("login-error").textContent = error.status === 401
        ? "The control plane refused these credentials." : `Cannot reach the control plane: ${error.message}`;
      return;
    }
    sessionStorage.setItem(AUTH_STORAGE, JSON.stringify(auth));
    await start(auth).catch((error) => signOut(`Cannot open the dashboard: ${error.message}`));
  }

  function signOut(message = "") {
    sessionStorage.removeItem(AUTH_STORAGE);
    clearTimeout(state.timer);
    state.generation += 1;
    state.auth = null;
    forget();
    showLogin(message);
  }

  // Everything one signed-in view showed; a reset or a sign-out starts from nothing.
  function forget() {
    state.submissions.clear();
    state.loaded = false;
    state.scenarios = "";
    for (const id of ["sessions-table", "submissions-table", "scenarios-table"]) $(id).tBodies[0].replaceChildren();
    closeDetail();
    closeTimeline();
  }

  async function start(auth) {
    state.auth = auth;
    $("login").hidden = true;
    $("app").hidden = false;
    $("who").hidden = false;
    $("who-label").textContent = auth.kind === "admin" ? "Operator (admin key)" : `Partner ${auth.clientId}`;
    $("reset-scope").textContent = auth.kind === "admin"
      ? "Forget every session, submission, journal entry, override and callback of every partner."
      : `Forget ${auth.clientId}'s sessions, submissions, journal entries, overrides and callbacks.`;
    await loadPartners();
    route();
    poll();
  }

  async function loadPartners() {
    const partners = await call("/partners");
    state.partners = new Map(partners.map((partner) => [partner.clientId, partner.name || partner.clientId]));
    const filter = $("partner-filter");
    filter.replaceChildren(el("option", { value: "" }, "all"),
      ...partners.map((partner) => el("option", { value: partner.clientId }, partner.name || partner.clientId)));
    filter.closest("label").hidden = partners.length < 2;
  }

  // ---------------------------------------------------------------- polling

  // One poll at a time: a poll asked for while one runs (a filter change, a new override) follows right after it.
  async function poll() {
    if (state.polling) {
      state.pollAgain = true;
      return;
    }
    state.polling = true;
    clearTimeout(state.timer);
    const generation = state.generation;
    try {
      const [health, submissions, flows, scenarios] = await Promise.all([
        call("/health", { auth: null }),
        call("/submissions", { params: { limit: SUBMISSION_LIMIT } }),
        call("/journal", { params: { operation: "flows.initiate_flow", order: "desc", limit: SESSION_LIMIT } }),
        call("/scenarios"),
      ]);
      if (generation === state.generation) {
        showHealth(health);
        showSubmissions(submissions);
        showSessions(flows.entries, submissions);
        showScenarios(scenarios);
        await Promise.all([refreshDetail(), refreshTimeline()]);
        state.loaded = true;
      }
    } catch (error) {
      if (generation === state.generation && error.status === 401) {
        signOut("The control plane no longer accepts this key. Sign in again.");
      } else if (generation === state.generation) {
        $("health").textContent = `Connection lost (${error.message}); retrying…`;
        $("health").classList.add("warn");
      }
    } finally {
      state.polling = false;
      if (state.auth) state.timer = setTimeout(poll, state.pollAgain ? 0 : POLL_MS);
      state.pollAgain = false;
    }
  }

  function showHealth(health) {
    const line = $("health");
    line.classList.remove("warn");
    line.textContent = `Live · updated ${clock(new Date().toISOString())} · processing ${health.queue.pending} ` +
      `queued, ${health.queue.running} running · callbacks pending ${health.callbacks.pending} · v${health.version}`;
  }

  // Keeps a table body in step with `items` (newest first) without rebuilding it: rows that are gone are
  // removed, rows that changed are refilled in place, and new rows are prepended. Returns the new rows.
  function syncRows(tbody, items, keyOf, cellsOf) {
    const wanted = new Set(items.map(keyOf));
    for (const row of [...tbody.rows]) if (!wanted.has(row.dataset.key)) row.remove();
    const rows = new Map([...tbody.rows].map((row) => [row.dataset.key, row]));
    const fresh = [];
    for (const item of [...items].reverse()) {
      let row = rows.get(keyOf(item));
      if (!row) {
        row = el("tr", { tabindex: 0, dataset: { key: keyOf(item) } });
        tbody.prepend(row);
        fresh.push(row);
      }
      const cells = cellsOf(item).map((cell) => el("td", {}, cell));
      const signature = cells.map((cell) => cell.innerHTML).join("\u0000");
      if (row.dataset.signature !== signature) {
        row.dataset.signature = signature;
        row.replaceChildren(...cells);
      }
    }
    if (state.loaded) {
      for (const row of fresh) {
        row.classList.add("fresh");
        setTimeout(() => row.classList.remove("fresh"), 4000);
      }
    }
    return state.loaded ? fresh : [];
  }

  function applyPartnerFilter(tbody, partnerOf) {
    const partner = $("partner-filter").value;
    for (const row of tbody.rows) row.hidden = Boolean(partner) && partnerOf(row.dataset.key) !== partner;
  }

  function showSubmissions(submissions) {
    state.submissions = new Map(submissions.map((record) => [record.submissionId, record]));
    const tbody = $("submissions-table").tBodies[0];
    const fresh = syncRows(tbody, submissions, (record) => record.submissionId, (record) => [
      timeEl(record.createdAt), el("code", { title: record.submissionId }, record.partnerSessionId),
      String(record.attempt), badge(record.status), badge(record.result), badge(record.reasonCode),
      badge(record.nextAction), badge(record.retryReason),
    ]);
    applyPartnerFilter(tbody, (id) => state.submissions.get(id)?.clientId);
    markSelected();
    $("submissions-empty").hidden = submissions.length > 0;
    $("submissions-count").textContent = submissions.length >= SUBMISSION_LIMIT
      ? `newest ${SUBMISSION_LIMIT}` : plural(submissions.length, "submission");
    if (fresh.length) announce(`${plural(fresh.length, "new submission")}.`);
  }

  // A session exists from its initiate-flow (the journal) or, if that entry was dropped, from its submissions.
  function sessionsOf(flowEntries, submissions) {
    const sessions = new Map();
    for (const entry of flowEntries) {
      if (!entry.partnerSessionId || !entry.response.status || entry.response.status >= 300) continue;
      if (sessions.has(entry.partnerSessionId)) continue;
      sessions.set(entry.partnerSessionId, {
        id: entry.partnerSessionId, clientId: entry.partnerId, startedAt: entry.at,
        userId: entry.request.headers["x-partner-user-id"] || "", submissions: [],
      });
    }
    for (const record of submissions) {
      if (!sessions.has(record.partnerSessionId)) {
        sessions.set(record.partnerSessionId, {
          id: record.partnerSessionId, clientId: record.clientId, startedAt: record.createdAt,
          userId: record.userId, submissions: [],
        });
      }
      sessions.get(record.partnerSessionId).submissions.push(record);
    }
    return [...sessions.values()].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  }

  function showSessions(flowEntries, submissions) {
    const sessions = sessionsOf(flowEntries, submissions);
    const byId = new Map(sessions.map((session) => [session.id, session]));
    const tbody = $("sessions-table").tBodies[0];
    syncRows(tbody, sessions, (session) => session.id, (session) => {
      const latest = session.submissions[0];
      return [
        timeEl(session.startedAt), el("code", {}, session.id), state.partners.get(session.clientId) || session.clientId,
        session.userId, String(session.submissions.length),
        latest ? el("span", {}, badge(latest.status), " ", badge(latest.result || latest.nextAction))
          : el("span", { className: "none" }, "no upload yet"),
      ];
    });
    applyPartnerFilter(tbody, (id) => byId.get(id)?.clientId);
    markSelected();
    $("sessions-empty").hidden = sessions.length > 0;
  }

  function markSelected() {
    for (const [table, selected] of [["submissions-table", state.selectedSubmission],
      ["sessions-table", state.selectedSession]]) {
      for (const row of $(table).tBodies[0].rows) {
        if (row.dataset.key === selected) row.setAttribute("aria-current", "true");
        else row.removeAttribute("aria-current");
      }
    }
  }

  // ---------------------------------------------------------------- selection (the URL fragment)

  function route() {
    const [kind, ...rest] = window.location.hash.slice(1).split("/");
    const id = decodeURIComponent(rest.join("/"));
    if (kind === "submission" && id) openSubmission(id);
    else if (kind === "session" && id) openSession(id);
  }

  function navigate(kind, id) {
    const hash = `#${kind}/${encodeURIComponent(id)}`;
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  }

  function onRowKey(event, kind) {
    const row = event.target.closest("tr[data-key]");
    if (!row || event.target !== row) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      navigate(kind, row.dataset.key);
      $(kind === "submission" ? "detail-title" : "timeline-title").focus();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const visible = [...row.parentElement.rows].filter((candidate) => !candidate.hidden);
      const next = visible[visible.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) next.focus();
    }
  }

  function onRowClick(event, kind) {
    const row = event.target.closest("tr[data-key]");
    if (row) navigate(kind, row.dataset.key);
  }

  async function openSubmission(id) {
    state.selectedSubmission = id;
    state.detail = "";
    try {
      const record = await call(`/submissions/${encodeURIComponent(id)}`);
      if (state.selectedSubmission !== id) return;
      state.selectedSession = record.partnerSessionId;
      markSelected();
      showDetail(record);
      await refreshTimeline();
    } catch (error) {
      closeDetail(error.status === 404 ? `No submission ${id} (reset, or another partner's).` : error.message);
    }
  }

  function openSession(id) {
    state.selectedSession = id;
    const newest = [...state.submissions.values()].find((record) => record.partnerSessionId === id);
    state.selectedSubmission = newest ? newest.submissionId : null;
    markSelected();
    if (newest) showDetail(newest);
    else closeDetail();
    refreshTimeline();
  }

  // ---------------------------------------------------------------- the submission detail

  async function refreshDetail() {
    const id = state.selectedSubmission;
    if (!id || !state.detail) return;
    const record = state.submissions.get(id) || await call(`/submissions/${encodeURIComponent(id)}`);
    if (state.selectedSubmission === id && JSON.stringify(record) !== state.detail) {
      const before = JSON.parse(state.detail);
      showDetail(record);
      if (before.status !== record.status || before.nextAction !== record.nextAction) {
        announce(`Submission now ${record.status}${record.result ? ` / ${record.result}` : ""}, ` +
          `next action ${record.nextAction}.`);
      }
    }
  }

  function closeDetail(message = "") {
    state.selectedSubmission = null;
    state.detail = "";
    $("detail-body").hidden = true;
    $("detail-empty").hidden = false;
    $("detail-empty").textContent = message ||
      "Select a submission to see its image, what the OCR read and the verdict.";
    $("detail-title").textContent = "Submission";
    dropImage();
  }

  function dropImage() {
    if (state.image.url) URL.revokeObjectURL(state.image.url);
    state.image = { id: null, url: null };
    $("detail-image").removeAttribute("src");
  }

  function showDetail(record) {
    state.detail = JSON.stringify(record);
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    $("detail-title").textContent = `Submission ${record.submissionId}`;
    const truth = truthFor(record);
    $("detail-facts").replaceChildren(...facts([
      ["Partner session", el("code", {}, record.partnerSessionId)],
      ["Partner", state.partners.get(record.clientId) || record.clientId],
      ["User", `${record.userId} (${record.userIdType})`],
      ["SDK session", el("code", {}, record.sdkSessionId)],
      ["Onboarding partner", record.onboardingPartner],
      ["Attempt", String(record.attempt)],
      ["Scenario", record.scenario || "none (the image decides)"],
      ["Created", timeEl(record.createdAt)], ["Confirmed", timeEl(record.confirmedAt)],
      ["Completed", timeEl(record.completedAt)],
    ]));
    showImage(record);
    showVerdict(record.extraction, truth);
    showOutcome(record, truth);
    showFields(record.extraction, truth);
  }

  function facts(pairs) {
    return pairs.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]);
  }

  async function showImage(record) {
    const image = $("detail-image");
    const caption = $("detail-image-caption");
    if (!record.image) {
      dropImage();
      image.hidden = true;
      caption.textContent = "No image uploaded yet (E5).";
      drawCorners(record.extraction);
      return;
    }
    image.hidden = false;
    image.alt = `The image uploaded for submission ${record.submissionId}`;
    caption.textContent = `${record.image.contentType}, ${Math.round(record.image.bytes / 1024)} KiB` +
      (record.extraction && record.extraction.corners ? "; outline: where the card was found" : "");
    if (state.image.id !== record.submissionId) {
      dropImage();
      state.image.id = record.submissionId;
      const url = await imageUrl(record).catch(() => null);
      if (state.image.id !== record.submissionId) {
        if (url) URL.revokeObjectURL(url);
        return;
      }
      state.image.url = url;
      if (url) image.src = url;
      else caption.textContent = "The image could not be loaded.";
    }
    if (image.complete && image.naturalWidth) drawCorners(record.extraction);
    else image.addEventListener("load", () => drawCorners(record.extraction), { once: true });
  }

  function drawCorners(extraction) {
    const svg = $("detail-corners");
    const image = $("detail-image");
    svg.replaceChildren();
    if (!extraction || !extraction.corners || !image.naturalWidth) return;
    svg.setAttribute("viewBox", `0 0 ${image.naturalWidth} ${image.naturalHeight}`);
    svg.setAttribute("preserveAspectRatio", "none");
    const polygon = document.createElementNS("http://www.w3.org/2000/svg", "polygon");
    polygon.setAttribute("points", extraction.corners.map(([x, y]) => `${x},${y}`).join(" "));
    svg.append(polygon);
  }

  function showVerdict(extraction, truth) {
    const verdict = $("detail-verdict");
    if (!extraction) {
      verdict.replaceChildren(...facts([["Quality", "not processed yet"]]));
      return;
    }
    const expectedQuality = truth && truth.expected && truth.expected.quality;
    const list = (items) => (items.length ? el("ul", {}, ...items.map((item) => el("li", {}, item)))
      : el("span", { className: "none" }, "none"));
    const timings = Object.entries(extraction.timingsMs || {}).map(([stage, ms]) => `${stage} ${ms.toFixed(0)}`);
    verdict.replaceChildren(...facts([
      ["Quality", el("span", {}, badge(extraction.quality),
        expectedQuality ? mark(extraction.quality === expectedQuality, `expected ${expectedQuality}`) : null)],
      ["Problems", list(extraction.problems || [])],
      ["Flags", list(extraction.flags || [])],
      ["Backend", extraction.backend],
      ["Timings (ms)", timings.join(", ") || "—"],
      ...(extraction.error ? [["Error", extraction.error]] : []),
    ]));
  }

  function mark(matches, text = "") {
    return el("span", { className: matches ? "match" : "mismatch" },
      el("span", { "aria-hidden": "true" }, matches ? " ✓" : " ✗"),
      el("span", { className: "visually-hidden" }, matches ? " matches" : " differs"),
      text ? ` ${text}` : null);
  }

  // What the session should end in, when something knows: the loaded manifest first, else the scenario table.
  function expectedOutcome(record, truth) {
    if (truth && truth.expected && truth.expected.outcome) {
      return { outcome: truth.expected.outcome, source: `the loaded manifest (${truth.label})` };
    }
    const scenario = record.scenario && SCENARIOS.get(record.scenario);
    if (scenario) return { outcome: scenario.outcome, source: `scenario ${scenario.name}: ${scenario.description}` };
    return null;
  }

  function showOutcome(record, truth) {
    const expected = expectedOutcome(record, truth);
    const ended = record.nextAction === "EXIT";
    $("detail-outcome").tBodies[0].replaceChildren(...OUTCOME_ROWS.map(([label, key]) => {
      const known = expected !== null && key in expected.outcome;
      const want = known ? expected.outcome[key] : undefined;
      // The expectation is the session's ending, so it is judged only once the session has ended.
      const judged = known && ended ? mark((want ?? "") === (record[key] ?? "")) : null;
      return el("tr", { dataset: { key } }, el("th", { scope: "row" }, label), el("td", {}, badge(record[key])),
        el("td", {}, known ? badge(want) : el("span", { className: "none" }, "—"), judged));
    }));
    $("detail-expected-source").textContent = expected
      ? `Expected from ${expected.source}.${ended ? "" : " The session has not ended yet."}`
      : "No expectation known: no scenario is in force and no loaded manifest matches this card.";
  }

  function showFields(extraction, truth) {
    const read = (extraction && extraction.fields) || {};
    const confidence = (extraction && extraction.confidence) || {};
    const keys = [...CONFIG.ktpKeys, ...Object.keys(read).filter((key) => !CONFIG.ktpKeys.includes(key))];
    const expected = truth ? truth.truth : null;
    $("detail-fields").tBodies[0].replaceChildren(...keys.map((key) => {
      const value = read[key];
      const score = confidence[key];
      const want = expected ? expected[key] : undefined;
      const row = el("tr", { dataset: { field: key } },
        el("th", { scope: "row" }, key),
        el("td", { className: "read" }, value === undefined ? el("span", { className: "none" }, "not read") : value),
        el("td", { className: score !== undefined && score < LOW_CONFIDENCE ? "low" : "" },
          score === undefined ? "—" : `${Math.round(score * 100)}%`),
        el("td", { className: "expected" }, want === undefined ? "—" : el("span", {}, want, mark(want === value))));
      if (want !== undefined) row.classList.add(want === value ? "matches" : "differs");
      return row;
    }));
  }

  // ---------------------------------------------------------------- the cards' truth (manifest.jsonl)

  function truthFor(record) {
    const fields = record.extraction && record.extraction.fields;
    if (!fields) return null;
    return state.truth.byNik.get(fields.nik) || state.truth.byName.get(fields.name) || null;
  }

  async function loadTruth(event) {
    const file = event.target.files[0];
    if (!file) return;
    const text = await file.text();
    const byNik = new Map();
    const byName = new Map();
    let skipped = 0;
    const documents = text.trim().startsWith("[") ? JSON.parse(text) : text.split("\n").filter((line) => line.trim());
    for (const document of documents) {
      try {
        const line = typeof document === "string" ? JSON.parse(document) : document;
        // A manifest line carries {truth, expected}; a bare ktpData object is accepted too.
        const truth = line.truth || (line.nik ? line : null);
        if (!truth) throw new Error("no truth");
        const entry = { truth, expected: line.expected || null, label: line.image || truth.nik };
        byNik.set(truth.nik, entry);
        byName.set(truth.name, entry);
      } catch {
        skipped += 1;
      }
    }
    state.truth = { byNik, byName };
    $("truth-status").textContent = `${plural(byNik.size, "card")} loaded from ${file.name}` +
      (skipped ? `, ${plural(skipped, "line")} skipped` : "") + ".";
    if (state.detail) showDetail(JSON.parse(state.detail));
  }

  // ---------------------------------------------------------------- the journal timeline

  function closeTimeline() {
    state.selectedSession = null;
    state.timeline = { session: null, lastId: 0, deliveries: "" };
    $("timeline-body").hidden = true;
    $("timeline-empty").hidden = false;
    $("timeline-title").textContent = "Journal timeline";
    $("events").replaceChildren();
    $("deliveries").replaceChildren();
  }

  async function refreshTimeline() {
    const session = state.selectedSession;
    if (!session) return;
    const [page, deliveries] = await Promise.all([
      call("/journal", { params: { partnerSessionId: session, order: "desc", limit: TIMELINE_LIMIT } }),
      call("/callbacks", { params: { partnerSessionId: session } }),
    ]);
    if (state.selectedSession !== session) return;
    if (state.timeline.session !== session) {
      closeTimeline();
      state.selectedSession = session;
      state.timeline.session = session;
      $("timeline-title").textContent = `Journal timeline · ${session}`;
      $("timeline-empty").hidden = true;
      $("timeline-body").hidden = false;
    }
    // Entries never change once written, so only the new ones are added: open entries stay open.
    const added = page.entries.filter((entry) => entry.id > state.timeline.lastId).reverse();
    $("events").append(...added.map(eventItem));
    if (added.length) state.timeline.lastId = added[added.length - 1].id;
    $("events").dataset.total = String(page.total);
    const signature = JSON.stringify(deliveries);
    if (signature !== state.timeline.deliveries) {
      state.timeline.deliveries = signature;
      $("deliveries").replaceChildren(...deliveries.map(deliveryItem));
    }
  }

  function statusClass(status) {
    if (!status) return "s-none";
    return status < 300 ? "s-ok" : status < 500 ? "s-client" : "s-server";
  }

  function eventItem(entry) {
    const [code, name] = OPERATIONS[entry.operation] || ["—", entry.operation || "no operation"];
    const callback = entry.kind === "callback";
    const status = entry.response.status;
    const body = entry.response.body;
    const answer = body && typeof body === "object" && body.data && body.data.nextAction; // what E7 told the SDK
    const summary = el("summary", {},
      timeEl(entry.at, true),
      el("span", { className: "op" }, code),
      el("span", { className: "op-name" }, callback ? `${name} ${entry.attempt}` : name),
      el("span", { className: "method" }, entry.method),
      el("span", { className: "path" }, entry.url),
      el("span", { className: "answer" }, entry.error ? el("span", { className: "event-error" }, entry.error)
        : answer ? el("span", {}, badge(answer), " ", body.data.retryReason ? badge(body.data.retryReason) : null)
          : null),
      el("span", { className: `status ${statusClass(status)}` }, status ? String(status) : "no answer"),
      el("span", { className: "latency" }, `${entry.latencyMs.toFixed(1)} ms`));
    const item = { className: `event kind-${entry.kind}`, dataset: { operation: entry.operation || "", id: entry.id } };
    return el("li", item,
      el("details", {}, summary, el("div", { className: "exchange" },
        exchangePart("Request", entry.request.headers, entry.request.body),
        exchangePart("Response", entry.response.headers, entry.response.body))));
  }

  function exchangePart(title, headers, body) {
    const headerText = Object.entries(headers || {}).map(([name, value]) => `${name}: ${value}`).join("\n");
    const bodyText = body === null || body === undefined ? "" : typeof body === "string" ? body
      : JSON.stringify(body, null, 2);
    const text = [headerText, bodyText].filter(Boolean).join("\n\n") || "—";
    return el("div", {}, el("h4", {}, title), el("pre", {}, text));
  }

  function deliveryItem(delivery) {
    const where = delivery.url ? `${delivery.method} ${delivery.url}` : "no callback URL configured";
    const when = delivery.state === "pending" && delivery.nextAttemptAt
      ? `, next attempt at ${clock(delivery.nextAttemptAt)}` : "";
    const last = delivery.lastStatus ? `, last answer ${delivery.lastStatus}`
      : delivery.lastError ? `, last error: ${delivery.lastError}` : "";
    return el("li", { className: `delivery d-${delivery.state}` }, badge(delivery.state),
      ` Callback ${delivery.id} → ${where}: ${plural(delivery.attempts, "attempt")}${last}${when}`);
  }

  // ---------------------------------------------------------------- scenario overrides

  function describeMatch(match) {
    const parts = Object.entries(match || {}).map(([name, value]) => `${name} = ${value}`);
    return parts.length ? parts.join(" · ") : "every request";
  }

  function describeEffects(override) {
    const effects = [];
    if (override.scenario) effects.push(`scenario ${override.scenario}`);
    if (override.outcome) {
      const { status, result, reasonCode } = override.outcome;
      effects.push(`outcome ${[status, result, reasonCode].filter(Boolean).join(" / ")}`);
    }
    if (override.retryReason) effects.push(`retry ${override.retryReason}`);
    if (override.processingDelayMs) effects.push(`processing delay ${override.processingDelayMs} ms`);
    for (const [kind, spec] of [["fault", override.fault], ["callback", override.callback]]) {
      if (spec) effects.push(`${kind} ${Object.entries(spec).map(([name, value]) => `${name} ${value}`).join(", ")}`);
    }
    return effects.join("; ");
  }

  function showScenarios(overrides) {
    const signature = JSON.stringify(overrides);
    if (signature === state.scenarios) return;
    state.scenarios = signature;
    const rows = overrides.map((override) => el("tr", { dataset: { id: override.id } },
      el("td", {}, el("code", {}, override.id)),
      el("td", {}, describeMatch(override.match)),
      el("td", {}, describeEffects(override)),
      el("td", {}, override.remaining === null ? "until deleted" : `${override.remaining} of ${override.times}`),
      el("td", {}, el("button", { type: "button", className: "quiet", dataset: { delete: override.id },
        "aria-label": `Delete override ${override.id}` }, "Delete"))));
    $("scenarios-table").tBodies[0].replaceChildren(...rows);
    $("scenarios-empty").hidden = overrides.length > 0;
  }

  async function deleteScenario(event) {
    const button = event.target.closest("button[data-delete]");
    if (!button) return;
    const id = button.dataset.delete;
    try {
      await call(`/scenarios/${encodeURIComponent(id)}`, { method: "DELETE" });
      announce(`Override ${id} deleted.`);
    } catch (error) {
      announce(`Could not delete ${id}: ${error.message}`);
    }
    $("scenarios-title").focus();
    poll();
  }

  // The form as a ScenarioOverride body (openapi/mock.yaml); empty inputs are left out.
  function overrideBody(form) {
    const value = (name) => (form.elements[name].value || "").trim();
    const number = (name) => (value(name) === "" ? undefined : Number(value(name)));
    const checked = (name) => form.elements[name].checked || undefined;
    const prune = (object) => {
      const kept = Object.fromEntries(Object.entries(object).filter(([, item]) => item !== undefined && item !== ""));
      return Object.keys(kept).length ? kept : undefined;
    };
    return prune({
      match: prune({ [value("matchOn")]: value("matchValue"), operation: value("operation") }),
      scenario: value("scenario"),
      outcome: prune({
        status: value("outcomeStatus"), result: value("outcomeResult"), reasonCode: value("reasonCode"),
      }),
      retryReason: value("retryReason"),
      fault: prune({ status: number("faultStatus"), latencyMs: number("faultLatencyMs") }),
      callback: prune({ failTimes: number("failTimes"), duplicate: checked("duplicate"),
        outOfOrder: checked("outOfOrder"), badSignature: checked("badSignature") }),
      times: number("times"),
    }) || {};
  }

  function formProblem(body) {
    const effects = ["scenario", "outcome", "retryReason", "fault", "callback"];
    if (!effects.some((name) => name in body)) return "Choose at least one effect.";
    if (body.outcome && !body.outcome.status) return "An outcome needs a status.";
    return "";
  }

  function previewOverride() {
    $("scenario-preview").textContent = JSON.stringify(overrideBody($("scenario-form")), null, 2);
  }

  async function createScenario(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const body = overrideBody(form);
    const problem = formProblem(body);
    $("scenario-error").textContent = problem;
    if (problem) return;
    try {
      const created = await call("/scenarios", { method: "POST", body });
      form.reset();
      previewOverride();
      announce(`Override ${created.id} created.`);
      poll();
    } catch (error) {
      $("scenario-error").textContent = `The control plane refused it: ${error.message}`;
    }
  }

  function fillChoices() {
    const options = (values) => values.map((value) => el("option", { value }, value));
    $("operation-select").append(...options(CONFIG.operations));
    $("scenario-select").append(...CONFIG.scenarios.map((scenario) => el("option",
      { value: scenario.name, title: scenario.description }, scenario.name)));
    $("outcome-status").append(...options(CONFIG.outcomeStatuses));
    $("outcome-result").append(...options(CONFIG.outcomeResults));
    $("retry-select").append(...options(CONFIG.retryReasons));
    const reasonCodes = new Set(CONFIG.scenarios.map((scenario) => scenario.outcome.reasonCode).filter(Boolean));
    $("reason-codes").append(...options([...reasonCodes]));
  }

  // ---------------------------------------------------------------- reset

  async function confirmReset() {
    if ($("reset-dialog").returnValue !== "confirm") return;
    try {
      const counts = await call("/reset", { method: "POST" });
      forget();
      history.replaceState(null, "", window.location.pathname);
      announce(`Reset done. Deleted ${Object.entries(counts).map(([kind, count]) => `${kind} ${count}`).join(", ")}.`);
      poll();
    } catch (error) {
      announce(`Reset failed: ${error.message}`);
    }
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    fillChoices();
    previewOverride();
    $("admin-form").addEventListener("submit", signIn);
    $("partner-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut());
    for (const [table, kind] of [["submissions-table", "submission"], ["sessions-table", "session"]]) {
      $(table).tBodies[0].addEventListener("keydown", (event) => onRowKey(event, kind));
      $(table).tBodies[0].addEventListener("click", (event) => onRowClick(event, kind));
    }
    $("partner-filter").addEventListener("change", poll);
    $("scenarios-table").addEventListener("click", deleteScenario);
    $("scenario-form").addEventListener("input", previewOverride);
    $("scenario-form").addEventListener("submit", createScenario);
    $("truth-file").addEventListener("change", loadTruth);
    $("reset").addEventListener("click", () => {
      $("reset-dialog-text").textContent = `${$("reset-scope").textContent} This cannot be undone.`;
      $("reset-dialog").showModal();
    });
    $("reset-dialog").addEventListener("close", confirmReset);
    window.addEventListener("hashchange", route);
    const auth = savedAuth();
    if (auth) start(auth).catch((error) => signOut(`Sign in again (${error.message}).`));
    else showLogin();
  }

  init();
})();
