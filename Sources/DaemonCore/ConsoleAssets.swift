/// The console's style sheet and scripts, compiled into the daemon (no CDN, no build step,
/// nothing to install beside the binary). Plain JavaScript, a few dozen lines a page.
enum ConsoleAssets {
    struct Asset: Sendable {
        var type: String
        var body: String
    }

    static let files: [String: Asset] = [
        "console.css": Asset(type: "text/css; charset=utf-8", body: css),
        "console.js": Asset(type: "text/javascript; charset=utf-8", body: common),
        "queue.js": Asset(type: "text/javascript; charset=utf-8", body: queue),
        "ticket.js": Asset(type: "text/javascript; charset=utf-8", body: ticket),
        "cameras.js": Asset(type: "text/javascript; charset=utf-8", body: cameras),
        "editor.js": Asset(type: "text/javascript; charset=utf-8", body: editor),
    ]

    static let css = #"""
    :root { --bg: #f4f6f8; --fg: #1d2733; --muted: #6b7785; --line: #d5dbe1; --accent: #0b5cad; --bad: #c62828; --warn: #e08a00; --ok: #2e7d32; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 16px/1.5 "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; background: var(--bg); color: var(--fg); }
    a { color: var(--accent); }
    header.top { display: flex; align-items: center; gap: 1.5rem; background: #14283d; color: #fff; padding: .5rem 1.25rem; flex-wrap: wrap; }
    header.top a, header.top button.link { color: #dfe9f3; text-decoration: none; }
    header.top nav a { padding: .35rem .8rem; border-radius: 4px; }
    header.top nav a.active { background: #2c4a69; color: #fff; }
    .brand { font-weight: 700; font-size: 1.15rem; }
    .user { margin-left: auto; display: flex; gap: 1rem; align-items: center; }
    form.inline { display: inline; margin: 0; }
    button.link { background: none; border: 0; padding: 0; font: inherit; cursor: pointer; text-decoration: underline; }
    main { padding: 1rem 1.25rem 3rem; max-width: 1880px; margin: 0 auto; }
    h1 { font-size: 1.45rem; margin: .3rem 0 .8rem; }
    h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
    .muted { color: var(--muted); }
    .bar { display: flex; align-items: center; gap: 1rem; }
    .count { background: var(--accent); color: #fff; border-radius: 1rem; padding: 0 .6rem; font-size: 1rem; }
    .live { color: var(--ok); font-size: .9rem; } .live.lost { color: var(--bad); }
    button, .button { font: inherit; padding: .35rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; text-decoration: none; display: inline-block; }
    #mute { background: #fff; color: var(--accent); margin-left: auto; }
    .filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; margin: .5rem 0 1rem; }
    select, input[type=text], input[type=password] { font: inherit; padding: .3rem .4rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
    table { border-collapse: collapse; width: 100%; background: #fff; }
    th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
    th { background: #e8edf2; font-weight: 600; white-space: nowrap; }
    tr.ticket.hazard td:first-child { box-shadow: inset 5px 0 var(--bad); }
    tr.ticket.overdue { background: #fff4f2; }
    tr.ticket.fresh { animation: fresh 2s ease-out 3; }
    @keyframes fresh { from { background: #fff3b0; } to { background: inherit; } }
    td.thumb img { width: 128px; height: 72px; object-fit: cover; border-radius: 3px; display: block; background: #ccd; }
    a.title { font-weight: 600; text-decoration: none; }
    .badge { display: inline-block; font-size: .8rem; padding: 0 .45rem; border-radius: 3px; margin-left: .3rem; }
    .badge.supervised { background: var(--bad); color: #fff; }
    .sev { font-size: .8rem; color: var(--muted); } .sev-high, .sev-critical { color: var(--bad); font-weight: 600; }
    .cat-hazard, .cat-fire_smoke { color: var(--bad); font-weight: 600; }
    .state { padding: 0 .4rem; border-radius: 3px; background: #e8edf2; white-space: nowrap; }
    .state-new { background: #fde2e1; } .state-streaming { background: #dff3e2; } .state-stalled, .state-connecting { background: #fff0cc; }
    .state-offline, .state-camera_tamper { background: #fde2e1; } .state-disabled { background: #e0e0e0; }
    .countdown.late { color: var(--bad); font-weight: 600; }
    .alarm { background: var(--bad); color: #fff; padding: .6rem 1rem; border-radius: 4px; font-weight: 700; margin: .5rem 0; animation: blink 1s step-start infinite; }
    .alarm a { color: #fff; }
    @keyframes blink { 50% { opacity: .55; } }
    .empty { padding: 2rem; text-align: center; color: var(--muted); background: #fff; }
    .columns { display: grid; grid-template-columns: minmax(0, 2fr) minmax(300px, 1fr); gap: 1.5rem; }
    figure.picture { position: relative; margin: 0; background: #000; line-height: 0; }
    figure.picture img { width: 100%; display: block; }
    .editor figure.picture, .camera-page figure.picture, .ticket-page figure.picture { max-width: min(100%, 1000px); }
    td.thumb { width: 1%; }
    svg.overlay { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
    svg.overlay polygon.zone { fill: rgba(255, 196, 0, .18); stroke: #ffc400; stroke-width: .004; }
    svg.overlay polygon.zone.hit { fill: rgba(255, 60, 0, .25); stroke: #ff3c00; }
    svg.overlay line.tripwire { stroke: #00e5ff; stroke-width: .006; }
    svg.overlay line.tripwire.hit { stroke: #ff3c00; }
    svg.overlay polygon.mask { fill: rgba(120, 120, 120, .35); stroke: #999; stroke-width: .002; }
    svg.overlay polygon.privacy { fill: rgba(0, 0, 0, .8); }
    svg.overlay polyline.trajectory { fill: none; stroke: #76ff03; stroke-width: .005; stroke-dasharray: .01 .006; }
    svg.overlay circle.trajectory-end { fill: #76ff03; }
    .legend .key { margin-right: 1rem; font-size: .9rem; } .legend .key::before { content: ""; display: inline-block; width: .9rem; height: .9rem; margin-right: .3rem; vertical-align: -2px; }
    .legend .zone::before { background: #ffc400; } .legend .tripwire::before { background: #00e5ff; } .legend .mask::before { background: #999; } .legend .trajectory::before { background: #76ff03; }
    video { width: 100%; background: #000; }
    dl.facts { display: grid; grid-template-columns: auto 1fr; gap: .2rem 1rem; background: #fff; padding: .8rem 1rem; margin: 0; border: 1px solid var(--line); }
    dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
    form.action { background: #fff; border: 1px solid var(--line); padding: .6rem; margin: 0 0 .5rem; display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
    form.action label { flex: 1 1 12rem; display: flex; flex-direction: column; font-size: .9rem; }
    .changed { background: #fff0cc; padding: .4rem 1rem; border-left: 4px solid var(--warn); }
    .flash { background: #dff3e2; padding: .5rem 1rem; border-left: 4px solid var(--ok); }
    ol.occurrences img { height: 54px; vertical-align: middle; }
    td.actor { white-space: nowrap; }
    .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1rem; }
    .tile { background: #fff; border: 1px solid var(--line); border-radius: 4px; overflow: hidden; }
    .tile.state-offline, .tile.state-camera_tamper { border-color: var(--bad); } .tile.state-stalled { border-color: var(--warn); }
    .tile .frame { display: block; aspect-ratio: 16 / 9; background: #000; }
    .tile .frame img { width: 100%; height: 100%; object-fit: contain; display: block; }
    .tile h3, .tile p { margin: .3rem .7rem; }
    .no-picture { color: #aab; display: flex; align-items: center; justify-content: center; height: 100%; min-height: 180px; line-height: 1.5; }
    .open-tickets { color: var(--bad); font-weight: 600; }
    .periods a { margin-right: 1rem; } .periods a.active { font-weight: 700; text-decoration: none; color: var(--fg); }
    .stats-table { margin-bottom: 1.5rem; } a.csv { font-size: .85rem; font-weight: 400; margin-left: 1rem; }
    svg.chart { width: 100%; max-width: 1100px; background: #fff; display: block; margin-bottom: .5rem; font-size: 13px; }
    svg.chart rect { fill: var(--accent); } svg.chart text { fill: var(--fg); }
    svg.chart.columns { height: 160px; }
    .login { max-width: 380px; margin: 4rem auto; background: #fff; padding: 1.5rem 2rem; border: 1px solid var(--line); }
    .login label { display: flex; flex-direction: column; margin-bottom: .8rem; }
    .error, p.error { color: var(--bad); } .notice { color: var(--warn); }
    section.error { background: #fff; padding: 2rem; } .reason { font-size: 1.1rem; }
    .editor { display: grid; grid-template-columns: minmax(0, 3fr) minmax(260px, 1fr); gap: 1rem; }
    .editor svg.overlay { pointer-events: all; cursor: crosshair; }
    .editor .handle { fill: #fff; stroke: #000; stroke-width: .002; cursor: move; }
    .editor .selected { stroke: #ff1744 !important; }
    .shapes li { margin: .3rem 0; } .shapes li.selected { font-weight: 700; }
    .tools button { margin: 0 .3rem .4rem 0; }
    @media (max-width: 1000px) { .columns, .editor { grid-template-columns: 1fr; } }
    @media (max-width: 1300px) {
      body { font-size: 15px; }
      .columns { grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); }
      td.thumb img { width: 96px; height: 54px; }
      table.tickets th:nth-child(4), table.tickets td:nth-child(4) { display: none; }
    }
    @media (min-width: 1800px) { body { font-size: 18px; } td.thumb img { width: 160px; height: 90px; } }
    """#

    /// Every page: the CSRF token for scripts' requests.
    static let common = #"""
    "use strict";
    window.gw = {
      csrf: () => document.querySelector('meta[name="csrf-token"]').content,
      refreshPictures(seconds) {
        const load = () => document.querySelectorAll("img.live-picture").forEach(img => {
          fetch(img.dataset.src, { cache: "no-store", credentials: "same-origin" })
            .then(r => r.ok ? r.blob() : Promise.reject(r.status))
            .then(b => { const old = img.src; img.src = URL.createObjectURL(b); if (old.startsWith("blob:")) URL.revokeObjectURL(old); })
            .catch(() => {});
        });
        load();
        setInterval(load, seconds * 1000);
      },
    };
    """#

    /// The queue: rows fetched again on every ticket change (Server-Sent Events from the
    /// control API's hub), deadline countdowns, a sound and a banner for a new hazard.
    static let queue = #"""
    "use strict";
    (() => {
      const rows = document.getElementById("queue-rows");
      const live = document.getElementById("live");
      const mute = document.getElementById("mute");
      const alarm = document.getElementById("alarm");
      let muted = localStorage.getItem("gw-muted") === "1";
      const showMute = () => { mute.textContent = muted ? mute.dataset.unmute : mute.dataset.mute; mute.setAttribute("aria-pressed", muted); };
      showMute();
      mute.addEventListener("click", () => { muted = !muted; localStorage.setItem("gw-muted", muted ? "1" : "0"); showMute(); if (muted) alarm.hidden = true; });
      const fmt = s => { s = Math.abs(s); const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = Math.floor(s % 60);
        return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(x).padStart(2, "0"); };
      const tick = () => {
        const now = Date.now() / 1000;
        document.querySelectorAll(".countdown").forEach(el => {
          const left = Number(el.dataset.due) - now;
          el.textContent = (left >= 0 ? rows.dataset.due : rows.dataset.overdue).replace("{t}", fmt(left));
          el.classList.toggle("late", left < 0);
        });
      };
      tick(); setInterval(tick, 1000);
      const beep = () => {
        try {
          const ctx = new (window.AudioContext || window.webkitAudioContext)();
          [0, 0.35, 0.7].forEach(t => { const o = ctx.createOscillator(), g = ctx.createGain();
            o.frequency.value = 880; g.gain.value = 0.2; o.connect(g); g.connect(ctx.destination); o.start(ctx.currentTime + t); o.stop(ctx.currentTime + t + 0.2); });
        } catch (e) {}
      };
      let known = new Set([...rows.querySelectorAll("tr.ticket")].map(r => r.dataset.id));
      const reload = () => fetch("/queue/rows" + location.search, { cache: "no-store", credentials: "same-origin" })
        .then(r => r.ok ? r.text() : Promise.reject(r.status))
        .then(html => {
          rows.innerHTML = html;
          const now = [...rows.querySelectorAll("tr.ticket")];
          document.getElementById("queue-count").textContent = now.length;
          now.filter(r => !known.has(r.dataset.id)).forEach(r => {
            r.classList.add("fresh");
            if (r.dataset.category === "hazard" || r.dataset.category === "fire_smoke") {
              if (!muted) { beep(); alarm.hidden = false; }
              const link = document.getElementById("alarm-link"); link.href = "/tickets/" + r.dataset.id; link.textContent = "#" + r.dataset.id;
            }
          });
          known = new Set(now.map(r => r.dataset.id));
          tick();
        }).catch(() => {});
      alarm.addEventListener("click", () => { alarm.hidden = true; });
      // Changes come in bursts (an alert merged into an open ticket is one): one fetch a second at most.
      let pending = null;
      const soon = () => { if (!pending) pending = setTimeout(() => { pending = null; reload(); }, 1000); };
      const source = new EventSource("/v1/events");
      source.addEventListener("ticket", soon);
      source.addEventListener("reset", soon);
      source.onopen = () => { live.textContent = live.dataset.live; live.classList.remove("lost"); };
      source.onerror = () => { live.textContent = live.dataset.lost; live.classList.add("lost"); };
      document.body.dataset.ready = "1";
    })();
    """#

    /// A ticket: when it changes (someone else acts, the camera sees it again) a bar offers
    /// to reload; nothing reloads under an operator typing a note.
    static let ticket = #"""
    "use strict";
    (() => {
      const page = document.querySelector("[data-ticket]"), id = page.dataset.ticket, bar = document.getElementById("changed");
      const source = new EventSource("/v1/events");
      source.addEventListener("ticket", e => {
        try { const d = JSON.parse(e.data); if (String(d.ticket && d.ticket.id) === id) bar.hidden = false; } catch (x) {}
      });
      bar.addEventListener("click", () => location.replace("/tickets/" + id));
      document.body.dataset.ready = "1";
    })();
    """#

    /// The camera wall and a camera's page: the last analysed picture every 3 s.
    static let cameras = #"""
    "use strict";
    gw.refreshPictures(3);
    """#

    /// The zone editor: draw by clicking, drag points, save as JSON with the CSRF header.
    static let editor = #"""
    "use strict";
    (() => {
      const root = document.getElementById("editor"), svg = document.getElementById("canvas");
      const list = document.getElementById("shapes"), status = document.getElementById("editor-status");
      const cam = root.dataset.camera, NS = "http://www.w3.org/2000/svg";
      let shapes = [], selected = null, drawing = null, drag = null, counter = 1;
      gw.refreshPictures(5);
      const clamp = v => Math.min(1, Math.max(0, Math.round(v * 10000) / 10000));
      const at = e => { const r = svg.getBoundingClientRect(); return [clamp((e.clientX - r.left) / r.width), clamp((e.clientY - r.top) / r.height)]; };
      const el = (name, attrs) => { const n = document.createElementNS(NS, name); for (const k in attrs) n.setAttribute(k, attrs[k]); return n; };
      const pts = ps => ps.map(p => p.join(",")).join(" ");
      const uniqueID = kind => { let id; do { id = kind + "-" + counter++; } while (shapes.some(s => s.id === id)); return id; };
      function load(g) {
        shapes = [];
        g.zones.forEach(z => shapes.push({ kind: "zone", id: z.id, name: z.name || z.id, points: z.polygon }));
        g.tripwires.forEach(t => shapes.push({ kind: "tripwire", id: t.id, name: t.name || t.id, points: [t.a, t.b], direction: t.direction }));
        g.masks.motion.forEach(m => shapes.push({ kind: "motion", id: uniqueID("motion"), points: m }));
        g.masks.privacy.forEach(m => shapes.push({ kind: "privacy", id: uniqueID("privacy"), points: m }));
        selected = null; render();
      }
      function arrow(s) {
        const [a, b] = s.points, mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2;
        let nx = b[1] - a[1], ny = -(b[0] - a[0]); const len = Math.hypot(nx, ny) || 1; nx = nx / len * 0.05; ny = ny / len * 0.05;
        const out = [];
        if (s.direction !== "b_to_a") out.push(el("line", { x1: mx + nx, y1: my + ny, x2: mx - nx, y2: my - ny, class: "tripwire direction" }));
        if (s.direction !== "a_to_b") out.push(el("line", { x1: mx - nx, y1: my - ny, x2: mx + nx, y2: my + ny, class: "tripwire direction" }));
        return out;
      }
      function render() {
        svg.replaceChildren();
        for (const s of shapes) {
          const cls = (s.kind === "zone" ? "zone" : s.kind === "tripwire" ? "tripwire" : s.kind === "motion" ? "mask" : "privacy") + (s === selected ? " selected" : "");
          const shape = s.kind === "tripwire"
            ? el("line", { x1: s.points[0][0], y1: s.points[0][1], x2: s.points[1][0], y2: s.points[1][1], class: cls })
            : el("polygon", { points: pts(s.points), class: cls });
          shape.addEventListener("pointerdown", e => { if (!drawing) { selected = s; render(); e.stopPropagation(); } });
          svg.appendChild(shape);
          if (s.kind === "tripwire") arrow(s).forEach(a => svg.appendChild(a));
        }
        if (drawing && drawing.points.length) svg.appendChild(el("polyline", { points: pts(drawing.points), class: "zone selected", fill: "none" }));
        const handles = drawing ? drawing.points : selected ? selected.points : [];
        handles.forEach((p, i) => {
          const h = el("circle", { cx: p[0], cy: p[1], r: 0.012, class: "handle" });
          if (!drawing) h.addEventListener("pointerdown", e => { drag = { shape: selected, index: i }; svg.setPointerCapture(e.pointerId); e.stopPropagation(); });
          svg.appendChild(h);
        });
        list.replaceChildren(...shapes.map(s => {
          const li = document.createElement("li"); li.className = s === selected ? "selected" : "";
          li.dataset.kind = s.kind; li.dataset.id = s.id;
          const label = document.createElement("span"); label.textContent = root.dataset[s.kind] + " ";
          li.appendChild(label);
          if (s.kind === "zone" || s.kind === "tripwire") {
            const name = document.createElement("input"); name.type = "text"; name.value = s.name; name.title = root.dataset.name; name.className = "shape-name";
            name.addEventListener("input", () => { s.name = name.value; });
            name.addEventListener("focus", () => { if (selected !== s) { selected = s; render(); } });
            li.appendChild(name);
          }
          if (s.kind === "tripwire") {
            const flip = document.createElement("button"); flip.type = "button"; flip.textContent = root.dataset.flip + " (" + s.direction + ")";
            flip.addEventListener("click", () => { s.direction = { a_to_b: "b_to_a", b_to_a: "both", both: "a_to_b" }[s.direction]; render(); });
            li.appendChild(flip);
          }
          const del = document.createElement("button"); del.type = "button"; del.textContent = root.dataset.delete; del.className = "delete";
          del.addEventListener("click", () => { shapes = shapes.filter(x => x !== s); if (selected === s) selected = null; render(); });
          li.appendChild(del);
          return li;
        }));
      }
      function finish() {
        const d = drawing; drawing = null;
        if (d && d.points.length >= (d.kind === "tripwire" ? 2 : 3)) {
          const s = { kind: d.kind, id: uniqueID(d.kind), points: d.points, direction: "both" };
          s.name = s.id; shapes.push(s); selected = s;
        }
        render();
      }
      document.querySelectorAll("[data-tool]").forEach(b => b.addEventListener("click", () => { drawing = { kind: b.dataset.tool, points: [] }; selected = null; render(); }));
      svg.addEventListener("click", e => {
        if (!drawing) return;
        drawing.points.push(at(e));
        if (drawing.kind === "tripwire" && drawing.points.length === 2) finish(); else render();
      });
      svg.addEventListener("dblclick", e => { if (drawing) { e.preventDefault(); const d = drawing; if (d.points.length > 3) d.points.pop(); finish(); } });
      document.addEventListener("keydown", e => { if (drawing && e.key === "Enter") finish(); if (e.key === "Escape") { drawing = null; render(); } });
      svg.addEventListener("pointermove", e => { if (drag) { drag.shape.points[drag.index] = at(e); render(); } });
      svg.addEventListener("pointerup", () => { drag = null; });
      document.getElementById("save").addEventListener("click", () => {
        if (drawing) finish();
        const body = {
          zones: shapes.filter(s => s.kind === "zone").map(s => ({ id: s.id, name: s.name, polygon: s.points })),
          tripwires: shapes.filter(s => s.kind === "tripwire").map(s => ({ id: s.id, name: s.name, a: s.points[0], b: s.points[1], direction: s.direction })),
          masks: { motion: shapes.filter(s => s.kind === "motion").map(s => s.points), privacy: shapes.filter(s => s.kind === "privacy").map(s => s.points) },
        };
        status.textContent = "…";
        fetch("/v1/cameras/" + encodeURIComponent(cam) + "/geometry", {
          method: "PUT", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": gw.csrf() }, body: JSON.stringify(body),
        }).then(r => r.json().then(j => ({ ok: r.ok, j })))
          .then(({ ok, j }) => { if (ok) { load(j); status.textContent = root.dataset.saved; status.className = "saved"; } else { status.textContent = j.error.reason; status.className = "error"; } })
          .catch(e => { status.textContent = String(e); status.className = "error"; });
      });
      fetch("/v1/cameras/" + encodeURIComponent(cam) + "/geometry", { credentials: "same-origin", cache: "no-store" })
        .then(r => r.json()).then(g => { load(g); document.body.dataset.ready = "1"; });
    })();
    """#
}
