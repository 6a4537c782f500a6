#!/usr/bin/env node
/**
 * Installs and bundles the JupyterLab test page: JupyterLab 4's notebook front
 * end (npm packages `@jupyterlab/*`, pinned exactly in this folder's
 * package.json and package-lock.json) as one static page, for
 * tests/e2e/jupyterlab.test.ts, which runs this script in its beforeAll.
 *
 *   node tests/jupyterlab/build.mjs
 *
 * 1. `npm ci` here, only when node_modules is missing or was installed from
 *    another package-lock.json (about 650 MB, most of it plotly.js and mermaid;
 *    a minute or so the first time). The root `npm ci` and `npm run notebooks`
 *    never install these packages: they are for this test alone.
 * 2. esbuild bundles src/page.js into dist/kh-lab/ (git-ignored), only when
 *    the lockfile, this script or src/ changed since the last build. The test
 *    serves that folder through the Notebook server's `extra_static_paths`,
 *    so the page is same-origin with the server's REST API and WebSockets.
 *
 * Prints one line per step and exits non-zero with the reason on failure.
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = path.join(here, "src");
const nodeModules = path.join(here, "node_modules");
const pageDir = path.join(here, "dist", "kh-lab");
const installStamp = path.join(nodeModules, ".kh-installed-from");
const buildStamp = path.join(pageDir, ".kh-built-from");

const log = (line) => console.log(`[jupyterlab page] ${line}`);

/** One hash over the contents of `files`, so a stamp says exactly what a step was made from. */
function digest(files) {
  const hash = crypto.createHash("sha256");
  for (const file of files) hash.update(`${path.relative(here, file)}\0`).update(fs.readFileSync(file));
  return hash.digest("hex");
}

const readStamp = (file) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");

function install() {
  const wanted = digest([path.join(here, "package.json"), path.join(here, "package-lock.json")]);
  if (readStamp(installStamp) === wanted) {
    log("packages: installed from this package-lock.json already");
    return;
  }
  log("packages: npm ci in tests/jupyterlab (about 650 MB; a minute or so the first time)");
  const started = Date.now();
  // --prefix: this folder is its own project, whatever npm script (the root's `npm test`) started us
  const result = spawnSync("npm", ["ci", "--prefix", here, "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit" });
  if (result.status !== 0) {
    throw new Error(`npm ci in ${here} failed (${result.error?.message ?? `exit status ${result.status}`}); see its output above`);
  }
  fs.writeFileSync(installStamp, wanted);
  log(`packages: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * esbuild plugins for what JupyterLab's own webpack build does differently:
 * - CSS `@import url('~@lumino/widgets/style/index.css')`: the `~` means "a package";
 * - SVGs referenced from CSS `url(...)` become data URLs, while SVGs imported from
 *   JavaScript (JupyterLab's icons) stay text (the `.svg` loader below);
 * - one copy of each `@lumino/*` package: jupyterlab-plotly 5 carries Lumino 1 in
 *   its own node_modules, and a real JupyterLab shares its Lumino with every
 *   extension (a widget from another copy would not attach to the notebook's).
 */
const jupyterLabResolution = {
  name: "jupyterlab-resolution",
  setup(build) {
    const again = (args, specifier, resolveDir) =>
      build.resolve(specifier, { kind: args.kind, resolveDir, importer: args.importer, pluginData: { resolved: true } });
    build.onResolve({ filter: /^~/ }, (args) => again(args, args.path.slice(1), args.resolveDir));
    build.onResolve({ filter: /^@lumino\// }, (args) => (args.pluginData?.resolved ? undefined : again(args, args.path, here)));
    build.onResolve({ filter: /\.svg$/ }, async (args) => {
      if (args.kind !== "url-token" || args.pluginData?.resolved) return undefined;
      const found = await again(args, args.path, args.resolveDir);
      return found.errors.length > 0 ? found : { path: found.path, namespace: "svg-data-url" };
    });
    build.onLoad({ filter: /.*/, namespace: "svg-data-url" }, (args) => ({ contents: fs.readFileSync(args.path), loader: "dataurl" }));
  },
};

async function bundle() {
  const sources = fs.readdirSync(sourceDir).map((name) => path.join(sourceDir, name)).sort();
  const wanted = digest([path.join(here, "package-lock.json"), fileURLToPath(import.meta.url), ...sources]);
  if (readStamp(buildStamp) === wanted) {
    log(`page: built from these sources already (${path.relative(process.cwd(), pageDir)})`);
    return;
  }
  log("page: bundling with esbuild");
  const started = Date.now();
  const esbuild = await import("esbuild");
  fs.rmSync(pageDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(sourceDir, "page.js")],
    outdir: pageDir,
    bundle: true,
    // One file, no code splitting: with splitting, esbuild gives a dynamically imported CommonJS
    // module (MathJax's, imported by @jupyterlab/mathjax-extension) only a default export, so
    // `const { mathjax } = await import(...)` finds nothing; in one file it keeps the named ones.
    // Lazily imported packages (plotly.js, mermaid, MathJax) still run only when first used.
    format: "esm",
    platform: "browser",
    target: "chrome110",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    // MathJax reads Node's `global` and `__dirname`; JupyterLab's webpack build gives them these values
    define: { "process.env.NODE_ENV": '"production"', global: "globalThis", __dirname: '"/"' },
    loader: {
      ".svg": "text",
      ".woff": "file",
      ".woff2": "file",
      ".ttf": "file",
      ".eot": "file",
      ".png": "file",
      ".gif": "file",
    },
    plugins: [jupyterLabResolution],
  });
  fs.copyFileSync(path.join(sourceDir, "index.html"), path.join(pageDir, "index.html"));
  fs.writeFileSync(buildStamp, wanted);
  log(`page: bundled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  install();
  await bundle();
} catch (error) {
  console.error(`[jupyterlab page] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
