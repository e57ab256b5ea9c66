#!/usr/bin/env node
// `npx tourniquet …`: the CLI compiled and bundled into one file (`npm run build`, run by
// `npm install`), so a command starts without transpiling or resolving hundreds of modules. A
// checkout that was never built runs the TypeScript through tsx instead.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'cli', 'tourniquet.js');
if (existsSync(built)) {
  require(built).run();
} else {
  require('tsx/cjs');
  require('./main.ts').run();
}
