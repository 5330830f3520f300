import * as z from 'zod';
import { defineTask } from '../../lib/runtime';

/**
 * The tasks of the `reports` queue in docs/platform.md's "pass your own definition" example: long, memory-hungry
 * renders that get their own queue and consumer (`examples/reports/reports-consumer.ts`).
 */

/** `report.render-pdf`: renders a report to a PDF (here: counts its rows) within ten minutes. */
export const renderPdf = defineTask({
  name: 'report.render-pdf',
  schema: z.object({ reportId: z.string().min(1).max(200), rows: z.array(z.unknown()) }),
  timeLimitSeconds: 590,
  maxAttempts: 2,
  handler: (payload) => ({ reportId: payload.reportId, pages: Math.max(1, Math.ceil(payload.rows.length / 50)) }),
});

/** Every task the reports consumer runs. */
export const reportTasks = [renderPdf] as const;
