/**
 * Strict JSON reading with positions, for files users edit by hand (JSON configs, the secret
 * store). `JSON.parse` keeps the last of two equal keys without a word and its error messages
 * quote the file's text (which may hold a secret); jsonc-parser's scanner reports an error code
 * and an offset instead, so messages here hold a reason, a line and a column, never file text.
 *
 * The value itself still comes from `JSON.parse` once the text is known to be valid: it is the
 * reference reader, and it keeps a `"__proto__"` key as a plain property.
 */
import { Node, parseTree, ParseError, printParseErrorCode } from 'jsonc-parser';

export interface JsonPosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units (what editors show for ASCII lines). */
  readonly column: number;
}

export interface JsonProblem extends JsonPosition {
  /** What is wrong, in words; never quotes the text. */
  readonly reason: string;
  /** For a duplicate key: where the key is (object keys and list indices). */
  readonly path?: readonly (string | number)[];
  /** For a duplicate key: where it appeared first. */
  readonly first?: JsonPosition;
}

export type StrictJsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problems: readonly JsonProblem[] };

const REASONS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the key',
  CommaExpected: 'expected "," or a closing bracket',
  CloseBraceExpected: 'expected "," or "}"',
  CloseBracketExpected: 'expected "," or "]"',
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string (a missing closing quote, or a line break inside a string)',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'invalid escape after "\\"',
  InvalidCharacter: 'control character inside a string (write it as an escape such as \\n or \\t)',
};

/** Line and column of a UTF-16 offset in `text`. */
export function positionAt(text: string, offset: number): JsonPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function formatPosition(p: JsonPosition): string {
  return `line ${p.line}, column ${p.column}`;
}

function syntaxProblem(text: string, e: ParseError): JsonProblem {
  const code = printParseErrorCode(e.error);
  // An error at the very end means the text stopped early (a missing bracket or quote).
  const atEnd = e.offset >= text.trimEnd().length;
  const reason = atEnd && code !== 'EndOfFileExpected'
    ? 'unexpected end of file (a missing "}", "]" or quote?)'
    : (REASONS[code] ?? 'invalid JSON');
  return { reason, ...positionAt(text, e.offset) };
}

/** Every key that occurs twice in one object, with both positions. */
function duplicateKeys(text: string, root: Node): JsonProblem[] {
  const out: JsonProblem[] = [];
  const stack: { node: Node; path: (string | number)[] }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode) continue;
        const key = String(keyNode.value);
        const earlier = seen.get(key);
        if (earlier) {
          out.push({
            reason: 'duplicate key',
            path: [...path, key],
            first: positionAt(text, earlier.offset),
            ...positionAt(text, keyNode.offset),
          });
        } else {
          seen.set(key, keyNode);
        }
        if (valueNode) stack.push({ node: valueNode, path: [...path, key] });
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => stack.push({ node: child, path: [...path, i] }));
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Parses standard JSON (no comments, no trailing commas). Syntax errors and duplicate keys come
 * back as problems with positions; nothing is thrown for bad input.
 */
export function parseStrictJson(text: string): StrictJsonResult {
  const errors: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  } catch (err) {
    // jsonc-parser recurses once per nesting level; no config nests this deep.
    if (err instanceof RangeError) return { ok: false, problems: [{ reason: 'nested too deeply (thousands of levels of brackets)', line: 1, column: 1 }] };
    throw err;
  }
  if (errors.length > 0) return { ok: false, problems: [syntaxProblem(text, errors[0])] };
  if (!root) return { ok: false, problems: [{ reason: 'unexpected end of file (the file holds no JSON value)', ...positionAt(text, text.length) }] };
  const dupes = duplicateKeys(text, root);
  if (dupes.length > 0) return { ok: false, problems: dupes };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // Only if the two readers disagree on validity; never quote V8's message (it quotes the text).
    return { ok: false, problems: [{ reason: 'not accepted by the JSON reader', line: 1, column: 1 }] };
  }
}
