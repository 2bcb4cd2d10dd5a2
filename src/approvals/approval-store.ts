import { join } from 'node:path';
import { z } from 'zod';
import { describeZodIssues } from '../shared/describe-issues.js';
import { listJsonFiles, pruneJsonFiles, readJsonFile, stateFileName, writeJsonFileAtomic } from '../shared/state-file.js';
import { MeshwardenError } from '../shared/errors.js';
import type { ApprovalRecord } from './approval-types.js';

const targetSchema = z.object({
  kind: z.string(),
  namespace: z.string().exactOptional(),
  name: z.string(),
  uid: z.string().exactOptional(),
  resourceVersion: z.string().exactOptional(),
});

const subjectSchema = z.object({
  action: z.string(),
  params: z.record(z.string(), z.unknown()),
  target: targetSchema,
  description: z.string().exactOptional(),
});

const decisionSchema = z.object({
  approvalId: z.string(),
  incidentId: z.string(),
  playbook: z.string(),
  runId: z.string().exactOptional(),
  outcome: z.enum(['approved', 'denied', 'timed-out', 'void']),
  proceed: z.boolean(),
  by: z.array(z.string()),
  at: z.number(),
  reason: z.string(),
  subjects: z.array(z.string()),
});

/** The stored form of an approval, validated whenever it is read back. */
export const approvalRecordSchema = z.object({
  id: z.string(),
  idempotencyKey: z.string(),
  incidentId: z.string(),
  caseId: z.string().exactOptional(),
  caseRoot: z.string().exactOptional(),
  playbook: z.string(),
  runId: z.string().exactOptional(),
  policy: z.object({
    channel: z.string(),
    approvers: z.object({ users: z.array(z.string()), groups: z.array(z.string()) }),
    required: z.number().int().min(1),
    timeoutMs: z.number().positive(),
    onTimeout: z.enum(['approve', 'deny']),
  }),
  subjects: z.array(subjectSchema).min(1),
  createdAt: z.number(),
  expiresAt: z.number(),
  message: z.object({ channel: z.string(), ts: z.string(), threadTs: z.string() }).exactOptional(),
  approvals: z.array(z.object({ user: z.string(), at: z.number() })),
  decision: decisionSchema.exactOptional(),
});

const seenSchema = z.array(z.tuple([z.string(), z.number()]));

/**
 * Where approvals and the replay memory are kept. Pending approvals must survive a restart: an
 * approver who clicks after the engine restarted must still be heard, and a timeout still applies.
 */
export interface ApprovalStore {
  loadApprovals(): Promise<ApprovalRecord[]>;
  saveApproval(record: ApprovalRecord): Promise<void>;
  /** Interaction keys already handled, with the time until which each is remembered. */
  loadSeen(): Promise<[string, number][]>;
  saveSeen(entries: readonly (readonly [string, number])[]): Promise<void>;
  /** Forgets approvals decided before `before` (epoch ms, the engine's clock); returns how many. */
  pruneDecided?(before: number): Promise<number>;
}

/** A stored approval could not be read back. The engine refuses to start rather than drop it. */
export class ApprovalStateError extends MeshwardenError {
  constructor(message: string, cause?: unknown) {
    super('approval-state-invalid', message, { cause });
  }
}

/**
 * One JSON file per approval under `<state dir>/approvals/records/`, and the replay memory in
 * `<state dir>/approvals/seen-interactions.json`; every write is atomic.
 */
export class FileApprovalStore implements ApprovalStore {
  private readonly dir: string;
  private readonly recordsDir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'approvals');
    this.recordsDir = join(this.dir, 'records');
  }

  async loadApprovals(): Promise<ApprovalRecord[]> {
    const records: ApprovalRecord[] = [];
    for (const name of await listJsonFiles(this.recordsDir)) {
      const file = join(this.recordsDir, name);
      let raw: unknown;
      try {
        raw = await readJsonFile(file);
      } catch (error) {
        throw new ApprovalStateError(`${file}: not valid JSON; fix or remove the file (the approval it held is lost)`, error);
      }
      const parsed = approvalRecordSchema.safeParse(raw);
      if (!parsed.success) {
        throw new ApprovalStateError(`${file}: not a valid approval (${describeZodIssues(parsed.error)}); fix or remove the file`);
      }
      records.push(parsed.data);
    }
    return records;
  }

  async saveApproval(record: ApprovalRecord): Promise<void> {
    await writeJsonFileAtomic(this.recordsDir, stateFileName(record.id), record);
  }

  async loadSeen(): Promise<[string, number][]> {
    const raw = await readJsonFile(join(this.dir, 'seen-interactions.json')).catch(() => undefined);
    const parsed = seenSchema.safeParse(raw ?? []);
    // Losing the replay memory only reopens replays inside the 5-minute window; not worth refusing to start.
    return parsed.success ? parsed.data : [];
  }

  async saveSeen(entries: readonly (readonly [string, number])[]): Promise<void> {
    await writeJsonFileAtomic(this.dir, 'seen-interactions.json', entries);
  }

  pruneDecided(before: number): Promise<number> {
    return pruneJsonFiles(this.recordsDir, undefined, (record) => {
      const decided = (record as Partial<ApprovalRecord> | undefined)?.decision?.at;
      return decided !== undefined && decided < before;
    });
  }
}

/** Keeps everything in memory: for dry runs and tests that do not restart. */
export class MemoryApprovalStore implements ApprovalStore {
  private readonly records = new Map<string, ApprovalRecord>();
  private seen: [string, number][] = [];

  loadApprovals(): Promise<ApprovalRecord[]> {
    return Promise.resolve([...this.records.values()].map((r) => structuredClone(r)));
  }

  saveApproval(record: ApprovalRecord): Promise<void> {
    this.records.set(record.id, structuredClone(record));
    return Promise.resolve();
  }

  loadSeen(): Promise<[string, number][]> {
    return Promise.resolve(this.seen.map(([k, v]) => [k, v]));
  }

  saveSeen(entries: readonly (readonly [string, number])[]): Promise<void> {
    this.seen = entries.map(([k, v]) => [k, v]);
    return Promise.resolve();
  }
}
