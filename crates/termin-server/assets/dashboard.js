// termin's dashboard: copy buttons for secrets and links. Every page works without this
// script; it only saves selecting and copying by hand.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  var text = source.textContent.trim();
  var done = function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(done, function () { select(source); });
  } else {
    select(source);
  }
});
function select(node) {
  var range = document.createRange();
  range.selectNodeContents(node);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
// A new workspace starts in the browser's own time zone, when the list has it.
document.querySelectorAll("select[data-detect-zone]").forEach(function (select) {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].text === zone) { select.selectedIndex = i; return; }
  }
});
// A CSV file chosen on the import page is read into its text box (nothing is uploaded).
document.querySelectorAll("[data-file-field]").forEach(function (f) { f.hidden = false; });
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-into]") || !input.files[0]) return;
  var target = document.getElementById(input.getAttribute("data-into"));
  var reader = new FileReader();
  reader.onload = function () { target.value = reader.result; };
  reader.readAsText(input.files[0]);
});
