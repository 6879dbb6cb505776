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
})();
