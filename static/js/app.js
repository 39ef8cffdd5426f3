// Autosave on the rating page: each change of a competence posts through htmx (see
// assessment_rate.html). This adds what htmx cannot say by itself, without inline script:
// a sequence number so the server keeps the latest of overlapping saves, and a visible
// "Saving…" / "Not saved" state. The choice itself stays on screen whatever happens.
"use strict";

let lastSeq = 0;

function statusFor(elt) {
  const fieldset = elt.closest("[data-autosave]");
  return fieldset ? fieldset.querySelector(".save-status") : null;
}

function show(status, text, state) {
  status.textContent = text;
  status.classList.remove("saved", "saving", "failed");
  status.classList.add(state);
}

document.addEventListener("htmx:configRequest", (event) => {
  if (!event.detail.elt.closest("[data-autosave]")) return;
  lastSeq = Math.max(Date.now(), lastSeq + 1);
  event.detail.parameters.seq = String(lastSeq);
});

document.addEventListener("htmx:beforeRequest", (event) => {
  const status = statusFor(event.detail.elt);
  if (status) show(status, "Saving…", "saving");
});

document.addEventListener("htmx:responseError", (event) => {
  const status = statusFor(event.detail.elt);
  if (!status) return;
  const xhr = event.detail.xhr;
  const plain = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
  const reason = plain ? xhr.responseText.slice(0, 200) : `the server answered ${xhr.status}`;
  show(status, `Not saved: ${reason}`, "failed");
});

document.addEventListener("htmx:sendError", (event) => {
  const status = statusFor(event.detail.elt);
  if (status) show(status, "Not saved: no connection. Change it again, or use Save ratings.", "failed");
});
