// The SDK's alert settings (Burnrate.billing.alerts) against the real Worker.
import { describe, expect, it } from 'vitest';
import { BurnrateError } from '../../sdk/src/index';
import { newMember, newWorkspace, publicClient } from './sdk_helpers';

describe('SDK: billing.alerts', () => {
  it('get answers the defaults; an admin updates; a member reads them and may not update (forbidden); bad input is invalid_request', async () => {
    const ws = await newWorkspace('SDK alerts');
    expect(await ws.admin.billing.alerts.get()).toMatchObject({ thresholds: [], terminationWarningMinutes: 60, emailAdmins: false });

    const settings = { thresholds: [{ balanceCents: 2000 }, { hoursRemaining: 12 }], terminationWarningMinutes: 15, emailAdmins: true };
    const updated = await ws.admin.billing.alerts.update(settings);
    expect(updated).toMatchObject(settings);
    expect(Number.isNaN(Date.parse(updated.updatedAt))).toBe(false);

    const member = await newMember(ws.workspaceId);
    const memberAlerts = publicClient(member.apiKey).billing.alerts;
    expect(await memberAlerts.get()).toEqual(updated);
    const forbidden = await memberAlerts.update({ ...settings, thresholds: [] }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(BurnrateError);
    expect((forbidden as BurnrateError).code).toBe('forbidden');

    const bad = await ws.admin.billing.alerts.update({ ...settings, terminationWarningMinutes: 1441 }).catch((e: unknown) => e);
    expect((bad as BurnrateError).code).toBe('invalid_request');
    expect((bad as BurnrateError).status).toBe(400);
    expect(await ws.admin.billing.alerts.get()).toEqual(updated);
  });
});
