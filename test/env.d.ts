// Test-only typing: the Worker's bindings plus the migrations the setup file applies, and the main
// module, so that `exports.default.fetch` is typed.
type WorkerEnv = import('../workers/env').Env;

declare namespace Cloudflare {
  interface Env extends WorkerEnv {
    TEST_DIRECTORY_MIGRATIONS: import('cloudflare:test').D1Migration[];
    TEST_SHARD_MIGRATIONS: import('cloudflare:test').D1Migration[];
    TEST_SHOW_LOGS: string;
  }
  interface GlobalProps {
    mainModule: typeof import('../workers/index');
  }
}

declare module '*?raw' {
  const text: string;
  export default text;
}
