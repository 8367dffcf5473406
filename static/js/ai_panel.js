// Suggested reply: "Insert" copies the text into the reply box and records the feedback; when the agent sends a
// changed text, the edit is recorded instead ("edited"), so the learning loop sees what agents really send.
(function () {
  const panel = document.getElementById("ai-suggestion");
  const insert = document.getElementById("ai-insert");
  const body = document.getElementById("id_body");
  if (!panel || !insert || !body) return;
  const csrf = panel.querySelector("input[name=csrfmiddlewaretoken]").value;
  const original = document.getElementById("ai-suggestion-text").textContent.trim();
  let inserted = false;
  function record(verdict, text) {
    const data = new URLSearchParams({ verdict: verdict, text: text || "" });
    return fetch(panel.dataset.feedback, {
      method: "POST", body: data, keepalive: true,
      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" },
    });
  }
  insert.addEventListener("click", function () {
    body.value = original;
    body.focus();
    inserted = true;
  });
  const form = document.getElementById("reply-form");
  if (form) {
    form.addEventListener("submit", function () {
      if (!inserted) return;
      const sent = body.value.trim();
      record(sent === original ? "inserted" : "edited", sent);
    });
  }
})();
