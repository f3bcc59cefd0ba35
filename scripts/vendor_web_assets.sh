#!/usr/bin/env bash
# Rebuild site/vendor/ (the web assets the built book serves itself, so that no page
# needs another host) from the npm registry, and write site/vendor/MANIFEST.json.
#
#   scripts/vendor_web_assets.sh           # npm pack the pinned versions, copy, write the manifest
#   scripts/vendor_web_assets.sh --check   # no npm: verify the committed files against the manifest
#
# `make book` never runs this: the files are committed. See SITE_RECIPE.md for why each is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=site/vendor
PY=${PYTHON:-python3}

# One place for the pinned versions (change here, rerun, commit site/vendor).
MATHJAX=mathjax@3.2.2
REQUIREJS=requirejs@2.3.8
HTMLMANAGER=@jupyter-widgets/html-manager@1.0.15
ANYWIDGET=anywidget@0.11.0

# The manifest logic, shared by both modes: hash every vendored file, or compare with the hashes.
manifest() {  # $1 = write | check ; $2 = npm pack --json output, $3 = unpacked tarballs (write)
  "$PY" - "$1" "$VENDOR" "${2:-}" "${3:-}" <<'PYEOF'
import hashlib, json, pathlib, sys
mode, vendor, packjson, unpacked = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4]
man_path = vendor / "MANIFEST.json"
def sha(p): return hashlib.sha256(p.read_bytes()).hexdigest()
# which vendored folder holds which npm package, and its licence (as the package declares it)
PKGS = {"mathjax": "mathjax", "requirejs": "requirejs",
        "html-manager": "@jupyter-widgets/html-manager", "anywidget": "anywidget"}
if mode == "write":
    packed = {p["name"]: p for p in json.loads(packjson)}   # integrity of each tarball
    declared = {}                                              # package.json of each tarball
    for pj in pathlib.Path(unpacked).glob("*/package/package.json"):
        meta = json.loads(pj.read_text()); declared[meta["name"]] = meta
    out = {"about": "Web assets served from _static/ so the built book loads nothing from "
                    "another host. Rebuild: scripts/vendor_web_assets.sh; verify: --check.",
           "packages": []}
    for folder, name in PKGS.items():
        meta = packed[name]
        files = sorted(p for p in (vendor / folder).rglob("*") if p.is_file())
        out["packages"].append({
            "package": name, "version": meta["version"], "license": declared[name]["license"],
            "npm_integrity": meta["integrity"], "folder": folder,
            "files": [{"path": p.relative_to(vendor).as_posix(), "bytes": p.stat().st_size,
                       "sha256": sha(p)} for p in files]})
    man_path.write_text(json.dumps(out, indent=1) + "\n")
    n = sum(len(p["files"]) for p in out["packages"])
    size = sum(f["bytes"] for p in out["packages"] for f in p["files"])
    print(f"wrote {man_path}: {n} files, {size:,} bytes")
else:
    man = json.loads(man_path.read_text())
    listed, bad = set(), []
    for pkg in man["packages"]:
        for f in pkg["files"]:
            p = vendor / f["path"]; listed.add(p)
            if not p.is_file(): bad.append(f"missing: {p}")
            elif sha(p) != f["sha256"]: bad.append(f"changed (sha256 differs): {p}")
    extra = [p for p in vendor.rglob("*") if p.is_file() and p != man_path and p not in listed]
    bad += [f"not in the manifest: {p}" for p in extra]
    if bad:
        print("site/vendor does not match MANIFEST.json:\n  " + "\n  ".join(bad)); sys.exit(1)
    print(f"site/vendor matches MANIFEST.json ({len(listed)} files)")
PYEOF
}

if [[ "${1:-}" == "--check" ]]; then manifest check; exit; fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# npm pack downloads the exact published tarballs (no install scripts run); --json gives the integrity
packjson=$(cd "$tmp" && npm pack --json --silent $MATHJAX $REQUIREJS $HTMLMANAGER $ANYWIDGET 2>/dev/null)
for t in "$tmp"/*.tgz; do mkdir -p "${t%.tgz}" && tar xzf "$t" -C "${t%.tgz}"; done
mj=$tmp/mathjax-3.2.2/package; rq=$tmp/requirejs-2.3.8/package
hm=$tmp/jupyter-widgets-html-manager-1.0.15/package; aw=$tmp/anywidget-0.11.0/package

rm -rf "$VENDOR"/{mathjax,requirejs,html-manager,anywidget}
mkdir -p "$VENDOR"/{mathjax/output/chtml/fonts/woff-v2,requirejs,html-manager,anywidget}
# MathJax: the -full bundle (the plain one autoloads TeX extensions it cannot find: pitfall 3)
cp "$mj/es5/tex-chtml-full.js" "$mj/LICENSE" "$VENDOR/mathjax/"
cp "$mj"/es5/output/chtml/fonts/woff-v2/*.woff "$VENDOR/mathjax/output/chtml/fonts/woff-v2/"
cp "$rq/require.js" "$VENDOR/requirejs/"
# embed-amd.js bundles the core widgets; Chromium only needs the woff2 copies of its fonts
cp "$hm/dist/embed-amd.js" "$hm"/dist/*.woff2 "$hm/dist/embed.js.LICENSE.txt" "$VENDOR/html-manager/"
cp "$aw/dist/index.js" "$aw/LICENSE" "$VENDOR/anywidget/"

# Two packages ship no LICENSE file; write the licence they declare (package.json / file header).
cat > "$VENDOR/requirejs/LICENSE" <<'LIC'
RequireJS 2.3.8, from the npm package requirejs@2.3.8, whose package.json declares "MIT" and
whose require.js header reads: "Copyright jQuery Foundation and other contributors.
Released under MIT license, https://github.com/requirejs/requirejs/blob/master/LICENSE".

MIT License

Copyright jQuery Foundation and other contributors, https://jquery.org/

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
LIC
cat > "$VENDOR/html-manager/LICENSE" <<'LIC'
@jupyter-widgets/html-manager 1.0.15, from the npm package of that name, whose package.json
declares "BSD-3-Clause" (the licence of the ipywidgets repository it is built from). The
licences of the third-party code bundled into embed-amd.js are in embed.js.LICENSE.txt.

Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are
permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of
   conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice, this list of
   conditions and the following disclaimer in the documentation and/or other materials
   provided with the distribution.

3. Neither the name of the copyright holder nor the names of its contributors may be used
   to endorse or promote products derived from this software without specific prior
   written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS
OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE
COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL,
EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE
GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND
ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING
NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED
OF THE POSSIBILITY OF SUCH DAMAGE.
LIC

manifest write "$packjson" "$tmp"
manifest check
