// termin's booking page, improved by script. Without it every step is a link or a form post, so
// nothing here is needed: it shows times in the visitor's own zone at once, and changes days
// and months without reloading the page.
(function () {
  "use strict";
  var root = document.getElementById("booking");
  if (!root) return;
  var url = new URL(location.href);
  if (!url.searchParams.get("tz")) {
    try {
      var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (tz && tz !== root.getAttribute("data-tz")) {
        url.searchParams.set("tz", tz);
        location.replace(url.toString());
        return;
      }
    } catch (e) { /* an old browser: the host's zone stays, and the list changes it */ }
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "tz" && e.target.form) e.target.form.submit();
  });
  root.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[data-swap]") : null;
    if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    var pick = document.getElementById("pick");
    pick.setAttribute("aria-busy", "true");
    fetch(a.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("pick");
        if (!fresh) { location.href = a.href; return; }
        pick.replaceWith(fresh);
        history.pushState(null, "", a.href);
        var target = fresh.querySelector(a.getAttribute("data-swap"));
        if (target) target.focus();
      })
      .catch(function () { location.href = a.href; });
  });
  window.addEventListener("popstate", function () { location.reload(); });
})();
