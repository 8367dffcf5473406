// Import job page: polls the job's status every second and reloads the page once the job has finished (or stalled),
// so the report is the server's own rendering of it (one template, not a second copy in JavaScript).
(function () {
  "use strict";
  var root = document.getElementById("import-job");
  if (!root || root.dataset.finished) { return; }
  var status = document.getElementById("import-status");
  var count = document.getElementById("import-count");
  var bar = document.getElementById("import-progress");
  function poll() {
    fetch(root.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        // Signed out or no longer an admin: polling again will not change that.
        if (response.status >= 400 && response.status < 500) { return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) {
        if (!job) { return; }
        if (job.finished || job.stalled) { window.location.reload(); return; }
        status.textContent = job.status_label;
        if (job.files_total) {
          count.textContent = interpolate(ngettext("%(done)s of %(total)s file", "%(done)s of %(total)s files", job.files_total),
                                          {done: job.files_done, total: job.files_total}, true);
          bar.max = job.files_total;
          bar.value = job.files_done;
        }
        setTimeout(poll, 1000);
      })
      // A restart or a network blip: keep watching, less often.
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
