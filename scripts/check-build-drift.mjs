#!/usr/bin/env node
// The three native builds compile the same sources with the same defines and
// warnings: native/sources.json and native/flags.txt are the one list.
// native/CMakeLists.txt reads them, binding.gyp reads them through
// native/sources.mjs, and BUILD.bazel loads bazel/sources.bzl, which this
// script generates from them (Bazel cannot read JSON at load time).
//
//   node scripts/check-build-drift.mjs           fail (exit 1) on any drift
//   node scripts/check-build-drift.mjs --write   regenerate bazel/sources.bzl, then check
//
// Checked: bazel/sources.bzl is what the lists make; BUILD.bazel, binding.gyp
// and CMakeLists.txt use every list (by name: a pasted copy would drift); every C/C++
// file in the native source directories is in a list (a new file is built by
// all three or the check fails); every listed file exists.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { flags, repoRoot, targets } from '../native/sources.mjs';

const bzlPath = 'bazel/sources.bzl';
const read = (p) => readFileSync(join(repoRoot, p), 'utf8');
const constName = (target, what) => `${target.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${what}`;

function starlarkList(name, items) {
  return `${name} = [\n${items.map((i) => `    ${JSON.stringify(i)},\n`).join('')}]\n`;
}

/** bazel/sources.bzl: each target's own sources and defines, and the warnings. */
export function generateBzl() {
  const parts = [
    '# Generated from native/sources.json and native/flags.txt by\n' +
      '# `node scripts/check-build-drift.mjs --write`: edit those, then run it.\n' +
      '# `node scripts/check-build-drift.mjs` (CI) fails when this file is stale.\n',
    '# native/flags.txt: every target, every build.\n' + starlarkList('WARNINGS', flags()),
  ];
  for (const [name, t] of Object.entries(targets())) {
    let text = `# ${name}${t.uses ? ` (uses ${t.uses.join(', ')}: deps in BUILD.bazel)` : ''}\n`;
    text += starlarkList(constName(name, 'SRCS'), t.sources);
    text += starlarkList(constName(name, 'DEFINES'), t.defines ?? []);
    parts.push(text);
  }
  return parts.join('\n');
}

const problems = [];
const all = targets();

// bazel/sources.bzl is up to date.
const bzl = generateBzl();
if (process.argv.includes('--write')) {
  writeFileSync(join(repoRoot, bzlPath), bzl);
  console.log(`wrote ${bzlPath}`);
} else if (!existsSync(join(repoRoot, bzlPath)) || read(bzlPath) !== bzl) {
  problems.push(`${bzlPath} is stale: run \`node scripts/check-build-drift.mjs --write\``);
}

// Each build uses each list (by name, so that a pasted copy shows up here).
// The targets that are programs run in the sandbox, start or fork often: static.
const staticTargets = ['wrapper', 'launch', 'spawn'];
const uses = {
  'BUILD.bazel': ['WARNINGS', ...Object.keys(all).flatMap((n) => [constName(n, 'SRCS'), constName(n, 'DEFINES')])],
  'native/CMakeLists.txt': [
    'flags.txt EG_WARNINGS',
    ...Object.keys(all).flatMap((n) => {
      const N = n.toUpperCase();
      return [`eg_sources(EG_${N}_SOURCES ${n})`, `eg_list(EG_${N}_DEFINES ${n} defines)`];
    }),
  ],
  // The static programs (musl) are actions there: native/build-static.mjs TARGET.
  'binding.gyp': [
    'native/sources.mjs flags',
    'native/sources.mjs addon sources',
    'native/sources.mjs addon defines',
    ...staticTargets.map((n) => `native/sources.mjs ${n} sources`),
    ...staticTargets.map((n) => `'native/build-static.mjs', '${n}'`),
  ],
  'native/build-static.mjs': ['compiledSources(name)', 'target(name).defines', 'flags()'],
};
for (const [file, needles] of Object.entries(uses)) {
  // Comments do not count.
  const text = read(file)
    .split('\n')
    .filter((l) => !/^\s*(#|\/\/)/.test(l))
    .join('\n');
  for (const n of needles) if (!text.includes(n)) problems.push(`${file} does not use ${n}`);
}

// Every listed file exists; every C/C++ file beside them is listed.
const listed = new Set(Object.values(all).flatMap((t) => t.sources));
for (const s of listed) if (!existsSync(join(repoRoot, s))) problems.push(`native/sources.json: ${s} does not exist`);
for (const dir of new Set([...listed].map((s) => posix.dirname(s)))) {
  for (const f of readdirSync(join(repoRoot, dir))) {
    if (/\.(c|cc|cpp)$/.test(f) && !listed.has(`${dir}/${f}`)) {
      problems.push(`${dir}/${f} is in no list of native/sources.json: add it, or the builds leave it out`);
    }
  }
}

if (problems.length > 0) {
  console.error(`check-build-drift: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('check-build-drift: CMake, node-gyp and Bazel build the same sources with the same defines and flags');
