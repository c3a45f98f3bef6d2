// Typed readers for form parameters, throwing Stripe's own validation errors.
import { invalidRequest, missingParam } from './errors.mjs';
import { toArray } from './form.mjs';

/** @typedef {import('./form.mjs').FormObject} FormObject */
/** @typedef {import('./form.mjs').FormValue} FormValue */

/**
 * A nested object parameter, or {} when absent.
 * @param {FormObject} params
 * @param {string} key
 * @param {string} [name] full parameter name for errors
 * @returns {FormObject}
 */
export function object(params, key, name = key) {
  const value = params[key];
  if (value === undefined || value === '') return {};
  if (typeof value === 'string') throw invalidRequest(`Invalid object`, { param: name });
  return value;
}

/**
 * @param {FormObject} params
 * @param {string} key
 * @param {{ required?: boolean, name?: string, max?: number }} [options]
 * @returns {string | undefined} undefined when absent
 */
export function string(params, key, options = {}) {
  const name = options.name ?? key;
  const value = params[key];
  if (value === undefined) {
    if (options.required) throw missingParam(name);
    return undefined;
  }
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: {...}`, { param: name });
  if (options.required && value === '') throw missingParam(name);
  if (options.max !== undefined && value.length > options.max) {
    throw invalidRequest(`Invalid string: ${value.slice(0, 20)}...; must be at most ${options.max} characters`, { param: name });
  }
  return value;
}

/**
 * A non-negative integer (Stripe amounts, timestamps, quantities).
 * @param {FormObject} params
 * @param {string} key
 * @param {{ required?: boolean, name?: string, min?: number }} [options]
 * @returns {number | undefined}
 */
export function integer(params, key, options = {}) {
  const name = options.name ?? key;
  const raw = string(params, key, { required: options.required, name });
  if (raw === undefined || raw === '') {
    if (options.required) throw missingParam(name);
    return undefined;
  }
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw invalidRequest(`Invalid integer: ${raw}`, { param: name });
  }
  const value = Number(raw);
  if (options.min !== undefined && value < options.min) {
    throw invalidRequest(`This value must be greater than or equal to ${options.min}.`, { param: name });
  }
  return value;
}

/**
 * @param {FormObject} params
 * @param {string} key
 * @param {{ name?: string }} [options]
 * @returns {boolean | undefined}
 */
export function boolean(params, key, options = {}) {
  const name = options.name ?? key;
  const raw = string(params, key, { name });
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidRequest(`Invalid boolean: ${raw}`, { param: name });
}

/**
 * @template {string} T
 * @param {FormObject} params
 * @param {string} key
 * @param {readonly T[]} allowed
 * @param {{ required?: boolean, name?: string }} [options]
 * @returns {T | undefined}
 */
export function oneOf(params, key, allowed, options = {}) {
  const name = options.name ?? key;
  const raw = string(params, key, { required: options.required, name });
  if (raw === undefined || raw === '') return undefined;
  if (!allowed.includes(/** @type {T} */ (raw))) {
    throw invalidRequest(`Invalid ${name}: must be one of ${allowed.join(', ')}`, { param: name });
  }
  return /** @type {T} */ (raw);
}

/**
 * A list parameter.
 * @param {FormObject} params
 * @param {string} key
 * @param {{ name?: string }} [options]
 * @returns {FormValue[]}
 */
export function list(params, key, options = {}) {
  const name = options.name ?? key;
  const items = toArray(params[key]);
  if (items === null) throw invalidRequest(`Invalid array`, { param: name });
  return items;
}

/**
 * Metadata as Stripe validates it: up to 50 keys, keys ≤ 40 characters, values ≤ 500.
 * Applied onto `current`: a key set to '' is removed, `metadata=` clears everything.
 * @param {FormObject} params
 * @param {Record<string, string>} [current]
 * @returns {Record<string, string>}
 */
export function metadata(params, current = {}) {
  const value = params.metadata;
  if (value === undefined) return { ...current };
  if (value === '') return {};
  if (typeof value === 'string') throw invalidRequest('Invalid object', { param: 'metadata' });
  const next = { ...current };
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalidRequest('Invalid string: {...}', { param: `metadata[${key}]` });
    if (key.length > 40) {
      throw invalidRequest(`Metadata keys must be at most 40 characters.`, { param: `metadata[${key}]` });
    }
    if (entry.length > 500) {
      throw invalidRequest(`Metadata values must be at most 500 characters.`, { param: `metadata[${key}]` });
    }
    if (entry === '') delete next[key];
    else next[key] = entry;
  }
  if (Object.keys(next).length > 50) {
    throw invalidRequest('Metadata can have at most 50 keys.', { param: 'metadata' });
  }
  return next;
}

/**
 * The `expand[]` paths of a request.
 * @param {FormObject} params
 * @returns {string[]}
 */
export function expandPaths(params) {
  return list(params, 'expand').map((path, i) => {
    if (typeof path !== 'string') throw invalidRequest('Invalid string: {...}', { param: `expand[${i}]` });
    return path;
  });
}
