// skl-cms edit screen: writing without knowing Markdown, on top of a form that works without this
// script. The text field stays the source: every button writes Markdown into it, as typing would,
// so Ctrl+Z undoes it.
//  * A toolbar above the text (its buttons reached with Tab, then the arrow keys): bold, italic,
//    headings, lists, link, image or document, quote, table. Ctrl+B, Ctrl+I, Ctrl+K (Cmd on a Mac).
//  * Enter continues a list, and ends it on an empty item.
//  * A link picker: search the site's pages by title, or type an address.
//  * Pasting from Word, Google Docs or a web page: the server turns the HTML into Markdown.
//  * "Skriv" and "Förhandsgranska" tabs: the preview is rendered by the server exactly as saving
//    would.
//  * The writing help follows the text as it is typed; its "rad 12" links select that line.
//  * The main button reads "Schemalägg" while the publishing time is still to come.
//  * Leaving with unsaved changes asks first; Ctrl+S saves with the main button; the address
//    suggests itself from the title.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("edit-form");
  const text = document.getElementById("body");
  if (!form || !text) {
    return;
  }
  const csrf = form.querySelector("input[name=csrf]").value;
  const mac = /Mac|iPhone|iPad/.test(navigator.platform);

  // ---- Editing the text as typing would ----

  // Puts `inserted` in place of the selection, then selects `from`..`to` within it (or puts the
  // cursor after it). execCommand keeps the browser's undo history; setRangeText is the fallback.
  function replaceSelection(inserted, from, to) {
    text.focus();
    const start = text.selectionStart;
    let done = false;
    try {
      done = document.execCommand("insertText", false, inserted);
    } catch (_) {
      done = false;
    }
    if (!done || text.value.slice(start, start + inserted.length) !== inserted) {
      text.setRangeText(inserted, start, text.selectionEnd, "end");
      text.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (from !== undefined) {
      text.setSelectionRange(start + from, start + (to === undefined ? from : to));
    }
  }

  // Bold or italic around the selection (or a word to type over); again removes it.
  function wrap(mark, placeholder) {
    const { selectionStart: start, selectionEnd: end, value } = text;
    const selected = value.slice(start, end);
    const around = value.slice(start - mark.length, start) === mark && value.slice(end, end + mark.length) === mark;
    if (around && selected !== "") {
      text.setSelectionRange(start - mark.length, end + mark.length);
      replaceSelection(selected, 0, selected.length);
      return;
    }
    // Markdown's marks must touch the words: spaces selected with them stay outside.
    const lead = selected.match(/^\s*/)[0];
    const core = selected.trim() || placeholder;
    const trail = selected.trim() === "" ? "" : selected.match(/\s*$/)[0];
    const at = lead.length + mark.length;
    replaceSelection(lead + mark + core + mark + trail, at, at + core.length);
  }

  // The whole lines the selection touches, changed by `change` (lines in, lines out).
  function changeLines(change) {
    const { value } = text;
    const start = value.lastIndexOf("\n", text.selectionStart - 1) + 1;
    let end = text.selectionEnd;
    if (end > text.selectionStart && value[end - 1] === "\n") {
      end -= 1;
    }
    end = value.indexOf("\n", end);
    if (end === -1) {
      end = value.length;
    }
    const changed = change(value.slice(start, end).split("\n")).join("\n");
    text.setSelectionRange(start, end);
    replaceSelection(changed, changed.length);
  }

  const LIST_MARK = /^(\s*)([-*+]|\d+[.)])\s+/;

  function heading(level) {
    const mark = "#".repeat(level) + " ";
    changeLines((lines) => {
      const all = lines.every((line) => line.startsWith(mark) || line.trim() === "");
      return lines.map((line) => {
        const bare = line.replace(/^#{1,6}\s+/, "");
        return all || bare.trim() === "" ? bare : mark + bare;
      });
    });
  }

  function list(numbered) {
    changeLines((lines) => {
      const marked = (line) => (numbered ? /^\s*\d+[.)]\s/ : /^\s*[-*+]\s/).test(line);
      const all = lines.every((line) => marked(line) || line.trim() === "");
      let n = 0;
      return lines.map((line) => {
        const bare = line.replace(LIST_MARK, "$1");
        if (all || bare.trim() === "") {
          return bare;
        }
        n += 1;
        return (numbered ? `${n}. ` : "- ") + bare.replace(/^#{1,6}\s+/, "");
      });
    });
  }

  function quote() {
    changeLines((lines) => {
      const all = lines.every((line) => line.startsWith(">") || line.trim() === "");
      return lines.map((line) => (all ? line.replace(/^>\s?/, "") : line.trim() === "" ? ">" : "> " + line));
    });
  }

  // A block (a table) on lines of its own, with empty lines around it.
  function block(markdown, selectFrom, selectTo) {
    const before = text.value.slice(0, text.selectionStart);
    const after = text.value.slice(text.selectionEnd);
    const gapBefore = before === "" || before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
    const gapAfter = after.startsWith("\n\n") ? "" : after.startsWith("\n") ? "\n" : "\n\n";
    replaceSelection(gapBefore + markdown + gapAfter, gapBefore.length + selectFrom, gapBefore.length + selectTo);
  }

  function table() {
    const head = "Rubrik 1";
    block(`| ${head} | Rubrik 2 |\n| --- | --- |\n| Text | Text |`, 2, 2 + head.length);
  }

  // ---- The toolbar ----

  const field = text.closest(".field");
  const toolbarTemplate = document.getElementById("toolbar-template");
  const tabsTemplate = document.getElementById("tabs-template");
  const writePanel = document.createElement("div");
  writePanel.id = "write-panel";
  text.before(writePanel);
  const toolbar = toolbarTemplate.content.firstElementChild.cloneNode(true);
  writePanel.append(toolbar, text);
  const buttons = [...toolbar.querySelectorAll("button")];
  const shortcut = mac ? "Cmd" : "Ctrl";
  for (const button of buttons) {
    const keys = button.getAttribute("aria-keyshortcuts");
    if (keys) {
      const hint = keys.replace("Control", shortcut);
      button.setAttribute("aria-keyshortcuts", keys.replace("Control", mac ? "Meta" : "Control"));
      button.title = `${button.textContent} (${hint})`;
    }
  }

  // One stop for Tab; the arrow keys, Home and End move between the buttons.
  let current = 0;
  const focusButton = (index) => {
    buttons[current].tabIndex = -1;
    current = (index + buttons.length) % buttons.length;
    buttons[current].tabIndex = 0;
    buttons[current].focus();
  };
  buttons.forEach((button, index) => {
    button.tabIndex = index === 0 ? 0 : -1;
    button.addEventListener("focus", () => {
      buttons[current].tabIndex = -1;
      current = index;
      button.tabIndex = 0;
    });
  });
  toolbar.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: buttons.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      focusButton(moves[event.key]);
    }
  });

  const actions = {
    bold: () => wrap("**", "fet text"),
    italic: () => wrap("*", "kursiv text"),
    h2: () => heading(2),
    h3: () => heading(3),
    bullets: () => list(false),
    numbers: () => list(true),
    link: () => openLinkPicker(),
    media: () => openMedia(),
    quote,
    table,
  };
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-format]");
    if (button) {
      actions[button.dataset.format]();
    }
  });

  text.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      const action = { b: "bold", i: "italic", k: "link" }[event.key.toLowerCase()];
      if (action) {
        event.preventDefault();
        actions[action]();
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey && !event.isComposing) {
      continueList(event);
    }
  });

  // Enter at the end of a list item starts the next one; on an empty item it ends the list.
  function continueList(event) {
    const { value, selectionStart: at, selectionEnd } = text;
    if (at !== selectionEnd) {
      return;
    }
    const lineStart = value.lastIndexOf("\n", at - 1) + 1;
    const line = value.slice(lineStart, at);
    const item = line.match(/^(\s*)([-*+]|\d+[.)]|>)(\s+)/);
    if (!item || /\S/.test(value.slice(at, value.indexOf("\n", at) === -1 ? value.length : value.indexOf("\n", at)))) {
      return;
    }
    event.preventDefault();
    if (line.trim() === item[2]) {
      // The empty item becomes the empty line that ends the list.
      text.setSelectionRange(lineStart, at);
      replaceSelection("\n", 1);
      return;
    }
    const number = item[2].match(/^(\d+)([.)])$/);
    const mark = number ? `${Number(number[1]) + 1}${number[2]}` : item[2];
    replaceSelection("\n" + item[1] + mark + item[3]);
  }

  // ---- Images and documents: the library's insert panel ----

  const picker = form.querySelector(".media-picker");
  function openMedia() {
    if (!picker) {
      return;
    }
    picker.open = true;
    picker.scrollIntoView({ block: "nearest" });
    const first = picker.querySelector("#insert-file, button[data-insert], a");
    (first || picker.querySelector("summary")).focus();
  }

  // Uploading from the panel: the file first, then its texts; the answer is the Markdown to put
  // where the cursor was. A problem is said in the panel, and the chosen file stays chosen.
  const uploadTemplate = document.getElementById("upload-template");
  if (picker && uploadTemplate && window.FormData) {
    const panel = uploadTemplate.content.firstElementChild.cloneNode(true);
    picker.querySelector("summary").after(panel);
    const file = panel.querySelector("#insert-file");
    const alt = panel.querySelector("#insert-alt");
    const decorative = panel.querySelector("#insert-decorative");
    const caption = panel.querySelector("#insert-caption");
    const error = panel.querySelector("#insert-error");
    const status = panel.querySelector("#insert-status");
    const send = panel.querySelector("#insert-upload-button");
    const choose = (files) => {
      if (files && files.length > 0) {
        const chosen = new DataTransfer();
        chosen.items.add(files[0]);
        file.files = chosen.files;
        alt.focus();
      }
    };
    for (const zone of [picker, text]) {
      zone.addEventListener("dragover", (event) => {
        if (event.dataTransfer && [...event.dataTransfer.types].includes("Files")) {
          event.preventDefault();
        }
      });
      zone.addEventListener("drop", (event) => {
        if (event.dataTransfer && event.dataTransfer.files.length > 0) {
          event.preventDefault();
          insertAt = [text.selectionStart, text.selectionEnd];
          picker.open = true;
          choose(event.dataTransfer.files);
        }
      });
    }
    send.addEventListener("click", async () => {
      error.hidden = true;
      status.textContent = "";
      if (file.files.length === 0) {
        error.textContent = "Välj en fil först.";
        error.hidden = false;
        file.focus();
        return;
      }
      const data = new FormData();
      data.append("csrf", csrf);
      data.append("alt_sv", alt.value);
      if (decorative.checked) {
        data.append("decorative", "on");
      }
      data.append("caption", caption.value);
      data.append("file", file.files[0]);
      send.disabled = true;
      status.textContent = "Laddar upp …";
      try {
        const response = await fetch("/admin/media/insert", { method: "POST", body: data, credentials: "same-origin" });
        const answer = await response.text();
        if (response.ok) {
          if (insertAt) {
            text.setSelectionRange(insertAt[0], insertAt[1]);
          }
          block(answer, answer.length, answer.length);
          file.value = "";
          alt.value = "";
          caption.value = "";
          decorative.checked = false;
          status.textContent = "Filen är uppladdad och infogad i texten.";
        } else {
          error.textContent = response.status === 401 ? "Du är inte inloggad längre. Spara sidan, så kan du logga in igen utan att förlora texten." : answer;
          error.hidden = false;
          status.textContent = "";
          (/alternativtext/i.test(answer) ? alt : file).focus();
        }
      } catch (_) {
        error.textContent = "Filen kunde inte skickas. Kontrollera anslutningen och försök igen; filen är kvar.";
        error.hidden = false;
      } finally {
        send.disabled = false;
      }
    });
  }
  let insertAt = null;
  text.addEventListener("blur", () => {
    insertAt = [text.selectionStart, text.selectionEnd];
  });
  for (const button of form.querySelectorAll("[data-insert]")) {
    const snippet = document.getElementById(button.dataset.insert);
    if (!snippet) {
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      if (insertAt) {
        text.setSelectionRange(insertAt[0], insertAt[1]);
      }
      block(snippet.value, snippet.value.length, snippet.value.length);
    });
  }

  // ---- The link picker ----

  const linkTemplate = document.getElementById("link-template");
  let dialog = null;
  function openLinkPicker() {
    if (!dialog) {
      dialog = linkTemplate.content.firstElementChild.cloneNode(true);
      document.body.append(dialog);
      setUpLinkPicker(dialog);
    }
    const selection = [text.selectionStart, text.selectionEnd];
    dialog.selection = selection;
    const selected = text.value.slice(selection[0], selection[1]);
    dialog.querySelector("#link-text").value = selected.trim();
    dialog.querySelector("#link-href").value = /^(https?:\/\/|\/)\S*$/.test(selected.trim()) ? selected.trim() : "";
    dialog.querySelector("#link-search").value = "";
    dialog.querySelector("#link-results").replaceChildren();
    dialog.querySelector("#link-count").textContent = "";
    dialog.querySelector("#link-error").hidden = true;
    dialog.showModal();
    dialog.querySelector(selected.trim() === "" ? "#link-text" : "#link-search").focus();
  }

  function setUpLinkPicker(dialog) {
    const search = dialog.querySelector("#link-search");
    const results = dialog.querySelector("#link-results");
    const count = dialog.querySelector("#link-count");
    const href = dialog.querySelector("#link-href");
    const label = dialog.querySelector("#link-text");
    const error = dialog.querySelector("#link-error");
    let timer = 0;
    let asked = 0;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++asked;
        try {
          const response = await fetch(`/admin/pages/find?q=${encodeURIComponent(search.value)}`, { credentials: "same-origin" });
          if (!response.ok || mine !== asked) {
            return;
          }
          const fresh = document.createElement("template");
          fresh.innerHTML = await response.text();
          results.replaceChildren(fresh.content);
          const found = results.querySelectorAll("button").length;
          count.textContent = found === 0 ? "Inga sidor hittades." : found === 1 ? "1 sida hittades." : `${found} sidor hittades.`;
        } catch (_) {
          count.textContent = "Sökningen gick inte att göra. Skriv adressen i stället.";
        }
      }, 200);
    });
    // Down from the search field into the list.
    search.addEventListener("keydown", (event) => {
      const first = results.querySelector("button");
      if (event.key === "ArrowDown" && first) {
        event.preventDefault();
        first.focus();
      }
    });
    results.addEventListener("keydown", (event) => {
      const all = [...results.querySelectorAll("button")];
      const at = all.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at < all.length - 1) {
        event.preventDefault();
        all[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (at > 0 ? all[at - 1] : search).focus();
      }
    });
    // Choosing a page inserts the link to it at once.
    results.addEventListener("click", (event) => {
      const choice = event.target.closest("button[data-href]");
      if (choice) {
        insertLink(label.value.trim() || choice.dataset.title, choice.dataset.href);
        dialog.close("chosen");
      }
    });
    dialog.addEventListener("submit", (event) => {
      if (event.submitter && event.submitter.value === "cancel") {
        return;
      }
      const address = href.value.trim();
      if (address === "") {
        event.preventDefault();
        error.hidden = false;
        href.focus();
        return;
      }
      insertLink(label.value.trim() || address, /^[a-z0-9.-]+\.[a-z]{2,}(\/\S*)?$/i.test(address) ? `https://${address}` : address);
    });
    dialog.addEventListener("close", () => {
      text.focus();
      if (dialog.returnValue !== "chosen" && dialog.returnValue !== "insert") {
        text.setSelectionRange(dialog.selection[0], dialog.selection[1]);
      }
    });
  }

  function insertLink(words, address) {
    text.focus();
    text.setSelectionRange(dialog.selection[0], dialog.selection[1]);
    // Spaces selected with the words stay outside the link.
    const selected = text.value.slice(dialog.selection[0], dialog.selection[1]);
    const lead = selected.match(/^\s*/)[0];
    const trail = selected.trim() === "" ? "" : selected.match(/\s*$/)[0];
    const label = words.replace(/([[\]])/g, "\\$1");
    const target = /[\s()]/.test(address) ? `<${address}>` : address;
    replaceSelection(`${lead}[${label}](${target})${trail}`);
  }

  // ---- Pasting from Word, Google Docs or a web page ----

  text.addEventListener("paste", async (event) => {
    const data = event.clipboardData;
    const html = data && data.getData("text/html");
    if (!html) {
      return;
    }
    event.preventDefault();
    const plain = data.getData("text/plain");
    const selection = [text.selectionStart, text.selectionEnd];
    let markdown = plain;
    try {
      const response = await fetch("/admin/pages/paste", {
        method: "POST",
        body: new URLSearchParams({ csrf, html: tidyClipboard(html) }),
        credentials: "same-origin",
      });
      if (response.ok) {
        markdown = await response.text();
      }
    } catch (_) {
      // Offline: the plain text is pasted instead.
    }
    text.setSelectionRange(selection[0], selection[1]);
    const before = text.value.slice(0, selection[0]);
    const gap = markdown.includes("\n") && before !== "" && !before.endsWith("\n\n") ? (before.endsWith("\n") ? "\n" : "\n\n") : "";
    replaceSelection(gap + markdown);
  });

  // What only a live document can tell, said in plain HTML before the server converts it: Word's
  // lists (paragraphs with a marker of their own), Google Docs' bold and italic (styles on spans,
  // and a bold element around everything that is not bold at all), tables without a head row.
  function tidyClipboard(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    for (const b of doc.querySelectorAll("b")) {
      if (/font-weight:\s*(normal|400)/i.test(b.getAttribute("style") || "")) {
        b.replaceWith(...b.childNodes);
      }
    }
    for (const span of doc.querySelectorAll("span[style]")) {
      const style = span.getAttribute("style");
      const bold = /font-weight:\s*(bold|[6-9]00)/i.test(style);
      const italic = /font-style:\s*italic/i.test(style);
      if (bold || italic) {
        let inner = [...span.childNodes];
        for (const [on, tag] of [[italic, "em"], [bold, "strong"]]) {
          if (on) {
            const element = doc.createElement(tag);
            element.append(...inner);
            inner = [element];
          }
        }
        span.replaceChildren(...inner);
      }
    }
    wordLists(doc);
    for (const table of doc.querySelectorAll("table")) {
      if (!table.querySelector("th")) {
        const first = table.querySelector("tr");
        if (first) {
          for (const cell of [...first.children]) {
            const th = doc.createElement("th");
            th.append(...cell.childNodes);
            cell.replaceWith(th);
          }
          const head = doc.createElement("thead");
          first.before(head);
          head.append(first);
        }
      }
    }
    return doc.body.innerHTML;
  }

  // Word writes a list as paragraphs, each with `mso-list: l0 level1 …` in its style and its
  // marker ("·", "1.") in a span marked `mso-list: Ignore`. They become <ul> or <ol> with <li>.
  function wordLists(doc) {
    let list = null;
    for (const p of [...doc.querySelectorAll("p")]) {
      if (!/mso-list:\s*l\d/i.test(p.getAttribute("style") || "")) {
        continue;
      }
      const marker = p.querySelector("span[style*='mso-list' i]");
      const mark = marker ? marker.textContent.trim() : "";
      if (marker) {
        marker.remove();
      }
      // A list goes on while its items follow each other.
      if (!list || p.previousElementSibling !== list) {
        list = doc.createElement(/^(\d+|[a-z]|[ivx]+)[.)]$/i.test(mark) ? "ol" : "ul");
        p.before(list);
      }
      const item = doc.createElement("li");
      item.append(...p.childNodes);
      list.append(item);
      p.remove();
    }
  }

  // ---- "Skriv" and "Förhandsgranska" ----

  const tabs = tabsTemplate.content.firstElementChild.cloneNode(true);
  const preview = document.createElement("div");
  preview.id = "preview-panel";
  preview.className = "preview-panel prose";
  preview.setAttribute("role", "tabpanel");
  preview.setAttribute("aria-labelledby", "tab-preview");
  preview.tabIndex = 0;
  preview.hidden = true;
  writePanel.setAttribute("role", "tabpanel");
  writePanel.setAttribute("aria-labelledby", "tab-write");
  writePanel.before(tabs);
  writePanel.after(preview);
  const [writeTab, previewTab] = tabs.querySelectorAll("[role=tab]");
  let previewed = null;
  async function refreshPreview() {
    const body = text.value;
    if (body === previewed) {
      return;
    }
    try {
      const response = await fetch("/admin/pages/body-preview", {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
      });
      if (response.ok) {
        const fresh = document.createElement("template");
        fresh.innerHTML = await response.text();
        // Heading ids would clash with the form's own (a heading "Title" gets id "title").
        for (const element of fresh.content.querySelectorAll("[id]")) {
          element.removeAttribute("id");
        }
        preview.replaceChildren(fresh.content);
        if (preview.childElementCount === 0) {
          preview.textContent = "Texten är tom.";
        }
        previewed = body;
      } else if (response.status === 401) {
        preview.textContent = "Du är inte inloggad längre. Spara sidan, så kan du logga in igen utan att förlora texten.";
      }
    } catch (_) {
      preview.textContent = "Förhandsgranskningen gick inte att hämta. Texten är inte påverkad.";
    }
  }
  function choose(tab) {
    const showPreview = tab === previewTab;
    writeTab.setAttribute("aria-selected", String(!showPreview));
    previewTab.setAttribute("aria-selected", String(showPreview));
    writeTab.tabIndex = showPreview ? -1 : 0;
    previewTab.tabIndex = showPreview ? 0 : -1;
    writePanel.hidden = showPreview;
    preview.hidden = !showPreview;
    if (showPreview) {
      refreshPreview();
    }
  }
  tabs.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) {
      choose(tab);
    }
  });
  tabs.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft" || event.key === "Home" || event.key === "End") {
      event.preventDefault();
      const next = document.activeElement === writeTab ? previewTab : writeTab;
      const target = event.key === "Home" ? writeTab : event.key === "End" ? previewTab : next;
      choose(target);
      target.focus();
    }
  });
  field.querySelector(".hint").textContent =
    "Skriv som i ett vanligt dokument, med tom rad mellan stycken. Knapparna gör rubriker, listor och länkar. Text från Word eller en webbsida behåller sina rubriker, listor och länkar när du klistrar in den.";

  // ---- Writing help, following the text ----

  let checked = 0;
  async function check() {
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
      // Offline or logged out: the panel keeps its last state; saving says what is wrong.
    }
  }
  let timer = 0;
  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });

  // "rad 12" in the writing help: the cursor to that line of the text.
  form.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-line]");
    if (!link) {
      return;
    }
    event.preventDefault();
    choose(writeTab);
    const line = Number(link.dataset.line);
    const lines = text.value.split("\n");
    let at = 0;
    for (let index = 0; index < line - 1 && index < lines.length; index++) {
      at += lines[index].length + 1;
    }
    const end = at + (lines[line - 1] || "").length;
    text.focus();
    text.setSelectionRange(at, end);
    const height = text.scrollHeight / Math.max(lines.length, 1);
    text.scrollTop = Math.max(0, (line - 3) * height);
  });

  // ---- "Publicera" or "Schemalägg" ----

  const save = form.querySelector("[data-save]");
  const date = form.querySelector("#publish_date");
  const time = form.querySelector("#publish_time");
  function label() {
    if (!save || !date || date.value === "") {
      if (save) {
        save.textContent = save.dataset.publishLabel;
      }
      return;
    }
    // The fields are Swedish time; this compares in the browser's own zone, which is Sweden's for
    // the organisation's editors. The server decides either way when it saves.
    const at = new Date(`${date.value}T${time && time.value ? time.value : "00:00"}`);
    save.textContent = at > new Date() ? save.dataset.scheduleLabel : save.dataset.publishLabel;
  }
  for (const input of [date, time]) {
    if (input) {
      input.addEventListener("input", label);
      input.addEventListener("change", label);
    }
  }

  // ---- Unsaved changes, Ctrl+S, the suggested address ----

  let dirty = false;
  form.addEventListener("input", () => {
    dirty = true;
  });
  form.addEventListener("submit", (event) => {
    // Preview opens in another tab and leaves this form as it is.
    if (!event.submitter || !event.submitter.hasAttribute("formtarget")) {
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
      if (save) {
        form.requestSubmit(save);
      }
    }
  });

  const title = form.querySelector("#title");
  const path = form.querySelector("#path");
  if (title && path && path.value === "") {
    const parent = form.querySelector("#parent");
    // News without a parent goes under the news list, as the server places it.
    const placeholder = () => {
      const news = form.querySelector("#kind-news:checked") && (!parent || parent.value === "");
      const english = form.querySelector("input[name=lang][value=en]:checked, input[type=hidden][name=lang][value=en]");
      const slug = suggest(title.value);
      path.placeholder = news && slug !== "" ? (english ? "news/" : "nyheter/") + slug : slug;
    };
    placeholder();
    form.addEventListener("input", placeholder);
    form.addEventListener("change", placeholder);
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
