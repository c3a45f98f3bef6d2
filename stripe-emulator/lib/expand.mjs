// `expand[]`: replaces ids in a response with the objects they name, along dotted paths
// (`payment_intent`, `payment_intent.payment_method`, `data.customer`). Up to four levels, as Stripe.
import { invalidRequest } from './errors.mjs';
import { findById } from './store.mjs';

/**
 * Properties that are not ids but can be included on request (e.g. a session's line_items).
 * @typedef {(object: Record<string, any>) => unknown} VirtualExpander
 * @typedef {Record<string, Record<string, VirtualExpander>>} VirtualExpanders keyed by object type, then property
 */

/**
 * @param {Record<string, any>} response a deep copy, modified in place
 * @param {string[]} paths
 * @param {import('./store.mjs').Store} store
 * @param {VirtualExpanders} virtual
 */
export function expand(response, paths, store, virtual) {
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > 4) {
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, { param: 'expand' });
    }
    expandSegments(response, segments, path, store, virtual);
  }
  return response;
}

/**
 * @param {any} node
 * @param {string[]} segments
 * @param {string} path
 * @param {import('./store.mjs').Store} store
 * @param {VirtualExpanders} virtual
 */
function expandSegments(node, segments, path, store, virtual) {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) expandSegments(item, segments, path, store, virtual);
    return;
  }
  const [head, ...rest] = /** @type {[string, ...string[]]} */ (segments);
  const expander = virtual[node.object]?.[head];
  if (expander && (node[head] === undefined || node[head] === null || typeof node[head] === 'string')) {
    node[head] = structuredClone(expander(node));
  } else if (!(head in node)) {
    throw invalidRequest(`This property cannot be expanded (${head}).${node.object === 'list' ? ` You may want to try expanding 'data.${path}' instead.` : ''}`, {
      param: 'expand',
    });
  } else if (typeof node[head] === 'string') {
    const found = findById(store, node[head]);
    if (!found) throw invalidRequest(`This property cannot be expanded (${head}).`, { param: 'expand' });
    node[head] = structuredClone(found);
  }
  if (rest.length > 0) expandSegments(node[head], rest, path, store, virtual);
}
