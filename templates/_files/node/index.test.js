// Unit test of index.js: node --test
const test = require('node:test');
const assert = require('node:assert');
const { handler } = require('./index.js');

test('greets by name', async () => {
  const cases = [
    [{ name: 'World' }, 'Hello, World!'],
    [{ name: ' Ada ' }, 'Hello, Ada!'],
    [{}, 'Hello, World!'],
    [[1, 2], 'Hello, World!'],
    [null, 'Hello, World!'],
  ];
  for (const [event, want] of cases) {
    assert.deepStrictEqual(await handler(event, {}), { message: want });
  }
});

test('takes the greeting from the environment', async () => {
  process.env.GREETING = 'Hi';
  try {
    assert.deepStrictEqual(await handler({ name: 'Ada' }, {}), { message: 'Hi, Ada!' });
  } finally {
    delete process.env.GREETING;
  }
});
