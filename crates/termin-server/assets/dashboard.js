// termin's dashboard. Every page works without this script: each action is a link or a form.
// With it: copy buttons for secrets and links; forms and links inside the dashboard load their
// answer without a full reload (the page's content is swapped, the address follows); a chosen
// CSV file fills the import box; the setup page starts in the browser's time zone.
"use strict";
(function () {
  function enhance(root) {
    root.querySelectorAll("[data-copy], [data-file-field]").forEach(function (e) { e.hidden = false; });
    // A new workspace starts in the browser's own time zone, when the list has it.
    root.querySelectorAll("select[data-detect-zone]").forEach(function (select) {
      var zone;
      try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].text === zone) { select.selectedIndex = i; return; }
      }
    });
  }

  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.innerHTML;
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.innerHTML = label; }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.textContent.trim()).then(done, function () { select(source); });
    } else {
      select(source);
    }
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-into]") || !input.files[0]) return;
    var target = document.getElementById(input.getAttribute("data-into"));
    var reader = new FileReader();
    reader.onload = function () { target.value = reader.result; };
    reader.readAsText(input.files[0]);
  });

  // The answer of a request made from the dashboard: its content replaces this page's, or,
  // when it is another kind of page (the login after logging out, a refusal), the whole page.
  function show(response) {
    return response.text().then(function (html) {
      var next = new DOMParser().parseFromString(html, "text/html");
      var fresh = next.querySelector(".dash");
      var here = document.querySelector(".dash");
      if (!fresh || !here) {
        if (response.redirected) { window.location.assign(response.url); return; }
        document.documentElement.replaceWith(document.adoptNode(next.documentElement));
        return;
      }
      here.replaceWith(document.adoptNode(fresh));
      document.title = next.title;
      if (response.url !== window.location.href) history.pushState(null, "", response.url);
      enhance(document);
      var heading = document.querySelector(".dash-main h1");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      if (!window.location.hash) window.scrollTo(0, 0);
    });
  }

  // A request's answer that is not a page (a refusal before the dashboard saw it, such as a
  // body too large or too many requests), or no answer at all, said in the page. What was sent
  // is never sent again by itself: the server may have acted on it.
  function problem(text) {
    var main = document.querySelector(".dash-main") || document.body;
    var note = document.createElement("div");
    note.className = "notice warn";
    note.setAttribute("role", "alert");
    note.textContent = text;
    main.insertBefore(note, main.firstChild);
    window.scrollTo(0, 0);
  }

  function load(url, init, fallback) {
    if (!window.fetch || !window.DOMParser) { fallback(); return; }
    init.credentials = "same-origin";
    fetch(url, init).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("text/html") === 0) return show(response);
      return response.text().then(function (body) {
        var said = body;
        try { said = JSON.parse(body).message || body; } catch (e) { /* plain text */ }
        problem("The server answered " + response.status + ": " + said);
      });
    }).catch(function () {
      problem("The request could not be completed. Check your connection, reload the page and see whether it took effect before trying again.");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.closest(".dash") || form.hasAttribute("data-reload")) return;
    event.preventDefault();
    var method = (form.getAttribute("method") || "get").toUpperCase();
    var data = new URLSearchParams(new FormData(form));
    if (method === "GET") {
      var url = form.action.split("?")[0] + "?" + data.toString();
      load(url, { method: "GET" }, function () { window.location.assign(url); });
    } else {
      load(form.action, {
        method: "POST",
        body: data,
        headers: { "Content-Type": "application/x-www-form-urlencoded" }
      }, function () { form.submit(); });  // only where fetch is missing: nothing was sent yet
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey || !link.closest(".dash")) return;
    var url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname.indexOf("/dashboard") !== 0 ||
        (url.hash && url.pathname === window.location.pathname)) return;
    event.preventDefault();
    load(url.href, { method: "GET" }, function () { window.location.assign(url.href); });
  });

  window.addEventListener("popstate", function () { window.location.reload(); });
  enhance(document);
})();
