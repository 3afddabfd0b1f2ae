// Loaded with `node -r ./stubVscode.js`: answers require('vscode') with a stand-in that accepts
// every call activate() makes and records the commands it registers, so the packaged
// extension.js can be activated by plain Node. Written as plain JavaScript because it is copied
// into a temporary folder beside the unpacked package and run from there.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, run by plain Node */
const Module = require('node:module');

const registered = [];
// Any property is another stand-in; calling or constructing one gives a stand-in too.
// What the extension assigns (an item's text, a view's message) reads back as assigned.
function anything() {
  const fn = function () {};
  const assigned = new Map();
  return new Proxy(fn, {
    get: (t, key) =>
      assigned.has(key) ? assigned.get(key) : key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : anything(),
    set: (t, key, value) => (assigned.set(key, value), true),
    apply: () => anything(),
    construct: () => anything(),
  });
}
class Disposable {
  constructor(fn) {
    this.fn = fn;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose() {
    if (this.fn) this.fn();
  }
}
class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (l) => {
      this.listeners.push(l);
      return new Disposable();
    };
  }
  fire(e) {
    this.listeners.forEach((l) => l(e));
  }
  dispose() {
    this.listeners = [];
  }
}
class TreeItem {
  constructor(label, state) {
    this.label = label;
    this.collapsibleState = state;
  }
}
class ThemeIcon {
  constructor(id, color) {
    this.id = id;
    this.color = color;
  }
}
class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}
class MarkdownString {
  constructor(v = '') {
    this.value = v;
  }
  appendMarkdown(s) {
    this.value += s;
    return this;
  }
  appendText(s) {
    this.value += s;
    return this;
  }
}
class RelativePattern {
  constructor(base, pattern) {
    this.base = base;
    this.pattern = pattern;
  }
}
const event = () => new Disposable();

// The bundle copies the module's own properties (esbuild's __toESM): every namespace the
// extension uses must be an own property here, not only reachable through a Proxy.
const vscode = new Proxy(
  {
    window: anything(),
    env: anything(),
    languages: anything(),
    extensions: anything(),
    Uri: anything(),
    l10n: anything(),
    Disposable,
    EventEmitter,
    TreeItem,
    ThemeIcon,
    ThemeColor,
    MarkdownString,
    RelativePattern,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    commands: new Proxy(
      {
        registerCommand: (id) => {
          registered.push(id);
          return new Disposable();
        },
      },
      { get: (t, k) => (k in t ? t[k] : anything()) },
    ),
    workspace: new Proxy(
      {
        workspaceFolders: undefined,
        onDidChangeConfiguration: event,
        onDidChangeWorkspaceFolders: event,
        getConfiguration: () => ({ get: (_k, d) => d, has: () => false, inspect: () => undefined, update: async () => undefined }),
      },
      { get: (t, k) => (k in t ? t[k] : anything()) },
    ),
  },
  { get: (t, k) => (k in t ? t[k] : anything()) },
);

const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? vscode : load.call(this, request, ...rest);
};
globalThis.__lifeboatRegistered = registered;
