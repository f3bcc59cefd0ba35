// Lets the built book's widgets render with no network. Loaded (via nb_ipywidgets_js in
// _config.yml) after require.js and before embed-amd.js, on pages that hold widget state.
(function () {
  // _static/ as an absolute URL, so the mappings below work on pages in any subfolder.
  var staticDir = new URL(".", document.currentScript.src).href;
  window.require.config({
    paths: {
      // The anywidget front end (model_module "anywidget"): our vendored copy, not a CDN.
      anywidget: staticDir + "anywidget/index",
      // embed-amd.js takes its font URLs from these module ids; without a mapping they
      // resolve against the page's folder and 404. Point them at the vendored fonts.
      "@jupyter-widgets/html-manager/dist": staticDir + "html-manager",
      "@jupyter-widgets/html-manager": staticDir + "html-manager/html-manager",
    },
  });
  // embed-amd.js falls back to <cdn><module>@<version>/dist/index.js for any module it
  // cannot find; set the "CDN" to a local folder so a miss is a local 404, never a request
  // to another host. Set here, at run time, because a static relative value would be
  // resolved against the page's folder (wrong on pages in subfolders).
  document.currentScript.setAttribute("data-jupyter-widgets-cdn", staticDir + "npm/");
  // ipywidgets 8 typesets widget labels with MathJax 2's MathJax.Hub.Queue; the book loads
  // MathJax 3, which has no Hub (TypeError per label). Map the one call onto MathJax 3.
  // MathJax is loaded with `defer`, so it exists by DOMContentLoaded.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || !mj.startup || mj.Hub) return; // no MathJax 3, or a real MathJax 2
    mj.Hub = {
      // Called as Queue(["Typeset", MathJax.Hub, element]): typeset that element.
      Queue: function (cmd) {
        var el = cmd && cmd[2];
        mj.startup.promise.then(function () {
          return mj.typesetPromise(el ? [el] : undefined);
        });
      },
    };
  });
})();
