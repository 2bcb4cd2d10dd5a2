import { join } from 'node:path';
import { z } from 'zod';
import { FileRunStore } from '../playbook/run-store.js';
import { listJsonFiles, readJsonFile } from '../shared/state-file.js';
import { newestFirst, type ConsoleResource } from './console-resource.js';
import { StateDirError } from './ledger-records.js';
import { stat } from 'node:fs/promises';

const iso = (ms: number): string => (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));

/** A run file as the console reads it: what it shows, checked; the rest is not looked at. */
const storedRunSchema = z.object({
  id: z.string(),
  playbook: z.string(),
  incidentId: z.string(),
  createdAt: z.number(),
  dryRun: z.boolean(),
  state: z.enum(['running', 'waiting', 'done', 'aborted']),
  next: z.number(),
  gate: z.object({ step: z.number(), approvalId: z.string(), deadline: z.number() }).optional(),
  anomaly: z.object({ detector: z.string(), entity: z.object({ key: z.string() }) }),
  results: z.array(z.object({
    index: z.number(), step: z.string(), action: z.string(), target: z.string(), outcome: z.string(), description: z.string(),
    reason: z.string().optional(), at: z.number(),
  })),
});

const stepSchema = z.object({
  index: z.number(), step: z.string(), action: z.string(), target: z.string(), outcome: z.string(), description: z.string(),
  reason: z.string().exactOptional(), at: z.string(),
});

const runSchema = z.object({
  id: z.string(), playbook: z.string(), incidentId: z.string(), entity: z.string(), detector: z.string(), createdAt: z.string(), dryRun: z.boolean(),
  state: z.enum(['running', 'waiting', 'done', 'aborted']), steps: z.array(stepSchema),
  waitingFor: z.object({ approvalId: z.string(), deadline: z.string() }).exactOptional(),
});

/** A playbook run as the console shows it. */
export type RunView = z.output<typeof runSchema>;

function view(run: z.output<typeof storedRunSchema>): RunView {
  return {
    id: run.id, playbook: run.playbook, incidentId: run.incidentId, entity: run.anomaly.entity.key, detector: run.anomaly.detector,
    createdAt: iso(run.createdAt), dryRun: run.dryRun, state: run.state,
    steps: run.results.map((r) => ({
      index: r.index, step: r.step, action: r.action, target: r.target, outcome: r.outcome, description: r.description,
      ...(r.reason !== undefined ? { reason: r.reason } : {}), at: iso(r.at),
    })),
    ...(run.gate ? { waitingFor: { approvalId: run.gate.approvalId, deadline: iso(run.gate.deadline) } } : {}),
  };
}

async function runsDir(stateDir: string): Promise<string> {
  const ok = await stat(stateDir).then((s) => s.isDirectory(), () => false);
  if (!ok) throw new StateDirError('state-dir-missing', `${stateDir} does not exist or is not a directory`);
  return join(stateDir, 'runs');
}

/** Playbook runs, from `<state dir>/runs/` (kept until `stateRetention` after they finish). */
export const runsResource: ConsoleResource<RunView> = {
  name: 'runs',
  singular: 'run',
  description: 'playbook runs: their steps, outcomes and the approval a run waits for',
  schema: runSchema,
  async list(stateDir, query) {
    const dir = await runsDir(stateDir);
    const runs: RunView[] = [];
    let unreadable = 0;
    for (const name of await listJsonFiles(dir)) {
      const parsed = storedRunSchema.safeParse(await readJsonFile(join(dir, name)).catch(() => undefined));
      if (parsed.success) runs.push(view(parsed.data));
      else unreadable++;
    }
    return {
      items: newestFirst(runs, (r) => Date.parse(r.createdAt), query),
      notes: unreadable > 0 ? [`${unreadable} run file(s) in ${dir} could not be read`] : [],
    };
  },
  async show(stateDir, id) {
    const parsed = storedRunSchema.safeParse(await new FileRunStore(await runsDir(stateDir)).get(id).catch(() => undefined));
    return parsed.success ? view(parsed.data) : undefined;
  },
  header: ['ID', 'STATE', 'CREATED', 'PLAYBOOK', 'INCIDENT', 'ENTITY', 'STEPS'],
  row: (r) => [r.id, `${r.state}${r.dryRun ? ' (dry-run)' : ''}`, r.createdAt, r.playbook, r.incidentId, r.entity, r.steps.map((s) => s.outcome).join(',') || '-'],
  fields: (r) => [
    ['id', r.id], ['playbook', r.playbook], ['incident', r.incidentId], ['entity', r.entity], ['detector', r.detector],
    ['created', r.createdAt], ['state', `${r.state}${r.dryRun ? ' (dry-run)' : ''}`],
    ['waiting for', r.waitingFor ? `approval ${r.waitingFor.approvalId} until ${r.waitingFor.deadline}` : undefined],
    ...r.steps.map((s) => [`step ${s.index + 1}`, `${s.step}: ${s.action} on ${s.target}: ${s.outcome}, ${s.description}${s.reason !== undefined ? ` (${s.reason})` : ''}`] as const),
  ],
};
