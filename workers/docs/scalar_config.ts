// Scalar's configuration for /docs. Everything that would reach a third party is switched off:
// the reference must work offline (`npm start`) and must not tell anyone who reads our docs.
//  - withDefaultFonts: false — otherwise Inter and JetBrains Mono load from fonts.scalar.com.
//  - proxyUrl: '' — undefined means "use proxy.scalar.com" for test requests to non-local hosts;
//    an empty string means no proxy (requests go straight to this origin, which is all we serve).
//  - telemetry: false, agent.disabled — no usage reporting, no Scalar AI agent (api.scalar.com).
//  - showDeveloperTools: 'never' — the toolbar offers sharing/uploading the document to Scalar.
export const SCALAR_CONFIGURATION = {
  withDefaultFonts: false,
  proxyUrl: '',
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  operationTitleSource: 'summary',
  defaultOpenAllTags: false,
  hideModels: false,
  metaData: { title: 'burnrate API reference' },
} as const;

/** Where the Worker serves the pieces of the reference. The script is a static asset (public/). */
export const DOCS_PATHS = {
  page: '/docs',
  script: '/docs/scalar.js',
  document: '/openapi.json',
} as const;
