import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadLedgerKey, type LedgerVerifier } from '../audit/ledger-signer.js';
import { parseTopicCopy, type TopicCopy } from '../audit/topic-copy.js';
import { parseTransitKey, transitSigner } from '../audit/transit-signer.js';
import { verifyLedger, type VerifyResult } from '../audit/verify-ledger.js';
import { LedgerError } from '../shared/errors.js';
import { LEDGER_FILE } from '../audit/ledger-record.js';
import { terminalText } from '../shared/terminal-text.js';
import { auditExportCommand, auditShowCommand } from './audit-story-commands.js';
import { EXIT_CODE } from './exit-code.js';

interface VerifyOptions {
  key?: string;
  transit?: string;
  vaultAddress?: string;
  expectLedgerId?: string;
  topicCopy?: string;
  brokers?: string;
  auditTopic: string;
}

/** Exit codes of `audit verify`: intact, tampered, could not check. */
const EXIT = { intact: 0, tampered: EXIT_CODE.findings, usage: EXIT_CODE.usage } as const;

/** `meshwarden audit verify <state dir>`, `audit show <incident-id>`, `audit export`. */
export function auditCommand(): Command {
  const audit = new Command('audit').description('inspect the tamper-evident audit ledger');
  audit
    .command('verify')
    .description('check the ledger in a state directory: its hash chain, its signed checkpoints and, given one, the audit topic copy; exit 0 intact, 1 tampered, 2 usage error')
    .argument('<state-dir>', 'the --state directory of a run (or its audit/ subdirectory)')
    .option('--key <file>', 'the ledger key: an Ed25519 public (or private) key PEM, or the HMAC secret file')
    .option('--transit <mount/key>', 'verify with a Vault transit key (VAULT_ADDR or --vault-address, token in MESHWARDEN_VAULT_TOKEN or VAULT_TOKEN)')
    .option('--vault-address <url>', 'Vault address for --transit')
    .option('--expect-ledger-id <id>', 'fail unless the ledger has this id (printed by verify and published with every checkpoint)')
    .option('--topic-copy <file>', 'the audit topic copy (message values, one a line) to hold against the files')
    .option('--brokers <host:port,...>', 'read the audit topic copy from Kafka instead of a file')
    .option('--audit-topic <name>', 'the audit topic, with --brokers', 'meshwarden-audit')
    .action(async (stateDir: string, opts: VerifyOptions) => {
      const usage = (message: string): void => {
        process.stderr.write(`error: ${terminalText(message, 1024)}\n`);
        process.exitCode = EXIT.usage;
      };
      const dir = await ledgerDir(stateDir);
      if (dir === undefined) {
        // A mistyped path is a usage error, never evidence of tampering.
        usage(await exists(stateDir) ? `no audit ledger in ${stateDir} (no ${LEDGER_FILE} in it or its audit/ subdirectory)` : `${stateDir} does not exist`);
        return;
      }
      let verifier: LedgerVerifier | undefined;
      let topicCopy: TopicCopy | undefined;
      try {
        verifier = await verifierFrom(opts);
        if (opts.topicCopy !== undefined && opts.brokers !== undefined) throw new LedgerError('topic-copy-invalid', 'give --topic-copy or --brokers, not both');
        if (opts.topicCopy !== undefined) topicCopy = parseTopicCopy(await readText(opts.topicCopy), opts.topicCopy);
        if (opts.brokers !== undefined) {
          // kafkajs loads only when the copy is read from Kafka.
          const { readTopicCopyFromKafka } = await import('../audit/topic-copy-kafka.js');
          topicCopy = await readTopicCopyFromKafka(opts.brokers.split(',').filter((b) => b !== ''), opts.auditTopic);
        }
      } catch (error) {
        if (error instanceof LedgerError) { usage(error.message); return; }
        throw error;
      }
      let result: VerifyResult;
      try {
        result = await verifyLedger(dir, {
          ...(verifier ? { verifier } : {}),
          ...(opts.expectLedgerId === undefined ? {} : { expectLedgerId: opts.expectLedgerId }),
          ...(topicCopy ? { topicCopy } : {}),
        });
      } catch (error) {
        // A transit key Vault will not use, or a Vault that is down, is not evidence of tampering.
        if (error instanceof LedgerError) { usage(error.message); return; }
        throw error;
      }
      process.stdout.write(describe(result));
      process.exitCode = result.ok ? EXIT.intact : EXIT.tampered;
    });
  return audit.addCommand(auditShowCommand()).addCommand(auditExportCommand());
}

/** The directory holding ledger.jsonl: `<state>/audit`, or the directory itself. */
async function ledgerDir(stateDir: string): Promise<string | undefined> {
  for (const dir of [join(stateDir, 'audit'), stateDir]) {
    if (await exists(join(dir, LEDGER_FILE))) return dir;
  }
  // A state directory whose ledger was deleted is evidence, not a usage error.
  return (await exists(join(stateDir, 'audit'))) ? join(stateDir, 'audit') : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new LedgerError('topic-copy-unreadable', `cannot read the topic copy ${path} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}

async function verifierFrom(opts: VerifyOptions): Promise<LedgerVerifier | undefined> {
  if (opts.key !== undefined && opts.transit !== undefined) throw new LedgerError('ledger-key-invalid', 'give --key or --transit, not both');
  if (opts.key !== undefined) return (await loadLedgerKey(opts.key)).verifier;
  if (opts.transit === undefined) return undefined;
  const transit = parseTransitKey(opts.transit);
  if (!transit) throw new LedgerError('ledger-key-invalid', `--transit ${JSON.stringify(opts.transit)} is not <mount>/<key>`);
  const endpoint = opts.vaultAddress ?? process.env.VAULT_ADDR;
  const token = process.env.MESHWARDEN_VAULT_TOKEN ?? process.env.VAULT_TOKEN;
  if (endpoint === undefined || token === undefined) throw new LedgerError('ledger-key-unreadable', '--transit needs a Vault address (--vault-address or VAULT_ADDR) and a token (MESHWARDEN_VAULT_TOKEN or VAULT_TOKEN)');
  const { default: NodeVault } = await import('node-vault');
  return transitSigner(NodeVault({ apiVersion: 'v1', endpoint, token }), transit);
}

function describe(result: VerifyResult): string {
  if (!result.ok) {
    const where = result.line > 0 ? `record at line ${result.line}${result.seq !== undefined ? ` (seq ${result.seq})` : ''}: ` : '';
    return `TAMPERED: ${where}${terminalText(result.problem, 1024)}\n`;
  }
  const lines = [`ok: ${result.records} record(s), chain intact`];
  if (result.signing === 'unsigned') {
    lines.push('unsigned: detects accidents, not forgery (no signed checkpoints; run with a ledger key)');
  } else {
    const id = result.ledgerId === undefined ? '' : `ledger ${result.ledgerId}, `;
    lines.push(result.signing === 'verified'
      ? `signed: ${id}${result.checkpoints} checkpoint(s) verified, records 1-${result.signedThrough} proven`
      : `not checked: ${id}${result.checkpoints} checkpoint(s) agree with the chain, but their signatures were not checked (give --key or --transit)`);
    if (result.unsignedTail > 0) {
      lines.push(`unsigned tail: ${result.unsignedTail} record(s) after the last checkpoint (seq ${result.signedThrough}); records cut from after it cannot be proven missing from these files`);
    }
  }
  if (result.topicCopy) lines.push(`topic copy agrees: ${result.topicCopy.checkpoints} checkpoint(s), ${result.topicCopy.records} record(s)`);
  return `${lines.join('\n')}\n`;
}
