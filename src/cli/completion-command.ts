import { Command } from 'commander';

/** One command of the tree, by its path of names from the root. */
interface CommandNode {
  readonly path: readonly string[];
  readonly description: string;
  readonly subcommands: readonly string[];
  readonly options: readonly { readonly long: string; readonly short?: string; readonly description: string }[];
}

function walk(command: Command, path: readonly string[] = []): CommandNode[] {
  const node: CommandNode = {
    path,
    description: command.description(),
    subcommands: command.commands.map((c) => c.name()),
    // Hidden options (kept only to explain where something moved) are not offered.
    options: [...command.options.flatMap((o) => (o.long === undefined || o.hidden ? [] : [{ long: o.long, ...(o.short !== undefined ? { short: o.short } : {}), description: o.description }])), { long: '--help', short: '-h', description: 'display help' }],
  };
  return [node, ...command.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

/** Quoted for a shell's single quotes. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function bashScript(name: string, nodes: readonly CommandNode[]): string {
  const key = (path: readonly string[]): string => path.join(' ');
  const known = nodes.filter((n) => n.path.length > 0).map((n) => sq(key(n.path))).join('|');
  const cases = nodes.map((n) => `    ${sq(key(n.path))}) words=${sq([...n.subcommands, ...n.options.flatMap((o) => [o.long, ...(o.short ? [o.short] : [])])].join(' '))} ;;`).join('\n');
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return `# ${name} completion for bash: source <(${name} completion bash)
${fn}() {
  local cur path candidate words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) continue ;; esac
    candidate="\${path:+$path }\${COMP_WORDS[i]}"
    case "$candidate" in
      ${known}) path="$candidate" ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function zshScript(name: string, nodes: readonly CommandNode[]): string {
  // zsh runs bash completion functions through bashcompinit, so both shells complete the same words.
  return `#compdef ${name}
# ${name} completion for zsh: source <(${name} completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashScript(name, nodes)}`;
}

function fishScript(name: string, nodes: readonly CommandNode[]): string {
  const lines = [`# ${name} completion for fish: ${name} completion fish | source`, `complete -c ${name} -f`];
  for (const node of nodes) {
    const condition = node.path.length === 0
      ? '__fish_use_subcommand'
      : `${node.path.map((p) => `__fish_seen_subcommand_from ${p}`).join('; and ')}${node.subcommands.length > 0 ? `; and not __fish_seen_subcommand_from ${node.subcommands.join(' ')}` : ''}`;
    const parent = node.path.length === 0 ? undefined : node;
    for (const sub of node.subcommands) {
      const child = nodes.find((n) => n.path.length === node.path.length + 1 && n.path.at(-1) === sub && n.path.slice(0, -1).join(' ') === node.path.join(' '));
      lines.push(`complete -c ${name} -n ${sq(condition)} -a ${sq(sub)} -d ${sq(child?.description.split(':')[0] ?? '')}`);
    }
    for (const option of (parent ?? node).options) {
      const short = option.short !== undefined ? ` -s ${option.short.slice(1)}` : '';
      lines.push(`complete -c ${name} -n ${sq(condition)} -l ${option.long.slice(2)}${short} -d ${sq(option.description.slice(0, 80))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `meshwarden completion bash|zsh|fish`: a completion script for the commands and options of this version. */
export function completionCommand(root: () => Command): Command {
  return new Command('completion')
    .description('print a shell completion script: bash (source <(meshwarden completion bash)), zsh, fish (meshwarden completion fish | source)')
    .argument('<shell>', 'bash | zsh | fish')
    .action((shell: string, _opts: unknown, command: Command) => {
      const program = root();
      const nodes = walk(program);
      const name = program.name();
      if (shell === 'bash') process.stdout.write(bashScript(name, nodes));
      else if (shell === 'zsh') process.stdout.write(zshScript(name, nodes));
      else if (shell === 'fish') process.stdout.write(fishScript(name, nodes));
      else command.error(`error: no completion for "${shell}"; use bash, zsh or fish`, { exitCode: 2 });
    });
}
