import type { HtmlEscapedString } from 'hono/utils/html';

/** What an `html` template of hono/html yields: escaped markup, possibly still resolving. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
