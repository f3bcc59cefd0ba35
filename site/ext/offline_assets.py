"""Sphinx extension: keep built pages from loading anything from another host.

Listed in _config.yml under ``sphinx: local_extensions``. Two fixes, at page-render time:

1. matplotlib's ``Animation.to_jshtml()`` hard-codes a Font Awesome 4.4 stylesheet from a
   CDN into the cell output. The page does not need it: the theme's own Font Awesome 6
   turns the animation buttons' ``<i class="fa ...">`` icons into SVGs. Remove the link.
2. With jupyter-book 1.0.4 some scripts (sphinx-thebe's inline config, the togglebutton
   selector) are registered twice; the second copy of ``const THEBE_JS_URL`` is a page
   error on every page. Drop duplicate script entries.
"""

import re

# The <link> that to_jshtml writes (matplotlib/_animation_data.py), any Font Awesome version.
_FA_CDN_LINK = re.compile(
    r'<link rel="stylesheet"\s+href="https?://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*"\s*/?>'
)


def _script_key(js):
    # Duplicates differ only in filename (None vs ''), so compare normalised fields;
    # inline scripts carry their code in the "body" attribute.
    return (js.filename or "", tuple(sorted((k, str(v)) for k, v in js.attributes.items())))


def _page_context(app, pagename, templatename, context, doctree):
    if "body" in context:  # pages built from documents (not genindex/search)
        context["body"] = _FA_CDN_LINK.sub("", context["body"])
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for js in scripts:
            key = _script_key(js)
            if key not in seen:
                seen.add(key)
                unique.append(js)
        context["script_files"] = unique  # a new list: the original is shared between pages


def setup(app):
    app.connect("html-page-context", _page_context)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
