// Live preview for the article editor: the server renders and sanitizes, so what you see is what gets published.
(function () {
  "use strict";
  var form = document.getElementById("article-form");
  var preview = document.getElementById("preview");
  if (!form || !preview) { return; }
  var source = form.querySelector("[data-preview-source]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;
  var sequence = 0;
  function refresh() {
    var mine = ++sequence;
    var body = new FormData();
    body.append("body", source.value);
    fetch(preview.dataset.previewUrl, {method: "POST", body: body, headers: {"X-CSRFToken": token.value},
      credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // Responses can arrive out of order; only the newest one is shown.
        if (data && mine === sequence) { preview.innerHTML = data.html; }
      })
      .catch(function () { /* keep the last good preview */ });
  }
  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
})();
