// GET /v1/billing/credits/history.csv: the ledger as a streamed CSV download.
import { beforeAll, describe, expect, it } from 'vitest';
import { publicApi, rawFetch } from '../helpers/api';
import { addMember, createWorkspace, deduct, grant, unique, type TestWorkspace } from '../helpers/fixtures';
import { creditsFromMicros, csvTextCell, CSV_PAGE_ROWS } from '../../workers/billing/history_csv';
import { adjust, CREDIT } from './ledger_helpers';

const HEADER = 'id,created_at,type,status,description,amount_credits,balance_after_credits,forgiven_credits,invoice_url';

const csv = (apiKey: string | null, query = '') => rawFetch(`/v1/billing/credits/history.csv${query}`, { headers: apiKey ? { 'x-api-key': apiKey } : {} });

/** Parses RFC 4180 text (quoted cells may hold commas, quotes and line breaks) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** "-0.412300" → -412300, by string arithmetic (the test must not trust floats either). */
function microsOf(credits: string): number {
  const match = /^(-?)(\d+)\.(\d{6})$/.exec(credits);
  if (!match) throw new Error(`not a 6-decimal amount: ${credits}`);
  const micros = Number(match[2]) * CREDIT + Number(match[3]);
  return match[1] ? -micros : micros;
}

describe('CSV cells', () => {
  it('formats micros as credits with 6 decimals by integer arithmetic', () => {
    expect(creditsFromMicros(-412_300)).toBe('-0.412300');
    expect(creditsFromMicros(25_000_000)).toBe('25.000000');
    expect(creditsFromMicros(0)).toBe('0.000000');
    expect(creditsFromMicros(1)).toBe('0.000001');
    expect(creditsFromMicros(-1_000_000_000_000_001)).toBe('-1000000000.000001');
  });

  it('quotes commas, quotes and line breaks, and guards formula starts', () => {
    expect(csvTextCell('plain')).toBe('plain');
    expect(csvTextCell('a, b')).toBe('"a, b"');
    expect(csvTextCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvTextCell('two\nlines')).toBe('"two\nlines"');
    for (const start of ['=', '+', '-', '@']) expect(csvTextCell(`${start}SUM(A1)`)).toBe(`'${start}SUM(A1)`);
    expect(csvTextCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
  });
});

describe('GET /v1/billing/credits/history.csv', () => {
  let ws: TestWorkspace;
  let other: TestWorkspace;
  const ROWS = 1_000;

  beforeAll(async () => {
    ws = await createWorkspace('CSV thousand');
    other = await createWorkspace('CSV other');
    await grant(other.workspaceId, 7 * CREDIT, unique('csv-other'));
    // 1 grant, then 999 entries: usage deductions of odd micros and small grants, some with
    // descriptions a spreadsheet would misread. More than one page of the stream (CSV_PAGE_ROWS).
    expect(ROWS).toBeGreaterThan(CSV_PAGE_ROWS);
    await grant(ws.workspaceId, 1_000 * CREDIT, unique('csv-grant'));
    for (let i = 1; i < ROWS; i++) {
      const description = i === 7 ? '=HYPERLINK("http://evil","click")' : i === 8 ? 'GPU, "a10g", 1 h' : `Charge ${i}`;
      const res = i % 3 === 0 ? await adjust(ws.workspaceId, 1_000 + i, unique(`csv-adj-${i}`), `Grant ${i}`) : await deduct(ws.workspaceId, 412_300 + i, unique(`csv-usage-${i}`), description);
      expect(res.status).toBe(201);
    }
  }, 180_000);

  it('streams one row per transaction after a header, amounts summing to the balance change', async () => {
    const res = await csv(ws.adminKey);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="burnrate-history-${ws.workspaceId}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    const text = await res.text();
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.slice(0, -2).split('\r\n');
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[0]).toBe(HEADER);

    const rows = parseCsv(text).slice(1);
    expect(rows).toHaveLength(ROWS);
    for (const row of rows) expect(row).toHaveLength(9);
    expect(new Set(rows.map((r) => r[0])).size).toBe(ROWS);
    const sum = rows.reduce((s, r) => s + microsOf(r[5]!), 0);
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    // The workspace started at 0: the rows sum to its whole balance change.
    expect(sum).toBe(credits.body.balanceMicros);
    // Newest first, and each row's balance_after agrees with the ledger's running balance.
    expect(microsOf(rows[0]![6]!)).toBe(credits.body.balanceMicros);
    expect(rows[ROWS - 1]!.slice(2, 6)).toEqual(['adjustment', 'completed', 'Test grant', '1000.000000']);
    expect(rows.every((r) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(r[1]!))).toBe(true);

    // The same rows as the JSON history, in the same order.
    const first = await publicApi('GET', '/v1/billing/credits/history?limit=3', ws.adminKey);
    expect(rows.slice(0, 3).map((r) => [r[0], microsOf(r[5]!)])).toEqual(first.body.data.map((t: { id: string; amountMicros: number }) => [t.id, t.amountMicros]));

    // A formula in a description is shown as text, quotes and commas survive quoting.
    const cells = rows.map((r) => r[4]);
    expect(cells).toContain(`'=HYPERLINK("http://evil","click")`);
    expect(cells).toContain('GPU, "a10g", 1 h');
    expect(text).toContain(`"'=HYPERLINK(""http://evil"",""click"")"`);
  });

  it('applies the type and status filters', async () => {
    const usage = parseCsv(await (await csv(ws.adminKey, '?type=usage')).text());
    expect(usage[0]!.join(',')).toBe(HEADER);
    // i = 1..999 not divisible by 3 are deductions: 666 of them.
    expect(usage.slice(1)).toHaveLength(666);
    expect(usage.slice(1).every((r) => r[2] === 'usage' && microsOf(r[5]!) < 0)).toBe(true);

    const adjustments = parseCsv(await (await csv(ws.adminKey, '?type=adjustment&status=completed')).text()).slice(1);
    expect(adjustments).toHaveLength(334);
    expect(adjustments.every((r) => r[2] === 'adjustment' && r[3] === 'completed')).toBe(true);

    const pending = await (await csv(ws.adminKey, '?status=pending')).text();
    expect(pending).toBe(`${HEADER}\r\n`);

    const bad = await csv(ws.adminKey, '?type=bogus');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('is readable by a member, scoped to the caller\'s workspace, and 401 without a key', async () => {
    const member = await addMember(ws.workspaceId, 'member');
    const asMember = await csv(member.apiKey, '?type=adjustment');
    expect(asMember.status).toBe(200);
    expect(parseCsv(await asMember.text()).slice(1)).toHaveLength(334);

    const otherRows = parseCsv(await (await csv(other.adminKey)).text()).slice(1);
    expect(otherRows).toHaveLength(1);
    expect(otherRows[0]!.slice(2, 6)).toEqual(['adjustment', 'completed', 'Test grant', '7.000000']);

    const anonymous = await csv(null);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    const wrongKey = await csv('br_not_a_key');
    expect(wrongKey.status).toBe(401);
  });
});
