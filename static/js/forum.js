// Forum: small progressive enhancements; every action also works without this file.
(function () {
  "use strict";

  // Vote without reloading the page: the same form POST, answered with JSON.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("vote-form") || !window.fetch) return;
    var button = event.submitter;
    if (!button) return;
    event.preventDefault();
    var data = new FormData(form);
    data.set("value", button.value);
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrf_token") },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      form.removeAttribute("aria-busy");
      if (!result.ok) { announce(form, result.body.error || "Your vote could not be saved."); return; }
      var score = result.body.score;
      form.querySelector(".score-value").textContent = score > 0 ? "+" + score : String(score);
      var up = form.querySelector(".vote-button.up");
      var down = form.querySelector(".vote-button.down");
      var vote = result.body.vote;
      if (up) { up.setAttribute("aria-pressed", vote === "up"); up.value = vote === "up" ? "none" : "up"; }
      if (down) { down.setAttribute("aria-pressed", vote === "down"); down.value = vote === "down" ? "none" : "down"; }
    }).catch(function () {
      form.removeAttribute("aria-busy");
      form.submit();  // fall back to the plain form post
    });
  });

  function announce(form, message) {
    var note = form.querySelector(".vote-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "vote-error error";
      note.setAttribute("role", "alert");
      form.appendChild(note);
    }
    note.textContent = message;
  }

  // Similar questions while asking: a debounced lookup as the title changes,
  // listed under the field in a polite live region. Text only; never innerHTML.
  // Once a list has been shown for the title as it stands, the form's "reviewed"
  // marker is set, so the server does not ask again with its review step; any
  // change to the title clears it until the new title's list is shown.
  (function similarQuestions() {
    var title = document.getElementById("title");
    if (!title || !title.form || !window.fetch || title.form.getAttribute("action") !== "/ask") return;
    var reviewed = title.form.elements.namedItem("reviewed");
    var region = document.createElement("div");
    region.className = "similar-questions";
    region.id = "similar-questions";
    region.setAttribute("aria-live", "polite");
    title.parentNode.appendChild(region);
    var timer = null;
    var lastAsked = "";
    title.addEventListener("input", function () {
      if (reviewed) reviewed.value = "";
      clearTimeout(timer);
      timer = setTimeout(lookUp, 400);
    });
    // A title kept from an earlier submit (e.g. a field error): show its list again,
    // unless the server's review step already lists them on this page.
    if (title.value.trim() && !document.getElementById("ask-review")) lookUp();
    function lookUp() {
      var text = title.value.trim();
      if (text === lastAsked) return;
      lastAsked = text;
      if (text.length < 8) { show([]); return; }
      fetch("/search/similar?title=" + encodeURIComponent(text), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.json() : { questions: [] };
      }).then(function (body) {
        if (text === lastAsked) show(body.questions || []);
      }).catch(function () { show([]); });
    }
    function show(questions) {
      region.textContent = "";
      if (!questions.length) return;
      var heading = document.createElement("p");
      heading.className = "help";
      heading.textContent = "Questions that may already answer yours:";
      var list = document.createElement("ul");
      questions.forEach(function (q) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = q.url;
        link.textContent = q.title;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" (" + q.answers + (q.answers === 1 ? " answer)" : " answers)")));
        list.appendChild(item);
      });
      region.appendChild(heading);
      region.appendChild(list);
      if (reviewed) reviewed.value = "1";
    }
  })();

  // The theme toggle: the header's "Light or dark" link (a settings page without
  // script) becomes a button that switches at once and remembers the choice in the
  // cookie the server reads. The button always offers the theme not shown now.
  (function themeToggle() {
    var link = document.querySelector("a.theme-toggle");
    if (!link) return;
    var root = document.documentElement;
    var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button theme-toggle";
    function shown() { return root.getAttribute("data-theme") || (system && system.matches ? "dark" : "light"); }
    function relabel() { button.textContent = shown() === "dark" ? "Light theme" : "Dark theme"; }
    relabel();
    if (system && system.addEventListener) system.addEventListener("change", relabel);
    button.addEventListener("click", function () {
      var choice = shown() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", choice);
      document.cookie = "theme=" + choice + "; path=/; max-age=31536000; samesite=lax" +
        (location.protocol === "https:" ? "; secure" : "");
      relabel();
    });
    link.parentNode.replaceChild(button, link);
  })();

  // The Markdown editor, around the "body" textarea of every form marked data-editor="<kind>":
  // a formatting toolbar (Ctrl/Cmd+B, I and K too), a live preview rendered by the server
  // through the very function a saved post uses, and a draft kept in sessionStorage (never
  // localStorage: on a shared computer a draft must not outlive the tab). Without this
  // script the form is a plain textarea with a "Preview" button.
  var DRAFT_PREFIX = "forum-draft:";
  // Longer than any post may be: not sent, so a huge paste never stalls the page.
  var PREVIEW_CAP = 200000;

  function draftStore() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function readDraft(store, key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }

  function draftKey(form, textarea) {
    return DRAFT_PREFIX + new URL(form.action, location.href).pathname + ":" + textarea.name;
  }

  // A draft whose form was sent: when the form comes back holding the same text, the
  // server refused it (keep the draft); otherwise it was posted (forget the draft).
  (function settleSentDrafts() {
    var store = draftStore();
    if (!store) return;
    var shown = {};
    Array.prototype.forEach.call(document.querySelectorAll("form[data-editor]"), function (form) {
      var textarea = form.elements.namedItem("body");
      if (textarea && textarea.tagName === "TEXTAREA") shown[draftKey(form, textarea)] = textarea.value;
    });
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (!key || key.indexOf(DRAFT_PREFIX) !== 0) continue;
      var draft = readDraft(store, key);
      if (!draft || !draft.sent) continue;
      if (shown.hasOwnProperty(key) && shown[key] === draft.text) {
        store.setItem(key, JSON.stringify({ text: draft.text }));
      } else {
        store.removeItem(key);
      }
    }
  })();

  Array.prototype.forEach.call(document.querySelectorAll("form[data-editor]"), function (form) {
    var textarea = form.elements.namedItem("body");
    if (!textarea || textarea.tagName !== "TEXTAREA") return;
    var kind = form.getAttribute("data-editor");
    var field = textarea.closest(".field") || textarea;
    var actions = [
      { name: "Bold", keys: "b", apply: function (s) { return wrap(s, "**", "**", "bold text"); } },
      { name: "Italic", keys: "i", apply: function (s) { return wrap(s, "*", "*", "italic text"); } },
      { name: "Link", keys: "k", apply: link },
      { name: "Quote", apply: function (s) { return prefixLines(s, "> "); } },
      { name: "List", apply: function (s) { return prefixLines(s, "- "); } },
      { name: "Code", apply: code }
    ];

    var toolbar = document.createElement("div");
    toolbar.className = "editor-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Formatting");
    toolbar.setAttribute("aria-controls", textarea.id);
    actions.forEach(function (action, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "editor-button";
      button.textContent = action.name;
      button.tabIndex = index === 0 ? 0 : -1;
      if (action.keys) {
        button.setAttribute("aria-keyshortcuts", "Control+" + action.keys.toUpperCase() + " Meta+" + action.keys.toUpperCase());
        button.title = action.name + " (Ctrl+" + action.keys.toUpperCase() + ")";
      }
      button.addEventListener("click", function () { format(action); });
      toolbar.appendChild(button);
    });
    // One tab stop for the toolbar; arrows move between its buttons.
    toolbar.addEventListener("keydown", function (event) {
      var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button"));
      var at = buttons.indexOf(document.activeElement);
      var to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
      if (at < 0 || to === undefined) return;
      event.preventDefault();
      to = (to + buttons.length) % buttons.length;
      buttons[at].tabIndex = -1;
      buttons[to].tabIndex = 0;
      buttons[to].focus();
    });
    textarea.parentNode.insertBefore(toolbar, textarea);

    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      var key = event.key.toLowerCase();
      for (var i = 0; i < actions.length; i++) {
        if (actions[i].keys === key) { event.preventDefault(); format(actions[i]); return; }
      }
    });

    function format(action) {
      var result = action.apply({
        text: textarea.value, start: textarea.selectionStart, end: textarea.selectionEnd
      });
      textarea.focus();
      textarea.setSelectionRange(result.from, result.to);
      // insertText keeps the browser's undo history; setRangeText is the fallback.
      var inserted = false;
      try { inserted = document.execCommand("insertText", false, result.insert); } catch (e) { inserted = false; }
      if (!inserted || textarea.value.slice(result.from, result.from + result.insert.length) !== result.insert) {
        textarea.setRangeText(result.insert, result.from, result.to, "end");
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
      textarea.setSelectionRange(result.from + result.select[0], result.from + result.select[1]);
    }

    // Each action returns what to put in place of [from, to) and what to select inside it.
    function wrap(s, before, after, placeholder) {
      var chosen = s.text.slice(s.start, s.end) || placeholder;
      return { from: s.start, to: s.end, insert: before + chosen + after,
               select: [before.length, before.length + chosen.length] };
    }
    function link(s) {
      var chosen = s.text.slice(s.start, s.end) || "link text";
      var insert = "[" + chosen + "](https://)";
      return { from: s.start, to: s.end, insert: insert, select: [chosen.length + 3, insert.length - 1] };
    }
    function code(s) {
      var chosen = s.text.slice(s.start, s.end);
      if (chosen.indexOf("\n") < 0) return wrap(s, "`", "`", "code");
      var atLineStart = s.start === 0 || s.text.charAt(s.start - 1) === "\n";
      var before = (atLineStart ? "" : "\n") + "```\n";
      return { from: s.start, to: s.end, insert: before + chosen + "\n```\n",
               select: [before.length, before.length + chosen.length] };
    }
    function prefixLines(s, mark) {
      var from = s.text.lastIndexOf("\n", s.start - 1) + 1;
      var chosen = s.text.slice(from, s.end);
      var insert = chosen.split("\n").map(function (line) { return mark + line; }).join("\n");
      return { from: from, to: s.end, insert: insert, select: [insert.length, insert.length] };
    }

    // The live preview: debounced, rendered by the server, shown in a polite live region
    // (the Preview button's panel when the page has one). Hides that button: no longer needed.
    var region = document.getElementById(textarea.id + "-preview");
    if (!region) {
      var panel = document.createElement("div");
      panel.className = "editor-preview-panel";
      var label = document.createElement("p");
      label.className = "editor-preview-heading";
      label.id = textarea.id + "-preview-heading";
      label.textContent = "Preview";
      region = document.createElement("div");
      region.className = "post-body editor-preview";
      region.id = textarea.id + "-preview";
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-labelledby", label.id);
      panel.appendChild(label);
      panel.appendChild(region);
      field.parentNode.insertBefore(panel, field.nextSibling);
    }
    Array.prototype.forEach.call(form.querySelectorAll("button[name=preview]"), function (button) {
      button.hidden = true;
    });
    var token = form.elements.namedItem("csrf_token");
    var timer = null;
    var asked = 0;
    var lastText = null;
    function say(message, isError) {
      region.textContent = "";
      var note = document.createElement("p");
      note.className = isError ? "error" : "help";
      note.textContent = message;
      region.appendChild(note);
    }
    function refresh() {
      var text = textarea.value;
      if (text === lastText) return;
      lastText = text;
      var ticket = ++asked;
      if (!text.trim()) { say("Nothing to preview yet.", false); return; }
      if (text.length > PREVIEW_CAP) {
        say("This is " + text.length.toLocaleString() + " characters, far longer than a post may be, so it is not previewed.", true);
        return;
      }
      if (!window.fetch || !token) return;
      region.setAttribute("aria-busy", "true");
      var data = new URLSearchParams();
      data.set("csrf_token", token.value);
      data.set("kind", kind);
      data.set("body", text);
      fetch("/preview", {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token.value }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      }).then(function (result) {
        if (ticket !== asked) return;
        region.removeAttribute("aria-busy");
        if (result.ok && typeof result.body.html === "string") {
          if (result.body.html) { region.innerHTML = result.body.html; } else { say("Nothing to preview yet.", false); }
        } else {
          lastText = null;  // try again on the next change
          say(result.body.error || (result.status === 413 ? "This is too long to preview."
            : "The preview is not available just now; your text is safe here."), true);
        }
      }).catch(function () {
        if (ticket !== asked) return;
        region.removeAttribute("aria-busy");
        lastText = null;
        say("The preview is not available just now; your text is safe here.", true);
      });
    }

    // The draft: saved as you type, offered back after a reload, forgotten once posted.
    var store = draftStore();
    var key = draftKey(form, textarea);
    var notice = null;
    function saveDraft() {
      if (!store) return;
      try {
        if (textarea.value.trim() && textarea.value !== textarea.defaultValue) {
          store.setItem(key, JSON.stringify({ text: textarea.value }));
        } else {
          store.removeItem(key);
        }
      } catch (e) { /* storage full or refused: the draft is simply not kept */ }
    }
    function dropNotice() {
      if (notice) { notice.parentNode.removeChild(notice); notice = null; }
    }
    var kept = store && readDraft(store, key);
    if (kept && typeof kept.text === "string" && kept.text !== textarea.value) {
      var original = textarea.value;
      textarea.value = kept.text;
      notice = document.createElement("div");
      notice.className = "notice draft-notice";
      notice.setAttribute("role", "status");
      var words = document.createElement("span");
      words.textContent = "Your unsent draft was restored. ";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "link-button";
      discard.textContent = "Discard draft";
      discard.addEventListener("click", function () {
        store.removeItem(key);
        textarea.value = original;
        dropNotice();
        refresh();
        textarea.focus();
      });
      notice.appendChild(words);
      notice.appendChild(discard);
      field.parentNode.insertBefore(notice, field);
    }
    form.addEventListener("submit", function () {
      if (!store) return;
      var draft = readDraft(store, key);
      if (draft) store.setItem(key, JSON.stringify({ text: draft.text, sent: true }));
    });

    textarea.addEventListener("input", function () {
      saveDraft();
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    // The Preview button's panel already shows the text the server sent back.
    if (region.hasChildNodes() && !notice) lastText = textarea.value;
    refresh();
  });
})();
