'use strict';
// bench/nft-trace.js - the @vercel/nft anchor of bench/run.sh: traces the three
// handlers of bench/work/node-svc in one process, as ANCHORS.md measured it
// (conditions node + module-sync, which Node 20.19+ uses; without module-sync
// nft misses files of `users` and that bundle fails). Trace only: no zip.
// Usage: node bench/nft-trace.js [--list]   (--list prints the traced files)
const path = require('path');
const work = path.join(__dirname, 'work');
const { nodeFileTrace } = require(path.join(work, 'tools', 'node_modules', '@vercel', 'nft'));

const base = path.join(work, 'node-svc');
const handlers = ['users', 'report', 'ping'].map((n) => path.join(base, 'src', n + '.js'));

nodeFileTrace(handlers, { base, conditions: ['node', 'module-sync'] }).then(({ fileList, warnings }) => {
  if (process.argv.includes('--list')) {
    for (const f of [...fileList].sort()) console.log(f);
  } else {
    console.log(`nft: ${fileList.size} files, ${warnings.size} warnings`);
  }
}, (e) => { console.error(e); process.exit(1); });
