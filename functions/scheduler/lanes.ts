/**
 * The lanes the scheduler sends to, as the CDK app hands them over in `COMETFLOW_LANES`:
 * `{ <lane>: { stage, priority, queueUrl } }`. The same table the rules were resolved against at
 * synth, with each lane's queue.
 */
// The namespace import lets esbuild drop zod's unused parts (its locales alone are 258 KiB).
import * as z from 'zod';
import { Priorities } from '#shared/config.ts';

/** The schema of `COMETFLOW_LANES`. */
export const LanesSchema = z.record(
  z.string().min(1),
  z.object({
    stage: z.enum(['scheduler', 'ingest', 'ingest-container', 'process', 'deliver']),
    priority: z.enum(Priorities),
    queueUrl: z.string().min(1),
  }),
);

/** A lane with its queue. */
export type DeployedLane = z.infer<typeof LanesSchema>[string];
