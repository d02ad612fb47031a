// Unit test of functions.js: node --test
const test = require('node:test');
const assert = require('node:assert');
const { greet, count, report } = require('./functions.js');

test('greet greets by name', async () => {
  assert.deepStrictEqual(await greet({ name: 'World' }), { message: 'Hello, World!' });
  assert.deepStrictEqual(await greet({}), { message: 'Hello, World!' });
  assert.deepStrictEqual(await greet(null), { message: 'Hello, World!' });
});

test('count counts words', async () => {
  assert.deepStrictEqual(await count({ text: 'the cat  sat' }), { words: 3 });
  assert.deepStrictEqual(await count({}), { words: 0 });
});

test('report reports', async () => {
  const out = await report({}, { invocation_id: 'abc' });
  assert.strictEqual(out.report, 'done');
  assert.strictEqual(out.invocation, 'abc');
});
