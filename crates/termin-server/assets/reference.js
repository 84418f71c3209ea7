// termin's API reference: search as you type, and "try it" with a token pasted into the page.
// The page works without this script (search is then a query string); the token is kept in the
// input only: never stored, never sent anywhere but this server.
"use strict";
(function () {
  var search = document.getElementById("docs-search");
  if (search) {
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      document.querySelectorAll("article.op").forEach(function (op) {
        var text = op.getAttribute("data-search") + " " + op.closest("section").querySelector("h2").textContent.toLowerCase();
        var show = words.every(function (w) { return text.indexOf(w) >= 0; });
        op.hidden = !show;
        var link = document.querySelector("[data-op-link='" + op.id + "']");
        if (link) link.hidden = !show;
      });
      document.querySelectorAll("section.ref-group").forEach(function (g) {
        var any = g.querySelector("article.op:not([hidden])");
        g.hidden = !any;
        var link = document.querySelector("[data-group-link='" + g.id + "']");
        if (link) link.hidden = !any;
      });
    });
  }
  document.querySelectorAll("[data-try-token], form[data-try]").forEach(function (e) { e.hidden = false; });
  var token = document.getElementById("try-token");
  var acting = document.getElementById("try-acting");
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-try]")) return;
    event.preventDefault();
    var result = form.querySelector(".try-result");
    var path = form.getAttribute("data-path");
    var query = [];
    form.querySelectorAll("[data-path]").forEach(function (input) {
      path = path.replace("{" + input.getAttribute("data-path") + "}", encodeURIComponent(input.value));
    });
    form.querySelectorAll("[data-query]").forEach(function (input) {
      if (input.value !== "") query.push(encodeURIComponent(input.getAttribute("data-query")) + "=" + encodeURIComponent(input.value));
    });
    var headers = {};
    if (token && token.value) headers["Authorization"] = "Bearer " + token.value.trim();
    if (acting && acting.value) headers["x-meetergo-api-user-id"] = acting.value.trim();
    var body = form.querySelector("[data-body]");
    var init = { method: form.getAttribute("data-method").toUpperCase(), headers: headers, credentials: "omit" };
    if (body) { headers["Content-Type"] = "application/json"; init.body = body.value; }
    result.textContent = "Sending…";
    fetch(path + (query.length ? "?" + query.join("&") : ""), init).then(function (response) {
      return response.text().then(function (text) {
        var shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
        result.innerHTML = "";
        var status = document.createElement("p");
        status.className = "status-line";
        status.textContent = response.status + " " + response.statusText;
        var pre = document.createElement("pre");
        pre.className = "code";
        pre.textContent = shown;
        result.appendChild(status);
        result.appendChild(pre);
      });
    }, function (error) { result.textContent = "The request failed: " + error; });
  });
})();
