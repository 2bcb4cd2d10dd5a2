/**
 * Exit codes of every command: 0 when all is well, 1 when the command did its job and found
 * something (configuration problems, a tampered ledger, a playbook test that does not hold), 2 when
 * it could not do its job (an unknown option, a missing file, a backend it cannot reach).
 */
export const EXIT_CODE = { ok: 0, findings: 1, usage: 2 } as const;
