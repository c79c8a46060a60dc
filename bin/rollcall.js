#!/usr/bin/env node
// The installed command runs the compiled build (npm run build); `npm start` runs the sources with tsx.
await import('../dist/src/main.js');
