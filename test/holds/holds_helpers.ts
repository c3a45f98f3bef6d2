// Calls of the holds API shared by the holds test files. Not a test file.
import { internal, publicApi } from '../helpers/api';
import { unique } from '../helpers/fixtures';

export const CREDIT = 1_000_000;

export const createHold = (body: { workspaceId: string; amountMicros: number; id?: string; memberId?: string; ttlSeconds?: number; description?: string }) =>
  internal('POST', '/internal/v1/holds', { id: body.id ?? unique('hold'), ...body });

export const captureHold = (id: string, amountMicros: number, workspaceId?: string) =>
  internal('POST', `/internal/v1/holds/${id}/capture`, workspaceId ? { amountMicros, workspaceId } : { amountMicros });

export const releaseHold = (id: string, workspaceId?: string) => internal('POST', `/internal/v1/holds/${id}/release`, workspaceId ? { workspaceId } : undefined);

export const listHolds = (workspaceId: string) => internal('GET', `/internal/v1/workspaces/${workspaceId}/holds`);

export const creditCheck = (workspaceId: string, amountMicros: number, memberId?: string) =>
  internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=${amountMicros}${memberId ? `&memberId=${memberId}` : ''}`);

export const credits = (apiKey: string) => publicApi('GET', '/v1/billing/credits', apiKey);
