// Admin pages: select2 (the autocomplete picker) shows its choice in a span with the role
// textbox and no name; it gets the name of the <select> it stands for ("Competence: new
// line 1", see taxonomy/admin.py), for screen readers and axe alike.
"use strict";

function nameThePickers() {
  for (const shown of document.querySelectorAll(".select2-selection__rendered[role=textbox]")) {
    const select = document.getElementById(shown.id.replace(/^select2-/, "").replace(/-container$/, ""));
    const name = select && select.getAttribute("aria-label");
    if (name && shown.getAttribute("aria-label") !== name) shown.setAttribute("aria-label", name);
  }
}

// Pickers are made after the page loads, and again for every row "Add another" adds.
new MutationObserver(nameThePickers).observe(document.documentElement, {
  childList: true,
  subtree: true,
});
