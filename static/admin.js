// skl-cms admin: small comforts on top of screens that work without this script. The edit screen
// has its own, static/editor.js.
//  * Focus moves to the error summary when a form comes back with problems, and its links move focus
//    to the fields.
//  * On a narrow screen the admin menu folds away behind a "Meny" button, and list tables become
//    cards.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link in the summary moves focus to its field (for a group, its first input), not only the view.
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) {
        return;
      }
      const field = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
      if (field) {
        event.preventDefault();
        field.focus();
        field.scrollIntoView({ block: "center" });
      }
    });
  }

  // Every list table becomes cards on narrow screens, as the page list already does: each cell
  // names its column (the CSS shows it only below 37.5rem). Without the script the tables scroll.
  for (const table of document.querySelectorAll(".table-wrap table:not(.cards)")) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (heads.length === 0) {
      continue;
    }
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, index) => {
        if (cell.tagName === "TD" && heads[index] && !cell.hasAttribute("data-label")) {
          cell.dataset.label = heads[index];
        }
      });
    }
    table.classList.add("cards");
  }

  // The menu behind "Meny" on narrow screens (the CSS shows the button only there).
  const menu = document.getElementById("admin-menu");
  if (menu) {
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "button button--quiet menu-toggle";
    toggle.textContent = "Meny";
    toggle.setAttribute("aria-controls", "admin-menu-list");
    toggle.setAttribute("aria-expanded", "false");
    const list = menu.querySelector("ul");
    list.id = "admin-menu-list";
    const bar = document.createElement("div");
    bar.className = "wrap menu-toggle";
    toggle.className = "button button--quiet";
    bar.append(toggle);
    menu.classList.add("is-folded");
    menu.prepend(bar);
    toggle.addEventListener("click", () => {
      const open = menu.classList.toggle("is-folded") === false;
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
});
