// The banner `npm start` prints once the server answers and the demo workspace exists: what a
// person needs for the first hour, and nothing else. The `export` line sets the variables the
// README's curl tour uses, so the tour can be pasted as written.

/** A value for a POSIX shell, quoted only when it must be. */
const shellWord = (value) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/**
 * @param {{ baseUrl: string, demo: { workspaceId: string, memberId: string, apiKey: string },
 *   internalToken: { value: string, isDevDefault: boolean }, stripe: string, logFile: string | null }} p
 *   `logFile` is where wrangler's output went (null with --verbose: it is on the terminal).
 */
export function bannerLines({ baseUrl, demo, internalToken, stripe, logFile }) {
  // A token of the operator's own is not printed: the export line reads it from the environment.
  const token = internalToken.isDevDefault ? shellWord(internalToken.value) : '"$INTERNAL_API_TOKEN"';
  const key = shellWord(demo.apiKey);
  return [
    '',
    `  burnrate is running at ${baseUrl}   (Ctrl-C stops it)`,
    '',
    `  dashboard        ${baseUrl}/dashboard   (sign in with the admin API key)`,
    `  API reference    ${baseUrl}/docs   (${baseUrl}/openapi.json)`,
    `  Stripe           ${stripe}`,
    '',
    `  demo workspace   ${demo.workspaceId}`,
    `  demo member      ${demo.memberId}`,
    `  admin API key    ${demo.apiKey}`,
    `  internal token   ${internalToken.isDevDefault ? `${internalToken.value} (dev default)` : '(from INTERNAL_API_TOKEN)'}`,
    '',
    '  Try it:',
    `    curl -H "X-API-Key: ${demo.apiKey}" ${baseUrl}/v1/billing/credits`,
    `    curl -H "X-API-Key: ${demo.apiKey}" ${baseUrl}/v1/billing/credits/history`,
    `    curl -H "Authorization: Bearer ${internalToken.isDevDefault ? internalToken.value : '$INTERNAL_API_TOKEN'}" "${baseUrl}/internal/v1/workspaces/${demo.workspaceId}/credit-check?amountMicros=1000000"`,
    '  Settle the open hour now (the hourly cron, fired by hand at a time an hour ahead):',
    `    curl "${baseUrl}/__scheduled?cron=0+*+*+*+*&time=$(( ($(date +%s) + 3600) * 1000 ))"`,
    '',
    "  For the README's curl tour, paste into your shell:",
    `    export BASE=${baseUrl} KEY=${key} WS=${demo.workspaceId} MEMBER=${demo.memberId} TOKEN=${token}`,
    '',
    logFile ? `  wrangler's output: ${logFile}   (npm start -- --verbose shows it here)` : "  wrangler's output is above (--verbose).",
    '',
  ];
}
