/**
 * The one module that reads zod's issues: schema-set messages are told apart from zod's generic
 * wording without matching zod's text, and every kind of issue arrives in zod-independent terms.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { z } from 'zod';
import { fromSchemaIssues } from '../src/config/errors';
import { objectKeysAt, schemaFieldPaths, toSchemaIssues } from '../src/config/zod-adapter';

const schema = z.object({
  name: z.string().min(1, 'must not be empty').max(5),
  list: z.array(z.string()).min(1),
  count: z.number().min(2),
  mode: z.enum(['a', 'b']),
  mem: z.string({ errorMap: (i, ctx) => ({ message: i.code === 'invalid_type' && i.received === 'number' ? 'needs a unit' : ctx.defaultError }) }),
  cpu: z.union([z.number(), z.string()]),
  tls: z.discriminatedUnion('kind', [z.object({ kind: z.literal('x'), a: z.string().optional() }).strict(), z.object({ kind: z.literal('y'), b: z.string().optional() }).strict()]).optional(),
}).strict();

function issuesOf(input: unknown) {
  const r = schema.safeParse(input);
  assert.equal(r.success, false);
  return toSchemaIssues(r.error!);
}

describe('toSchemaIssues', () => {
  const valid = { name: 'ok', list: ['x'], count: 3, mode: 'a', mem: '1G', cpu: 1 };
  it('tells a message our schema set from zod\'s generic one', () => {
    const issues = issuesOf({ ...valid, name: '', list: [], mem: 5, count: true });
    assert.deepEqual(issues.find((i) => i.path[0] === 'name'), { kind: 'too-small', path: ['name'], limit: 1, of: 'string', ownMessage: 'must not be empty' });
    assert.deepEqual(issues.find((i) => i.path[0] === 'list'), { kind: 'too-small', path: ['list'], limit: 1, of: 'array', ownMessage: undefined });
    assert.deepEqual(issues.find((i) => i.path[0] === 'mem'), { kind: 'wrong-type', path: ['mem'], expected: 'string', received: 'number', ownMessage: 'needs a unit' });
    assert.deepEqual(issues.find((i) => i.path[0] === 'count'), { kind: 'wrong-type', path: ['count'], expected: 'number', received: 'boolean', ownMessage: undefined });
  });
  it('every other kind', () => {
    const issues = issuesOf({ ...valid, name: 'toolong', mode: 'c', cpu: [], extra: 1, tls: { kind: 'z' }, count: undefined });
    const kinds = Object.fromEntries(issues.map((i) => [i.path.join('.') || '(top)', i.kind]));
    assert.deepEqual(kinds, { name: 'too-big', count: 'missing', mode: 'not-one-of', cpu: 'no-form-matches', 'tls.kind': 'no-variant', '(top)': 'unknown-keys' });
  });
  it('our words for zod\'s generic ones, the schema\'s own as they are', () => {
    const r = schema.safeParse({ ...valid, name: '', list: [], mem: 5, count: 1 });
    const byPath = Object.fromEntries(fromSchemaIssues(toSchemaIssues(r.error!), {}, schema).map((i) => [i.path, i.message]));
    assert.deepEqual(byPath, { name: 'must not be empty', list: 'must list at least one entry', mem: 'needs a unit', count: 'must be at least 2' });
  });
});

describe('objectKeysAt and schemaFieldPaths', () => {
  it('keys of the chosen variant, and where the other variant\'s keys belong', () => {
    const k = objectKeysAt(schema, ['tls'], { tls: { kind: 'x' } });
    assert.deepEqual(k.keys, ['kind', 'a']);
    assert.deepEqual([...k.elsewhere], [['b', 'y']]);
    assert.equal(k.discriminator, 'kind');
    assert.deepEqual(objectKeysAt(schema, [], {}).keys, ['name', 'list', 'count', 'mode', 'mem', 'cpu', 'tls']);
    assert.deepEqual(objectKeysAt(schema, ['name'], {}).keys, []);
  });
  it('field paths through optionals and variants', () => {
    assert.deepEqual(schemaFieldPaths(schema), ['name', 'list', 'count', 'mode', 'mem', 'cpu', 'tls', 'tls.kind', 'tls.a', 'tls.b']);
  });
});
