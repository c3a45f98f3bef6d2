// Every operation the simulator chooses from, by family. To add one: write it beside its family
// (or in a new file) and list it here; its weight decides how often it runs.
import { entryOps } from './entries';
import { faultOps } from './faults';
import { grantOps } from './grants';
import type { SimOp } from './op';
import { resourceOps } from './resources';
import { settlementOps } from './settlement';
import { stripeOps } from './stripe';
import { usageOps } from './usage';
import { workspaceOps } from './workspaces';

export const OPS: readonly SimOp[] = [...workspaceOps, ...entryOps, ...grantOps, ...usageOps, ...resourceOps, ...stripeOps, ...settlementOps, ...faultOps];
