/* {{ tenant.name|escapejs }} chat widget: paste <script src="{{ base|escapejs }}/c/{{ tenant.slug|escapejs }}/widget.js" async></script> into your site. */
(function () {
  if (window.__helpdeskChatWidget) return;
  window.__helpdeskChatWidget = true;
  var base = "{{ base|escapejs }}", slug = "{{ tenant.slug|escapejs }}", color = "{{ tenant.primary_color|escapejs }}";
  // Its words come translated from the server, in the tenant's language (helpdesk/i18n.py): no catalogue to load
  // on a third-party page. The chat it opens is asked for in the same language.
  var lang = "{{ LANGUAGE_CODE|escapejs }}";
  var label = "{{ label|escapejs }}";
  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.textContent = "{{ button|escapejs }}";
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:999px;" +
    "padding:12px 20px;font:600 15px system-ui,sans-serif;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2);background:" + color;
  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = base + "/c/" + slug + "/?embed=1" + "&lang=" + encodeURIComponent(lang);
      frame.title = label;
      frame.style.cssText = "position:fixed;right:20px;bottom:80px;width:370px;height:560px;max-height:80vh;max-width:92vw;" +
        "border:1px solid #e5e7eb;border-radius:12px;z-index:2147483000;background:#fff;box-shadow:0 8px 30px rgba(0,0,0,.2)";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
  });
  if (document.body) document.body.appendChild(button);
  else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(button); });
})();
