import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../../env/process-supervisor.js';

const run = promisify(execFile);

/** A throwaway PostgreSQL server on loopback, for the database secrets engine to manage. */
export interface PostgresServer {
  readonly port: number;
  /** Superuser `postgres`, password-authenticated over TCP. */
  readonly superuserPassword: string;
  /** Whether `user` can log in with `password` over TCP. */
  canLogin(user: string, password: string): Promise<boolean>;
  /** Runs SQL as the superuser. */
  sql(statement: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL from the Debian `postgresql` package's binaries (initdb + pg_ctl) in a temp
 * directory, listening on 127.0.0.1 only, with SCRAM password authentication for TCP clients.
 * PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system user
 * the package creates.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port for PostgreSQL');
  const dir = mkdtempSync(join(tmpdir(), 'meshwarden-postgres-'));
  const superuserPassword = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${superuserPassword}\n`);
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(uid.trim()), Number(gid.trim()));
    chownSync(pwfile, Number(uid.trim()), Number(gid.trim()));
  }
  const asServerUser = (command: string, args: readonly string[]): Promise<{ stdout: string }> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), [...args]);

  const data = join(dir, 'data');
  await asServerUser('initdb', ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8']);
  const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c full_page_writes=off`;
  await asServerUser('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);

  const psql = async (user: string, password: string, statement: string): Promise<void> => {
    await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-tAc', statement], {
      env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
    });
  };
  return {
    port,
    superuserPassword,
    canLogin: async (user, password) => {
      try {
        await psql(user, password, 'select 1');
        return true;
      } catch {
        return false;
      }
    },
    sql: (statement) => psql('postgres', superuserPassword, statement),
    stop: async () => {
      try {
        await asServerUser('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The directory holding initdb and pg_ctl: Debian installs them under /usr/lib/postgresql/<major>/bin. */
function postgresBinDir(): string {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((entry) => /^\d+$/.test(entry)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = join(debian, version, 'bin');
      if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
    }
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/<version>/bin; ' +
      'the database-credentials test needs the Debian package: apt-get install postgresql',
  );
}
