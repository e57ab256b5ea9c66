#!/usr/bin/env node
// `npx tourniquet …`: runs the TypeScript CLI through tsx.
require('tsx/cjs');
require('./main.ts').run();
