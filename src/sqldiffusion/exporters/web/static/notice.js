// Before the page's module runs: a page opened as a file:// URL cannot load its modules or files.
"use strict";

if (location.protocol === "file:") {
  document.getElementById("error").textContent = "this page cannot run from a file:// URL: serve its folder over " +
    "HTTP, for example with python -m http.server --directory FOLDER, and open http://127.0.0.1:8000/";
  document.getElementById("status").textContent = "Stopped.";
  document.body.dataset.state = "error";
}
