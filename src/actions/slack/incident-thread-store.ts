import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../shared/logger.js';
import { pruneJsonFiles, readJsonFile, stateFileName, writeJsonFileAtomic } from '../../shared/state-file.js';

const severitySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);

const evidenceLineSchema = z.object({
  feature: z.string(),
  observed: z.number(),
  expected: z.number(),
  score: z.number(),
  details: z.array(z.string()).exactOptional(),
});

const summarySchema = z.object({
  title: z.string(),
  entityKey: z.string(),
  severity: severitySchema,
  detectors: z.array(z.string()),
  maxScore: z.number(),
  anomalies: z.number().int().nonnegative(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  /** Evidence of the latest anomaly, and its detector. */
  evidence: z.array(evidenceLineSchema),
  evidenceDetector: z.string(),
  /** One line per action taken on the incident, oldest first. */
  actions: z.array(z.string()),
  mentions: z.array(z.string()),
});

const messageRefSchema = z.object({
  /** The channel as the playbook wrote it (`#soc-alerts`), to find the thread again. */
  requested: z.string(),
  /** The channel id Slack answered with; `chat.update` takes ids only. */
  channel: z.string(),
  /** The parent message: the thread's `thread_ts`. */
  ts: z.string(),
});

/** The stored form of an incident's thread, validated whenever it is read back. */
export const incidentThreadSchema = z.object({
  incidentId: z.string(),
  summary: summarySchema,
  messages: z.array(messageRefSchema),
  /** Idempotency keys of the notify steps already applied, most recent last. */
  appliedKeys: z.array(z.string()),
  /** Anomalies already shown, so a repeat is not announced twice. */
  seenAnomalies: z.array(z.string()),
});

/** What the incident's message shows; rebuilt into blocks on every update. */
export type IncidentSummary = z.infer<typeof summarySchema>;
/** One line of evidence: a feature observed against its expectation. */
export type EvidenceLine = z.infer<typeof evidenceLineSchema>;
/** Where an incident's parent message lives in one channel. */
export type IncidentMessageRef = z.infer<typeof messageRefSchema>;
/** Everything kept about one incident's Slack thread. */
export type IncidentThread = z.infer<typeof incidentThreadSchema>;

/**
 * Where each incident's thread is kept. It must outlive the process: after a restart the next
 * notification for an open incident has to update the same message, not start a second thread.
 */
export interface IncidentThreadStore {
  get(incidentId: string): Promise<IncidentThread | undefined>;
  set(incidentId: string, thread: IncidentThread): Promise<void>;
  /** Forgets threads not updated since `before` (epoch ms); returns how many. */
  prune?(before: number): Promise<number>;
}

/**
 * Keeps one JSON file per incident under `<state dir>/slack/threads/`, each written atomically.
 * A file that does not parse is reported and treated as absent: a second thread is a smaller harm
 * than an incident nobody is told about.
 */
export class FileIncidentThreadStore implements IncidentThreadStore {
  private readonly dir: string;

  constructor(stateDir: string, private readonly logger?: Logger) {
    this.dir = join(stateDir, 'slack', 'threads');
  }

  async get(incidentId: string): Promise<IncidentThread | undefined> {
    const file = join(this.dir, stateFileName(incidentId));
    let raw: unknown;
    try {
      raw = await readJsonFile(file);
    } catch (error) {
      this.logger?.error({ file, err: error instanceof Error ? error.message : String(error) }, 'incident thread file is unreadable; starting a new thread');
      return undefined;
    }
    if (raw === undefined) return undefined;
    const parsed = incidentThreadSchema.safeParse(raw);
    if (!parsed.success || parsed.data.incidentId !== incidentId) {
      this.logger?.error({ file }, 'incident thread file does not hold a valid thread for this incident; starting a new thread');
      return undefined;
    }
    return parsed.data;
  }

  async set(incidentId: string, thread: IncidentThread): Promise<void> {
    await writeJsonFileAtomic(this.dir, stateFileName(incidentId), thread);
  }

  /** An incident quiet that long is over: a later anomaly on the entity opens a new incident anyway. */
  prune(before: number): Promise<number> {
    return pruneJsonFiles(this.dir, before, () => true);
  }
}

/** Keeps threads in memory: for dry runs and tests that do not restart. */
export class MemoryIncidentThreadStore implements IncidentThreadStore {
  private readonly threads = new Map<string, IncidentThread>();

  get(incidentId: string): Promise<IncidentThread | undefined> {
    return Promise.resolve(this.threads.get(incidentId));
  }

  set(incidentId: string, thread: IncidentThread): Promise<void> {
    this.threads.set(incidentId, structuredClone(thread));
    return Promise.resolve();
  }
}
