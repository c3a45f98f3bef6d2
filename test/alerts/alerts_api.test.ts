// GET/PUT /v1/billing/alerts (CONTRACT.md, the Alerts type): defaults, a round trip, validation that
// names the field, admins only for PUT, and each workspace sees and changes only its own.
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';

const valid = { thresholds: [{ balanceCents: 2000 }, { hoursRemaining: 24 }], terminationWarningMinutes: 30, emailAdmins: true };

describe('GET /v1/billing/alerts', () => {
  it('answers the defaults to a member of a new workspace: no thresholds, a 60-minute warning, no email', async () => {
    const ws = await createWorkspace('Alerts defaults');
    const member = await addMember(ws.workspaceId);
    const res = await publicApi('GET', '/v1/billing/alerts', member.apiKey);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ thresholds: [], terminationWarningMinutes: 60, emailAdmins: false });
    expect(Number.isNaN(Date.parse(res.body.updatedAt))).toBe(false);
  });

  it('needs an API key', async () => {
    expect((await publicApi('GET', '/v1/billing/alerts', null)).status).toBe(401);
  });
});

describe('PUT /v1/billing/alerts', () => {
  it('an admin replaces the settings; the answer and later reads show them with updatedAt', async () => {
    const ws = await createWorkspace('Alerts round trip');
    const before = Date.now();
    const put = await publicApi('PUT', '/v1/billing/alerts', ws.adminKey, valid);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject(valid);
    expect(Date.parse(put.body.updatedAt)).toBeGreaterThanOrEqual(before - 1_000);
    const member = await addMember(ws.workspaceId);
    const got = await publicApi('GET', '/v1/billing/alerts', member.apiKey);
    expect(got.body).toEqual(put.body);

    // A PUT replaces everything: no thresholds, no warning.
    const cleared = await publicApi('PUT', '/v1/billing/alerts', ws.adminKey, { thresholds: [], terminationWarningMinutes: 0, emailAdmins: false });
    expect(cleared.body).toMatchObject({ thresholds: [], terminationWarningMinutes: 0, emailAdmins: false });
  });

  it('a member may not change them (403 forbidden), and nothing changes', async () => {
    const ws = await createWorkspace('Alerts member');
    const member = await addMember(ws.workspaceId);
    const res = await publicApi('PUT', '/v1/billing/alerts', member.apiKey, valid);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await publicApi('GET', '/v1/billing/alerts', ws.adminKey)).body.thresholds).toEqual([]);
  });

  it('each workspace has its own settings (tenancy)', async () => {
    const a = await createWorkspace('Alerts tenant A');
    const b = await createWorkspace('Alerts tenant B');
    await publicApi('PUT', '/v1/billing/alerts', a.adminKey, valid);
    const bRead = await publicApi('GET', '/v1/billing/alerts', b.adminKey);
    expect(bRead.body).toMatchObject({ thresholds: [], terminationWarningMinutes: 60, emailAdmins: false });
    await publicApi('PUT', '/v1/billing/alerts', b.adminKey, { thresholds: [{ balanceCents: 1 }], terminationWarningMinutes: 5, emailAdmins: false });
    expect((await publicApi('GET', '/v1/billing/alerts', a.adminKey)).body).toMatchObject(valid);
  });

  const bad: Array<[string, unknown, string]> = [
    ['six thresholds', { ...valid, thresholds: [1, 2, 3, 4, 5, 6].map((n) => ({ balanceCents: n * 100 })) }, 'thresholds'],
    ['a negative balance', { ...valid, thresholds: [{ balanceCents: -1 }] }, 'thresholds.0.balanceCents'],
    ['a fractional cent', { ...valid, thresholds: [{ balanceCents: 10.5 }] }, 'thresholds.0.balanceCents'],
    ['a balance beyond an exact amount', { ...valid, thresholds: [{ balanceCents: 2 ** 53 }] }, 'thresholds.0.balanceCents'],
    ['negative hours', { ...valid, thresholds: [{ hoursRemaining: -2 }] }, 'thresholds.0.hoursRemaining'],
    ['both keys in one threshold', { ...valid, thresholds: [{ balanceCents: 100, hoursRemaining: 2 }] }, 'thresholds.0'],
    ['an empty threshold', { ...valid, thresholds: [{}] }, 'thresholds.0'],
    ['the same threshold twice', { ...valid, thresholds: [{ balanceCents: 100 }, { balanceCents: 100 }] }, 'thresholds.1'],
    ['minutes over 1440', { ...valid, terminationWarningMinutes: 1441 }, 'terminationWarningMinutes'],
    ['negative minutes', { ...valid, terminationWarningMinutes: -1 }, 'terminationWarningMinutes'],
    ['fractional minutes', { ...valid, terminationWarningMinutes: 1.5 }, 'terminationWarningMinutes'],
    ['no emailAdmins', { thresholds: [], terminationWarningMinutes: 60 }, 'emailAdmins'],
    ['thresholds not a list', { ...valid, thresholds: { balanceCents: 1 } }, 'thresholds'],
  ];
  for (const [what, body, field] of bad) {
    it(`refuses ${what}: 400 invalid_request naming ${field}`, async () => {
      const ws = await createWorkspace(`Alerts bad: ${what}`);
      const res = await publicApi('PUT', '/v1/billing/alerts', ws.adminKey, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message.startsWith(`${field}:`), res.body.error.message).toBe(true);
      expect((await publicApi('GET', '/v1/billing/alerts', ws.adminKey)).body.thresholds).toEqual([]);
    });
  }

  it('accepts the bounds: five thresholds, 0 and 1440 minutes', async () => {
    const ws = await createWorkspace('Alerts bounds');
    const five = [{ balanceCents: 0 }, { balanceCents: 100 }, { hoursRemaining: 0.5 }, { hoursRemaining: 8760 }, { balanceCents: 100_000_000_000 }];
    for (const minutes of [0, 1440]) {
      const res = await publicApi('PUT', '/v1/billing/alerts', ws.adminKey, { thresholds: five, terminationWarningMinutes: minutes, emailAdmins: false });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ thresholds: five, terminationWarningMinutes: minutes });
    }
  });
});
