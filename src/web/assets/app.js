// changedesk pages: small enhancements only; every page works without this file.
"use strict";

// The request form: as the user types, ask where the request would go and when to expect a
// first response (POST /requests/preview with the form's fields), and say it in the aside.
function livePreview(form) {
  const out = document.getElementById("preview");
  let timer = null;
  let asked = 0;
  const say = (parts) => {
    out.replaceChildren(...parts.map(([tag, text, cls]) => {
      const el = document.createElement(tag);
      el.textContent = text;
      if (cls) el.className = cls;
      return el;
    }));
  };
  const ask = async () => {
    const mine = ++asked;
    const body = new URLSearchParams(new FormData(form));
    try {
      const response = await fetch("/requests/preview", { method: "POST", body, credentials: "same-origin" });
      if (mine !== asked) return;
      const p = await response.json();
      if (!response.ok) {
        say([["p", "Choose the kind of change to see which team takes it and when to expect a first response.", "hint"]]);
        return;
      }
      let line = p.team;
      if (p.first_response_due) {
        const due = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" }).format(new Date(p.first_response_due));
        line += " · first response by " + due;
      }
      if (p.first_response_target) line += " · " + p.first_response_target;
      const parts = [["p", line, "preview-line"], ["p", "Why: " + p.reason, "hint"]];
      if (p.resolution_target) parts.push(["p", "Resolution target: " + p.resolution_target, "hint"]);
      if (p.eta) parts.push(["p", p.eta, "eta"]);
      if (p.too_soon) parts.push(["p", p.too_soon, "notice too-soon"]);
      say(parts);
    } catch (e) {
      // The preview is a convenience: the form still files the request without it.
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(ask, 250); };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  if (form.querySelector("input[name=category]:checked")) ask();
}

// The request form: the chosen category's own fields show as soon as it is chosen (without
// this, they show when the form comes back); the others stay hidden and disabled, so they
// send nothing.
function typeFields(form) {
  const sets = Array.from(form.querySelectorAll("fieldset.type-fields"));
  const show = () => {
    const chosen = form.querySelector("input[name=category]:checked");
    for (const set of sets) {
      const on = chosen !== null && set.dataset.category === chosen.value;
      set.hidden = !on;
      set.disabled = !on;
    }
  };
  for (const radio of form.querySelectorAll("input[name=category]")) radio.addEventListener("change", show);
  show();
}

// The queue's keyboard shortcuts (listed on the page): j / k the next / previous request,
// x tick it, a acknowledge it, m assign it to me, Enter open it, / the search box. Single keys,
// so they can be turned off (WCAG 2.1.4), which this browser remembers; never while typing.
function queueShortcuts(table) {
  const toggle = document.getElementById("shortcuts-on");
  const stored = () => localStorage.getItem("changedesk.shortcuts") !== "off";
  if (toggle) {
    toggle.checked = stored();
    toggle.addEventListener("change", () => localStorage.setItem("changedesk.shortcuts", toggle.checked ? "on" : "off"));
  }
  const rows = () => Array.from(table.querySelectorAll("tbody > tr"));
  let at = -1;
  const focusRow = (i) => {
    const all = rows();
    if (all.length === 0) return;
    at = Math.max(0, Math.min(all.length - 1, i));
    for (const r of all) r.classList.remove("row-focus");
    all[at].classList.add("row-focus");
    all[at].querySelector("td.title a").focus();
  };
  const current = () => rows()[at];
  const press = (selector) => { const b = current() && current().querySelector(selector); if (b) b.click(); };
  document.addEventListener("keydown", (e) => {
    if (!stored() || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest("input, select, textarea, [contenteditable]")) return;
    switch (e.key) {
      case "j": focusRow(at + 1); break;
      case "k": focusRow(at - 1); break;
      case "x": { const box = current() && current().querySelector("input[name=key]"); if (box) box.checked = !box.checked; break; }
      case "a": press("button[aria-label^='Acknowledge']"); break;
      case "m": press("button[aria-label^='Assign']"); break;
      case "/": { const q = document.getElementById("f-q"); if (q) q.focus(); break; }
      default: return;
    }
    e.preventDefault();
  });
}

// A canned reply: picking one puts its text (filled in for this request by the server) into
// the comment box, to edit before sending. Without this script, "Use" reloads the page with it.
function cannedReplies(form) {
  const box = document.getElementById("comment-body");
  const pick = form.querySelector("select");
  const use = () => {
    const text = pick.selectedOptions[0]?.dataset.text;
    if (text !== undefined && box) { box.value = text; box.focus(); }
  };
  pick.addEventListener("change", use);
  form.addEventListener("submit", (e) => { e.preventDefault(); use(); });
}

document.addEventListener("DOMContentLoaded", () => {
  const canned = document.getElementById("canned-form");
  if (canned) cannedReplies(canned);
  const form = document.getElementById("request-form");
  if (form) {
    typeFields(form);
    livePreview(form);
  }
  const everyRow = document.getElementById("select-all");
  if (everyRow) selectAll(everyRow);
  const queue = document.querySelector("table.queue");
  if (queue) queueShortcuts(queue);
  for (const input of document.querySelectorAll("input[type=file][multiple]")) dropFiles(input);
  // "Go back" on an error page: home without this script, the previous page with it (the
  // Content-Security-Policy allows no inline script, so no `javascript:` link).
  for (const back of document.querySelectorAll("a[data-back]")) {
    back.addEventListener("click", (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } });
  }
});

// The queue: the box in the heading ticks (or clears) every request on the page.
function selectAll(box) {
  box.addEventListener("change", () => {
    for (const row of document.querySelectorAll("input[name=key][form=bulk]")) row.checked = box.checked;
  });
}

// A file field: files dropped on it join those chosen, and each chosen image is previewed
// (read as a data: URL, which the Content-Security-Policy allows for images). Without the
// script the plain file input does the same job.
function dropFiles(input) {
  const field = input.closest(".field");
  const list = field.querySelector(".file-list") || field.appendChild(document.createElement("ul"));
  list.classList.add("file-list");
  const show = () => {
    list.replaceChildren();
    for (const file of input.files) {
      const item = document.createElement("li");
      if (/^image\/(png|jpeg|gif|webp)$/.test(file.type)) {
        const img = document.createElement("img");
        img.className = "thumb";
        img.alt = "";
        const reader = new FileReader();
        reader.onload = () => { img.src = reader.result; };
        reader.readAsDataURL(file);
        item.append(img);
      }
      item.append(file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)");
      list.append(item);
    }
  };
  input.addEventListener("change", show);
  field.addEventListener("dragover", (e) => { e.preventDefault(); field.classList.add("dragging"); });
  field.addEventListener("dragleave", () => field.classList.remove("dragging"));
  field.addEventListener("drop", (e) => {
    e.preventDefault();
    field.classList.remove("dragging");
    const all = new DataTransfer();
    for (const file of input.files) all.items.add(file);
    for (const file of e.dataTransfer.files) all.items.add(file);
    input.files = all.files;
    show();
  });
}
