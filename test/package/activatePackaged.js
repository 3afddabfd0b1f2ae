// node -r ./stubVscode.js activatePackaged.js <extension folder>: loads the packaged
// dist/extension.js, calls activate(), prints what it registered as JSON and disposes it all.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, run by plain Node */
const path = require('node:path');
const ext = require(path.join(process.argv[2], 'dist', 'extension.js'));
const subscriptions = [];
const context = new Proxy(
  {
    subscriptions,
    extensionPath: process.argv[2],
    secrets: {
      get: async () => undefined,
      store: async () => undefined,
      delete: async () => undefined,
      onDidChange: () => ({ dispose() {} }),
    },
  },
  { get: (t, k) => (k in t ? t[k] : undefined) },
);
const api = ext.activate(context);
const result = { commands: globalThis.__lifeboatRegistered, api: Object.keys(api ?? {}).sort(), subscriptions: subscriptions.length };
for (const d of subscriptions) d?.dispose?.();
if (typeof ext.deactivate === 'function') ext.deactivate();
process.stdout.write(JSON.stringify(result));
