// Every operation the simulator chooses from, by family. To add one: write it beside its family
// (or in a new file) and list it here; its weight decides how often it runs.
import { alertOps } from './alerts';
import { entryOps } from './entries';
import { faultOps } from './faults';
import { grantOps } from './grants';
import { holdOps } from './holds';
import type { SimOp } from './op';
import { regionOps } from './regions';
import { resourceOps } from './resources';
import { settlementOps } from './settlement';
import { spendLimitOps } from './spend_limits';
import { stripeOps } from './stripe';
import { usageOps } from './usage';
import { workspaceOps } from './workspaces';

export const OPS: readonly SimOp[] = [...workspaceOps, ...entryOps, ...grantOps, ...holdOps, ...spendLimitOps, ...regionOps, ...alertOps, ...usageOps, ...resourceOps, ...stripeOps, ...settlementOps, ...faultOps];
