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
})();
