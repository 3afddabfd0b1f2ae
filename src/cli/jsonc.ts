import { Node, ParseError, ParseErrorCode, parseTree, printParseErrorCode } from 'jsonc-parser';

/**
 * Parses VS Code's settings.json dialect (comments, trailing commas) with Microsoft's
 * jsonc-parser, the parser VS Code itself uses. A byte order mark, which some Windows editors
 * put first, is skipped as VS Code skips it. Any other error throws, with the line and column an
 * editor shows for it in the file as written.
 */
export function parseJsonc(text: string): unknown {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = bom ? text.slice(1) : text;
  const found: ParseError[] = [];
  const root = parseTree(body, found, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  // A block comment left open at the end runs to the end of the file; VS Code reads the settings
  // before it, so the command line must too.
  const errors = found.filter((e) => e.error !== ParseErrorCode.UnexpectedEndOfComment);
  if (errors.length || !root) {
    const first = errors[0];
    const where = first ? ` at ${lineColumn(body, first.offset)}` : '';
    throw new SyntaxError(`${describe(first ? printParseErrorCode(first.error) : 'ValueExpected')}${where}`);
  }
  return valueOf(root);
}

/** Built as JSON.parse builds it: a key such as `__proto__` is an own property, never a prototype. */
function valueOf(node: Node): unknown {
  if (node.type === 'array') return (node.children ?? []).map(valueOf);
  if (node.type !== 'object') return node.value;
  const out: Record<string, unknown> = {};
  for (const prop of node.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (!key || !value) continue;
    Object.defineProperty(out, String(key.value), { value: valueOf(value), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** 1-based, as an editor's status bar shows it (the byte order mark takes no column). */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${offset - start + 1}`;
}

/** "CloseBraceExpected" → "close brace expected". */
function describe(code: string): string {
  const words = code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
