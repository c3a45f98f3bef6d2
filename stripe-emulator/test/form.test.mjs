// Stripe's form encoding as the emulator reads it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseForm, splitKey, toArray } from '../lib/form.mjs';

test('bracket keys nest into objects, in the shapes stripe-node and curl send', () => {
  const parsed = parseForm(
    'mode=payment&metadata[workspace_id]=ws_1&line_items[0][price_data][unit_amount]=2500' +
      '&line_items[0][price_data][product_data][name]=Credits%20%26%20more&line_items[0][quantity]=1' +
      '&line_items[1][quantity]=2',
  );
  assert.deepEqual(parsed, {
    mode: 'payment',
    metadata: { workspace_id: 'ws_1' },
    line_items: {
      0: { price_data: { unit_amount: '2500', product_data: { name: 'Credits & more' } }, quantity: '1' },
      1: { quantity: '2' },
    },
  });
  assert.equal(toArray(parsed.line_items)?.length, 2);
});

test('percent-encoded brackets and `+` spaces decode like literal ones', () => {
  assert.deepEqual(parseForm('metadata%5Bnote%5D=two+words'), { metadata: { note: 'two words' } });
});

test('`expand[]` appends in order and `expand[0]` indexes; both read as a list', () => {
  assert.deepEqual(toArray(parseForm('expand[]=payment_intent&expand[]=invoice').expand), ['payment_intent', 'invoice']);
  assert.deepEqual(toArray(parseForm('expand[1]=invoice&expand[0]=payment_intent').expand), ['payment_intent', 'invoice']);
  assert.deepEqual(toArray(parseForm('expand=invoice').expand), ['invoice']);
  assert.deepEqual(toArray(undefined), []);
});

test('a repeated scalar key keeps the last value; numeric metadata keys stay keys', () => {
  const parsed = parseForm('email=a%40x.test&email=b%40x.test&metadata[0]=zero');
  assert.equal(parsed.email, 'b@x.test');
  assert.deepEqual(parsed.metadata, { 0: 'zero' });
  assert.equal(toArray({ a: 'x' }), null, 'an object with named keys is not a list');
});

test('malformed bracket keys are kept whole', () => {
  assert.deepEqual(splitKey('a[b'), ['a[b']);
  assert.deepEqual(splitKey('[x]'), ['[x]']);
  assert.deepEqual(splitKey('a[b][]'), ['a', 'b', '']);
});
