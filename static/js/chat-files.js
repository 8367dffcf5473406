// Attachment links and the files staged for the next message: shared by the customer's chat page and the console.
window.ChatFiles = (function () {
  "use strict";

  // <ul class="files"> of download links; ``href(file)`` says where each one points for this reader.
  function links(files, href) {
    var ul = document.createElement("ul");
    ul.className = "files";
    files.forEach(function (f) {
      var li = document.createElement("li"), a = document.createElement("a"), size = document.createElement("span");
      a.href = href(f); a.className = "attachment"; a.textContent = f.filename; a.setAttribute("download", f.filename);
      size.className = "size";
      size.textContent = " " + interpolate(gettext("(%s KB)"), [Math.max(1, Math.round(f.size / 1024)).toLocaleString(document.documentElement.lang)]);
      li.appendChild(a); li.appendChild(size); ul.appendChild(li);
    });
    return ul;
  }

  // Uploaded files waiting for the next message ([{id, filename, size}]), shown in ``list``, each removable.
  function staged(list) {
    var files = [];
    function render() {
      list.innerHTML = "";
      files.forEach(function (f, i) {
        var li = document.createElement("li"), x = document.createElement("button");
        li.textContent = f.filename;
        x.type = "button"; x.textContent = "×"; x.setAttribute("aria-label", interpolate(gettext("Remove %s"), [f.filename]));
        x.addEventListener("click", function () { files.splice(i, 1); render(); });
        li.appendChild(x); list.appendChild(li);
      });
    }
    return {
      files: function () { return files.slice(); },
      add: function (f) { files.push(f); render(); },
      clear: function () { files = []; render(); },
    };
  }

  return { links: links, staged: staged };
})();
