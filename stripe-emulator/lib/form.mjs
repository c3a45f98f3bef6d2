// Stripe's form encoding: `application/x-www-form-urlencoded` with bracket notation for nesting,
// e.g. `metadata[k]=v`, `line_items[0][price_data][unit_amount]=2500`, `expand[]=invoice`.
// Parsed into plain nested objects; numeric and `[]` keys stay object keys here and are turned
// into arrays by `toArray` where an endpoint expects a list (so `metadata[0]=x` stays metadata).

/**
 * @typedef {{ [key: string]: FormValue }} FormObject
 * @typedef {string | FormObject} FormValue
 */

/**
 * Splits `a[b][0][]` into `['a', 'b', '0', '']`. A key without brackets is one segment; a key
 * with malformed brackets is kept whole, as Stripe would treat it as an (unknown) flat name.
 * @param {string} key
 * @returns {string[]}
 */
export function splitKey(key) {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  const rest = key.slice(open);
  const re = /\[([^\[\]]*)\]/gy;
  let consumed = 0;
  let match;
  while ((match = re.exec(rest)) !== null) {
    segments.push(match[1] ?? '');
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length) return [key];
  return segments;
}

/**
 * Parses an urlencoded string (a request body or a query string) into a nested object.
 * Repeated scalar keys: the last one wins. `[]` appends with the next free index.
 * @param {string} text
 * @returns {FormObject}
 */
export function parseForm(text) {
  /** @type {FormObject} */
  const root = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const segments = splitKey(key);
    /** @type {FormObject} */
    let node = root;
    for (let i = 0; i < segments.length; i += 1) {
      let segment = /** @type {string} */ (segments[i]);
      if (segment === '') segment = String(nextIndex(node));
      const last = i === segments.length - 1;
      if (last) {
        node[segment] = value;
      } else {
        const child = node[segment];
        if (child === undefined || typeof child === 'string') node[segment] = {};
        node = /** @type {FormObject} */ (node[segment]);
      }
    }
  }
  return root;
}

/** @param {FormObject} node */
function nextIndex(node) {
  let next = 0;
  for (const key of Object.keys(node)) {
    if (/^\d+$/.test(key)) next = Math.max(next, Number(key) + 1);
  }
  return next;
}

/**
 * A form value that is a list (`x[0]=…&x[1]=…` or `x[]=…`) as an array in index order.
 * A single scalar counts as a one-element list; absent is an empty list.
 * @param {FormValue | undefined} value
 * @returns {FormValue[] | null} null when the value is an object with non-numeric keys
 */
export function toArray(value) {
  if (value === undefined) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  const keys = Object.keys(value);
  if (!keys.every((k) => /^\d+$/.test(k))) return null;
  return keys
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => /** @type {FormValue} */ (value[String(k)]));
}
