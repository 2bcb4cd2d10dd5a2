/** CPU accounting of the Kafka figure: this process's, the broker's and the whole machine's. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { fmt, out } from './bench-output.js';

interface MachineSample {
  readonly at: number;
  /** Busy and total jiffies over every core, from /proc/stat; undefined off Linux. */
  readonly machine?: { readonly busy: number; readonly total: number };
  /** The broker's user + system jiffies, from /proc/<pid>/stat. */
  readonly broker?: number;
}

/** Over a span: the broker's CPU per message and how many of the machine's cores were busy. */
export interface MachineShare {
  readonly brokerMicrosPerMessage: number;
  readonly coresBusy: number;
  readonly cores: number;
}

/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture we run on. */
const JIFFY_MICROS = 10_000;

function sampleMachine(brokerPid: number): MachineSample {
  const sample: { at: number; machine?: { busy: number; total: number }; broker?: number } = { at: performance.now() };
  try {
    // cpu  user nice system idle iowait irq softirq steal ...
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    sample.machine = { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
    // After the command (in parentheses, may hold spaces): state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${brokerPid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    sample.broker = Number(rest[11]) + Number(rest[12]);
  } catch {
    // Not Linux, or the broker is gone: the machine figures are left out.
  }
  return sample;
}

function machineShare(from: MachineSample, to: MachineSample, messages: number): MachineShare | undefined {
  if (!from.machine || !to.machine || from.broker === undefined || to.broker === undefined || messages <= 0) return undefined;
  const cores = availableParallelism();
  const share = (to.machine.busy - from.machine.busy) / Math.max(1, to.machine.total - from.machine.total);
  return { brokerMicrosPerMessage: ((to.broker - from.broker) * JIFFY_MICROS) / messages, coresBusy: share * cores, cores };
}

/**
 * What the machine could give: the broker serving the fetches runs on the same cores, so a phase's
 * messages/s is bounded by cores / (this process's + the broker's CPU per message). The bound for
 * the service's ratio follows from CPU alone, whatever the other tenants of the machine do.
 */
export function reportMachine(raw: MachineShare, rawCpu: number, rawRate: number, service: MachineShare, serviceCpu: number): void {
  const rawTotal = rawCpu + raw.brokerMicrosPerMessage;
  const serviceTotal = serviceCpu + service.brokerMicrosPerMessage;
  out(`  machine: ${raw.cores} cores; busy during raw / service      ${raw.coresBusy.toFixed(2)} / ${service.coresBusy.toFixed(2)} cores (every process on the machine)`);
  out(`  broker CPU per message, raw / service        ${raw.brokerMicrosPerMessage.toFixed(1)} / ${service.brokerMicrosPerMessage.toFixed(1)} us;  engine + broker: ${rawTotal.toFixed(1)} / ${serviceTotal.toFixed(1)} us/msg`);
  const bound = (raw.cores * 1e6) / serviceTotal;
  out(`  CPU bound of the service on ${raw.cores} cores            ${fmt(bound).padStart(10)} msg/s   (ratio <= ${(bound / rawRate).toFixed(2)} against this run's raw rate)`);
  const coresFor = (rate: number): number => (rate * serviceTotal) / 1e6;
  out(`  cores on this machine at this CPU per message: ${coresFor(0.7 * rawRate).toFixed(1)} for 0.70 x raw, ${coresFor(100_000).toFixed(1)} for 100,000 msg/s (engine threads + the broker beside them)`);
}

/** Busy time of the event loop (main thread) since `since`, per message. */
function busyMicrosPerMessage(since: EventLoopUtilization, messages: number): number {
  const used = performance.eventLoopUtilization(since);
  return messages > 0 ? (used.active * 1000) / messages : Number.NaN;
}

/** CPU time (user + system) of this process since `since`, per message. */
function cpuMicrosPerMessage(since: NodeJS.CpuUsage, messages: number): number {
  const used = process.cpuUsage(since);
  return messages > 0 ? (used.user + used.system) / messages : Number.NaN;
}

/** One consumer's steady state: messages/s, CPU and event-loop busy time per message, its share of the machine. */
export interface Measured {
  readonly rate: number;
  readonly seconds: number;
  readonly cpu: number;
  readonly busy: number;
  readonly machine: MachineShare | undefined;
}

/** Where a measured span starts: the messages done, this process's CPU and event loop, the machine's counters. */
export interface SpanStart {
  readonly at: number;
  readonly done: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly elu: EventLoopUtilization;
  readonly machine: MachineSample;
}

/** Starts a span at `now`, with `done` messages behind it. */
export function startSpan(now: number, done: number, brokerPid: number): SpanStart {
  return { at: now, done, cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), machine: sampleMachine(brokerPid) };
}

/** The span from `start` to `now`, when `done` messages are behind it. */
export function endSpan(start: SpanStart, now: number, done: number, brokerPid: number): Measured {
  const messages = done - start.done;
  const seconds = (now - start.at) / 1000;
  return {
    rate: messages / seconds, seconds,
    cpu: cpuMicrosPerMessage(start.cpu, messages),
    busy: busyMicrosPerMessage(start.elu, messages),
    machine: machineShare(start.machine, sampleMachine(brokerPid), messages),
  };
}
