// skl-cms admin: small comforts on top of forms that work without this script.
//  * Focus moves to the error summary when a form comes back with problems, and its links move focus
//    to the fields.
//  * Leaving a page with unsaved changes in the edit form asks first.
//  * Ctrl+S (Cmd+S) saves the edit form with its main button.
//  * The address field suggests a path from the title while it is empty.
//  * A live preview of the body appears below it, refreshed a moment after typing stops.
//  * "Infoga" beside a file of the library puts its snippet into the text where the cursor is.
//  * The writing help (readability, accessibility, broken links) follows the text as it is typed, and
//    its "rad 12" links put the cursor on that line of the text.
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

  const form = document.getElementById("edit-form");
  if (!form) {
    return;
  }

  let dirty = false;
  form.addEventListener("input", () => {
    dirty = true;
  });

  const text = document.getElementById("body");
  for (const button of form.querySelectorAll("[data-insert]")) {
    const snippet = document.getElementById(button.dataset.insert);
    if (!text || !snippet) {
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      const start = text.selectionStart;
      const before = text.value.slice(0, start);
      const gap = before === "" || before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
      const inserted = gap + snippet.value + "\n\n";
      text.setRangeText(inserted, start, text.selectionEnd, "end");
      text.dispatchEvent(new Event("input", { bubbles: true }));
      text.focus();
    });
  }
  form.addEventListener("submit", (event) => {
    // Preview opens in another tab and leaves this form as it is.
    const submitter = event.submitter;
    if (!submitter || !submitter.hasAttribute("formtarget")) {
      dirty = false;
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      const save = form.querySelector("[data-save]");
      if (save) {
        form.requestSubmit(save);
      }
    }
  });

  // Live preview: the body as it will look, below the text field, a moment after typing stops. The
  // server renders and sanitises it exactly as it will when the page is saved.
  const body = form.querySelector("#body");
  if (body && window.fetch) {
    const panel = document.createElement("section");
    panel.className = "live-preview";
    panel.setAttribute("aria-labelledby", "live-preview-heading");
    const heading = document.createElement("h2");
    heading.id = "live-preview-heading";
    heading.textContent = "Så här ser texten ut";
    const content = document.createElement("div");
    content.className = "prose";
    panel.append(heading, content);
    body.closest(".field").after(panel);
    let timer = 0;
    let latest = 0;
    const refresh = async () => {
      const asked = ++latest;
      try {
        const response = await fetch("/admin/pages/body-preview", {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
        });
        if (response.ok && asked === latest) {
          content.innerHTML = await response.text();
          // Heading ids would clash with the form's own (a heading "Title" gets id "title").
          for (const element of content.querySelectorAll("[id]")) {
            element.removeAttribute("id");
          }
        }
      } catch (_) {
        // Offline or logged out: the preview keeps its last state; saving says what is wrong.
      }
    };
    // The writing help below the text, checked by the server against the same rules as at saving.
    let checked = 0;
    const check = async () => {
      const asked = ++checked;
      try {
        const response = await fetch("/admin/pages/writing-help", {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
        });
        const help = document.getElementById("writing-help");
        if (response.ok && asked === checked && help) {
          const fresh = document.createElement("template");
          fresh.innerHTML = await response.text();
          const section = fresh.content.getElementById("writing-help");
          if (section) {
            help.replaceWith(section);
          }
        }
      } catch (_) {
        // As for the preview: the panel keeps its last state.
      }
    };
    body.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        refresh();
        check();
      }, 400);
    });
    if (body.value.trim() !== "") {
      refresh();
    }
  }

  // "rad 12" in the writing help: the cursor to the start of that line of the text.
  form.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-line]");
    if (!link || !body) {
      return;
    }
    event.preventDefault();
    const line = Number(link.dataset.line);
    const lines = body.value.split("\n");
    let at = 0;
    for (let index = 0; index < line - 1 && index < lines.length; index++) {
      at += lines[index].length + 1;
    }
    const end = at + (lines[line - 1] || "").length;
    body.focus();
    body.setSelectionRange(at, end);
    // Roughly scroll the line into view within the text field.
    const height = body.scrollHeight / Math.max(lines.length, 1);
    body.scrollTop = Math.max(0, (line - 3) * height);
  });

  const title = form.querySelector("#title");
  const path = form.querySelector("#path");
  if (title && path && path.value === "") {
    const parent = form.querySelector("#parent");
    path.placeholder = suggest(title.value);
    title.addEventListener("input", () => {
      path.placeholder = suggest(title.value);
    });
    if (parent) {
      parent.addEventListener("change", () => {
        path.placeholder = suggest(title.value);
      });
    }
  }

  // The same rule as PagePath::suggest on the server, so the placeholder shows what will be saved
  // (apart from the parent's path, which the server adds).
  function suggest(text) {
    return text
      .toLowerCase()
      .replace(/[åäàáâãæ]/g, "a")
      .replace(/[öøòóôõ]/g, "o")
      .replace(/[éèêë]/g, "e")
      .replace(/[üùúû]/g, "u")
      .replace(/[íìîï]/g, "i")
      .replace(/ç/g, "c")
      .replace(/ñ/g, "n")
      .replace(/ß/g, "s")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80)
      .replace(/-+$/g, "");
  }
});
