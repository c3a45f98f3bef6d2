// A route table: `METHOD /path/:param` patterns matched against a request.

/**
 * @template H
 * @typedef {{ method: string, parts: string[], handler: H }} Route
 */

/**
 * @template H
 * @param {Array<[string, H]>} table e.g. [['GET /v1/customers/:id', handler]]
 */
export function createRouter(table) {
  /** @type {Route<H>[]} */
  const routes = table.map(([pattern, handler]) => {
    const [method, path] = /** @type {[string, string]} */ (pattern.split(' '));
    return { method, parts: path.split('/').filter(Boolean), handler };
  });

  /**
   * @param {string} method
   * @param {string} pathname
   * @returns {{ handler: H, params: Record<string, string> } | undefined}
   */
  return function match(method, pathname) {
    const parts = pathname.split('/').filter(Boolean);
    for (const route of routes) {
      if (route.method !== method || route.parts.length !== parts.length) continue;
      /** @type {Record<string, string>} */
      const params = {};
      const ok = route.parts.every((part, i) => {
        const actual = /** @type {string} */ (parts[i]);
        if (part.startsWith(':')) {
          try {
            params[part.slice(1)] = decodeURIComponent(actual);
          } catch {
            return false;
          }
          return true;
        }
        return part === actual;
      });
      if (ok) return { handler: route.handler, params };
    }
    return undefined;
  };
}
