// Example values for /openapi.json: one consistent story (workspace "Acme Robotics", its admin Ada,
// a $25 top-up, some model usage) so that the ids, amounts and times in the reference agree with
// each other. Ids have the real shape (prefix + 10 chars of time + 16 random), amounts are integer
// micros (1 credit = 1 USD = 1,000,000 micros) or cents where Stripe is involved.

export const EX = {
  workspaceId: 'ws_00mwq8lds0k3v9x2b7q4p1mz',
  adminMemberId: 'mem_00mwq8lds0a8c2e4g6i8k0m2',
  memberId: 'mem_00mwq8lds0n4p6r8t0v2x4z6',
  apiKeyId: 'key_00mwq8lds0b1d3f5h7j9l1n3',
  apiKey: 'br_Jx8c4Lq2RkT0vN5wYb3mA7sD9fG1hK6pZ2uE4iO8yQ0',
  apiKeyPrefix: 'br_Jx8c4Lq2R',
  transactionId: 'txn_00mwq8lds0p5r7t9v1x3z5b7',
  depositTransactionId: 'txn_00mvxm2m80c6e8g0i2k4m6o8',
  resourceId: 'res_00mwq8lds0sbx42instance0',
  volumeId: 'res_00mwq8lds0vol7data00000',
  requestId: 'req_00mwq8lds0q8w2e4r6t8y0u2',
  eventId: 'evt_00mwq8lds0h2j4k6l8z0x2c4',
  checkoutSessionId: 'cs_test_a1B2c3D4e5F6g7H8i9J0kLmN',
  createdAt: '2026-11-21T10:00:00.000Z',
  workspaceCreatedAt: '2026-11-01T09:12:00.000Z',
  now: '2026-11-21T10:42:17.512Z',
} as const;

// --- public billing shapes -----------------------------------------------------------------------

export const creditSummaryExample = {
  balanceMicros: 18_734_500,
  accumulatingMicros: 265_500,
  burnRateMicrosPerHour: 380_000,
  hoursRemaining: 49.3,
  paidMicros: 7_000_000,
  promotionalMicros: 12_000_000,
  heldMicros: 250_000,
  nextExpiry: { at: '2026-12-21T00:00:00.000Z', amountMicros: 12_000_000 },
  updatedAt: EX.now,
};

export const creditBlockExample = {
  id: 'blk_00mwq8lds0grant0000000000',
  category: 'promotional' as const,
  source: 'grant' as const,
  transactionId: 'txn_00mwq8lds0grant0000000000',
  amountMicros: 20_000_000,
  remainingMicros: 12_000_000,
  priority: 50,
  expiresAt: '2026-12-21T00:00:00.000Z',
  createdAt: '2026-11-01T09:20:04.118Z',
};

export const autoTopupExample = {
  enabled: true,
  thresholdCents: 1000,
  topupAmountCents: 2500,
  paymentMethod: { brand: 'visa', last4: '4242' },
  mode: 'fixed' as const,
  targetCents: null,
  monthlyLimitCents: 10000,
  spentThisMonthCents: 2500,
};

export const transactionExample = {
  id: EX.transactionId,
  createdAt: EX.createdAt,
  type: 'usage' as const,
  description: 'Usage 2026-11-21 09:00–10:00 UTC: 1 instance, 1 volume, 1 model, 12 tool executions',
  amountMicros: -412_300,
  status: 'completed' as const,
  invoiceUrl: null,
  balanceAfterMicros: 18_734_500,
  forgivenMicros: 0,
};

export const depositExample = {
  id: EX.depositTransactionId,
  createdAt: '2026-11-01T09:20:04.118Z',
  type: 'deposit' as const,
  description: 'Credit top-up ($25.00)',
  amountMicros: 25_000_000,
  status: 'completed' as const,
  invoiceUrl: 'https://invoice.stripe.com/i/acct_1Nb2c3/test_YWNjdF8xTmIy',
  balanceAfterMicros: 25_000_000,
  forgivenMicros: 0,
};

const zeroRuntime = {
  settledSeconds: 0,
  pendingSeconds: 0,
  forgivenSeconds: 0,
  activeSeconds: 0,
  settledMicros: 0,
  pendingMicros: 0,
  forgivenMicros: 0,
  activeEstimateMicros: 0,
};

export const usageRowExample = {
  tokens: { input: 1_250_000, output: 310_000, total: 1_560_000 },
  modelUsage: [{ model: 'claude-sonnet-4', inputTokens: 1_250_000, outputTokens: 310_000, totalTokens: 1_560_000, costMicros: 8_400_000 }],
  sandboxRuntime: { ...zeroRuntime, settledSeconds: 36_000, activeSeconds: 1_337, settledMicros: 360_000, activeEstimateMicros: 13_370 },
  storageUsage: { byteSeconds: 3_600_000_000_000, costMicros: 137 },
  toolExecutions: { count: 120, costMicros: 120_000 },
  resourceCharges: [{ description: 'GPU snapshot export', amountMicros: 500_000, createdAt: '2026-11-20T16:03:11.000Z' }],
  totalMicros: 9_393_507,
};

// --- internal shapes -----------------------------------------------------------------------------

export const workspaceExample = { id: EX.workspaceId, name: 'Acme Robotics', createdAt: EX.workspaceCreatedAt, homeRegion: 'weur' as const };

export const adminMemberExample = {
  id: EX.adminMemberId,
  workspaceId: EX.workspaceId,
  name: 'Ada Lovelace',
  email: 'ada@acme.example',
  role: 'admin' as const,
  createdAt: EX.workspaceCreatedAt,
};

export const memberExample = {
  id: EX.memberId,
  workspaceId: EX.workspaceId,
  name: 'Max Mustermann',
  email: 'max@acme.example',
  role: 'member' as const,
  createdAt: EX.createdAt,
};

export const pricingExample = {
  models: [
    { model: 'gpt-4o-mini', inputMicrosPerMillionTokens: 150_000, outputMicrosPerMillionTokens: 600_000 },
    { model: 'claude-sonnet-4', inputMicrosPerMillionTokens: 3_000_000, outputMicrosPerMillionTokens: 15_000_000 },
  ],
  instanceTypes: [
    { instanceType: 'cpu-small', microsPerHour: 36_000 },
    { instanceType: 'gpu-a10g', microsPerHour: 1_100_000 },
  ],
  storage: { microsPerGbMonth: 100_000 },
  toolExecution: { microsPerExecution: 1_000 },
};

export const resourceExample = {
  id: EX.resourceId,
  workspaceId: EX.workspaceId,
  memberId: EX.memberId,
  kind: 'instance' as const,
  instanceType: 'cpu-small',
  sizeBytes: null,
  status: 'running' as const,
  startedAt: EX.createdAt,
  stoppedAt: null,
  stopReason: null,
};
