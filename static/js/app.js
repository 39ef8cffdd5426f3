// Autosave on the rating page: each change of a competence posts through htmx (see
// assessment_rate.html). This adds what htmx cannot say by itself, without inline script:
// - the page's own name and count of its saves (`client`, `seq`), so the server keeps the
//   latest of this page's overlapping saves whatever the clocks of other devices say;
// - a visible "Saving…" / "Not saved" state; the choice itself stays on screen;
// - when the session ended, the choices made since are kept in this tab's session
//   storage, and after signing in again the page offers to save them.
"use strict";

const client = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) =>
  b.toString(16).padStart(2, "0"),
).join("");
let lastSeq = 0;
const unsavedKey = `gapwise-unsaved:${location.pathname}`;

function statusFor(elt) {
  const fieldset = elt.closest("[data-autosave]");
  return fieldset ? fieldset.querySelector(".save-status") : null;
}

function show(status, text, state) {
  status.textContent = text;
  status.classList.remove("saved", "saving", "failed");
  status.classList.add(state);
}

function unsaved() {
  try {
    return JSON.parse(sessionStorage.getItem(unsavedKey)) || {};
  } catch {
    return {};
  }
}

function keepUnsaved(fieldset) {
  if (!(fieldset instanceof HTMLFieldSetElement)) return; // a confirm button: press it again
  const kept = unsaved();
  kept[fieldset.id] = Array.from(fieldset.elements, (control) =>
    control.type === "radio" ? [control.name, control.value, control.checked] : [control.name, control.value],
  );
  sessionStorage.setItem(unsavedKey, JSON.stringify(kept));
}

function forgetUnsaved(fieldset) {
  const kept = unsaved();
  if (!(fieldset.id in kept)) return;
  delete kept[fieldset.id];
  if (Object.keys(kept).length) sessionStorage.setItem(unsavedKey, JSON.stringify(kept));
  else sessionStorage.removeItem(unsavedKey);
}

function signedOut(status, fieldset) {
  keepUnsaved(fieldset);
  const link = document.createElement("a");
  const here = location.pathname + location.search;
  link.href = `${document.body.dataset.loginUrl}?next=${encodeURIComponent(here)}`;
  link.textContent = "sign in again";
  show(status, "Not saved: you were signed out — ", "failed");
  status.append(link);
}

// What triggers an autosave (hx-trigger="autosave" on each competence): a click or tap
// saves at once; arrow keys, which move through the levels one by one, save the level the
// person settles on; evidence saves as it is typed, once typing pauses.
const ARROW_SETTLE_MS = 700;
const TYPING_SETTLE_MS = 800;
const pending = new Map();
let arrowAt = 0;

function save(fieldset, delay) {
  clearTimeout(pending.get(fieldset));
  pending.delete(fieldset);
  if (!delay) {
    htmx.trigger(fieldset, "autosave");
    return;
  }
  show(fieldset.querySelector(".save-status"), "Saving…", "saving");
  pending.set(
    fieldset,
    setTimeout(() => save(fieldset, 0), delay),
  );
}

document.addEventListener("keydown", (event) => {
  if (event.key.startsWith("Arrow") && event.target.type === "radio") arrowAt = event.timeStamp;
});

document.addEventListener("change", (event) => {
  const fieldset = event.target.closest("fieldset[data-autosave]");
  if (!fieldset) return;
  const byArrow = event.target.type === "radio" && event.timeStamp - arrowAt < 100;
  save(fieldset, byArrow ? ARROW_SETTLE_MS : 0);
});

document.addEventListener("input", (event) => {
  const fieldset = event.target.closest("fieldset[data-autosave]");
  if (fieldset && event.target.type === "text") save(fieldset, TYPING_SETTLE_MS);
});

// Leaving the page (a link, the step navigator, a plain form button) sends what is still
// waiting to settle.
function flush() {
  for (const fieldset of [...pending.keys()]) save(fieldset, 0);
}
document.addEventListener("click", (event) => {
  if (event.target.closest("a[href], button[type=submit]")) flush();
});
addEventListener("pagehide", flush);

document.addEventListener("htmx:configRequest", (event) => {
  if (!event.detail.elt.closest("[data-autosave]")) return;
  lastSeq += 1;
  event.detail.parameters.client = client;
  event.detail.parameters.seq = String(lastSeq);
});

document.addEventListener("htmx:beforeRequest", (event) => {
  const status = statusFor(event.detail.elt);
  if (status) show(status, "Saving…", "saving");
});

document.addEventListener("htmx:afterRequest", (event) => {
  const fieldset = event.detail.elt.closest("[data-autosave]");
  if (fieldset && event.detail.successful) forgetUnsaved(fieldset);
});

document.addEventListener("htmx:responseError", (event) => {
  const status = statusFor(event.detail.elt);
  if (!status) return;
  const xhr = event.detail.xhr;
  if (xhr.status === 401) {
    signedOut(status, event.detail.elt.closest("[data-autosave]"));
    return;
  }
  const plain = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
  const reason = plain ? xhr.responseText.slice(0, 200) : `the server answered ${xhr.status}`;
  show(status, `Not saved: ${reason}`, "failed");
});

document.addEventListener("htmx:sendError", (event) => {
  const status = statusFor(event.detail.elt);
  if (status) show(status, "Not saved: no connection. Change it again, or use Save ratings.", "failed");
});

// Back on the page after signing in again: put the unsaved choices back on screen and
// offer to save them.
document.addEventListener("DOMContentLoaded", () => {
  const notice = document.getElementById("unsaved-notice");
  if (!notice) return;
  const fieldsets = [];
  for (const [id, controls] of Object.entries(unsaved())) {
    const fieldset = document.getElementById(id);
    if (!fieldset || !fieldset.matches("[data-autosave]")) continue;
    for (const [name, value, checked] of controls) {
      for (const control of fieldset.elements) {
        if (control.name !== name) continue;
        if (control.type === "radio") {
          if (control.value === value) control.checked = checked;
        } else {
          control.value = value;
        }
      }
    }
    show(fieldset.querySelector(".save-status"), "Not saved yet", "failed");
    fieldsets.push(fieldset);
  }
  if (!fieldsets.length) return;
  notice.querySelector("[data-count]").textContent =
    fieldsets.length === 1 ? "1 choice" : `${fieldsets.length} choices`;
  notice.hidden = false;
  notice.querySelector("button").addEventListener("click", () => {
    for (const fieldset of fieldsets) save(fieldset, 0);
    notice.hidden = true;
  });
});

// The team report's tables sort, filter and page through links htmx swaps in place. The
// swap replaces the link or button used: focus goes back to the control in its place, and
// a live region says what changed, as a page load would.
const FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";
let refocus = null;

function controlKey(control) {
  return `${control.tagName} ${control.getAttribute("name") || ""} ${control.textContent.trim()}`;
}

document.addEventListener("htmx:beforeSwap", (event) => {
  const section = event.detail.target;
  const active = document.activeElement;
  // Only the sections that swap themselves in (hx-boost): an autosave swaps nothing.
  if (!section.id || !section.hasAttribute("hx-boost") || !section.contains(active)) return;
  const controls = [...section.querySelectorAll(FOCUSABLE)];
  refocus = { id: section.id, key: controlKey(active), index: controls.indexOf(active) };
});

document.addEventListener("htmx:afterSettle", () => {
  if (!refocus) return;
  const section = document.getElementById(refocus.id);
  const controls = section ? [...section.querySelectorAll(FOCUSABLE)] : [];
  // The same control (a sort link keeps its text), else the one in its place.
  const control =
    controls.find((c) => controlKey(c) === refocus.key) ||
    controls[Math.min(refocus.index, controls.length - 1)];
  if (control) control.focus();
  const status = document.getElementById("swap-status");
  if (section && status) {
    const heading = section.querySelector("h2, h3");
    const sorted = section.querySelector("th.asc, th.desc");
    let text = `${heading ? heading.textContent.trim().replace(/\s+/g, " ") : "Table"} updated`;
    if (sorted) {
      const order = sorted.classList.contains("asc") ? "ascending" : "descending";
      text += `, sorted by ${sorted.textContent.trim()} ${order}`;
    }
    status.textContent = `${text}.`;
  }
  refocus = null;
});
