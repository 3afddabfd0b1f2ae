import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

/**
 * The house style for the errors users read: names (databases, containers, services, volumes,
 * stacks, images, files) in double quotes, and a sentence that ends with a full stop. Reading
 * the source rather than calling each constructor covers the ~200 places that build one; the
 * rule is deliberately narrow (an interpolated expression that reads as a name, a literal end)
 * so that what it flags is a real slip and not a matter of taste.
 */

const ROOT = resolve(__dirname, '../../../..');
const FOLDERS = ['src/core', 'src/cli', 'src/extension'];

/** `stack.db.name`, `opts.volume`, `spec.image`, `fileName`, `basename(file)`: values that are names. */
const NAME_LIKE = /^(?:[A-Za-z_$][\w$]*\.)*[\w$]*(?:name|Name|container|service|database|volume|stack|image)$|^basename\(/;

/**
 * Errors whose text is a fragment by design: crypto errors read "wrong passphrase or key" after
 * a prefix, PostgreSQL and TLS errors are causes that a Lifeboat error words, and plain `Error`s
 * never reach a user on their own.
 */
const FRAGMENTS = new Set(['Error', 'SyntaxError', 'PgSslError', 'PgServerError', 'UnsupportedScriptError', 'IncompleteScriptError']);

interface Problem {
  where: string;
  what: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The message argument: a crypto error takes its code first. */
function messageArg(node: ts.NewExpression): ts.Expression | undefined {
  const ctor = node.expression.getText();
  return node.arguments?.[ctor === 'CryptoError' ? 1 : 0];
}

/** Template literals that make up the message, through `a ? b : c` and `a + b`. */
function templates(e: ts.Expression): (ts.TemplateExpression | ts.NoSubstitutionTemplateLiteral | ts.StringLiteral)[] {
  if (ts.isParenthesizedExpression(e)) return templates(e.expression);
  if (ts.isConditionalExpression(e)) return [...templates(e.whenTrue), ...templates(e.whenFalse)];
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return [...templates(e.left), ...templates(e.right)];
  if (ts.isTemplateExpression(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isStringLiteral(e)) return [e];
  return [];
}

function unquotedNames(t: ts.TemplateExpression): string[] {
  const out: string[] = [];
  let before = t.head.text;
  for (const span of t.templateSpans) {
    const expr = span.expression.getText();
    const after = span.literal.text;
    if (NAME_LIKE.test(expr) && !(before.endsWith('"') && after.startsWith('"'))) out.push(`\${${expr}}`);
    before = after;
  }
  return out;
}

/** The literal text each way of building the message ends with; '' where it ends in an interpolated cause. */
function endings(e: ts.Expression): string[] {
  if (ts.isParenthesizedExpression(e)) return endings(e.expression);
  if (ts.isConditionalExpression(e)) return [...endings(e.whenTrue), ...endings(e.whenFalse)];
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return endings(e.right);
  if (ts.isTemplateExpression(e)) return [e.templateSpans.at(-1)!.literal.text];
  if (ts.isNoSubstitutionTemplateLiteral(e) || ts.isStringLiteral(e)) return [e.text];
  return [];
}

/** A message that ends in its own words (not in an interpolated cause) ends with a full stop. */
function missingFullStop(e: ts.Expression): boolean {
  return endings(e).some((end) => end !== '' && !/[.!?]$/.test(end));
}

function messageProblems(fileName: string, text: string): Problem[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const problems: Problem[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isNewExpression(node) && /Error$/.test(node.expression.getText()) && !FRAGMENTS.has(node.expression.getText())) {
      const arg = messageArg(node);
      const where = `${fileName}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
      for (const t of arg ? templates(arg) : []) {
        if (ts.isTemplateExpression(t)) for (const name of unquotedNames(t)) problems.push({ where, what: `unquoted name ${name}` });
      }
      if (arg && node.expression.getText() !== 'CryptoError' && missingFullStop(arg))
        problems.push({ where, what: 'no full stop at the end' });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

describe('message style: what errors say', () => {
  it('the check itself flags an unquoted name and a missing full stop, and passes the house style', () => {
    const flagged = messageProblems(
      'sample.ts',
      [
        'new LifeboatError(`The volume ${opts.volume} is gone.`);',
        'new SettingsError(`Cannot read ${basename(file)}.`);',
        "new LifeboatError('Nothing was changed');",
        'new CryptoError("bad-key", `${fileName} holds no key`);',
      ].join('\n'),
    );
    assert.deepEqual(
      flagged.map((p) => `${p.where} ${p.what}`),
      [
        'sample.ts:1 unquoted name ${opts.volume}',
        'sample.ts:2 unquoted name ${basename(file)}',
        'sample.ts:3 no full stop at the end',
        'sample.ts:4 unquoted name ${fileName}',
      ],
    );
    const clean = messageProblems(
      'sample.ts',
      [
        'new LifeboatError(`The volume "${opts.volume}" is gone.`);',
        'new LifeboatError(`Restoring ${quote(volume)} failed: ${(err as Error).message}`);',
        'new LifeboatError(`The disk holding ${path} is full (${code}).`);',
        'new CryptoError("wrong-key", "wrong passphrase or key");',
        'new Error(`${name} ended early`);',
      ].join('\n'),
    );
    assert.deepEqual(clean, []);
  });

  it('every error message in src/core, src/cli and src/extension quotes names and ends with a full stop', () => {
    const problems = FOLDERS.flatMap((folder) =>
      tsFiles(join(ROOT, folder)).flatMap((file) => messageProblems(relative(ROOT, file), readFileSync(file, 'utf8'))),
    );
    assert.ok(tsFiles(join(ROOT, 'src/core')).length > 100, 'the scan reads the sources');
    assert.deepEqual(
      problems.map((p) => `${p.where}: ${p.what}`),
      [],
    );
  });
});
