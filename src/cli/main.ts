// `qaf <command> [args]`: dispatch through the command table, one-line errors, exit codes.
import { commands } from './commands.ts';
import { errorLine } from './util.ts';

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `usage: qaf <command> [options]\n\ncommands:\n${list}\n\nRun "qaf <command> --help" for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && commands[rest[0]]) return commands[rest[0]].run(['--help']);
    console.log(helpText());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`qaf: unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (process.env.QAF_DEBUG) console.error(err);
    console.error(errorLine(err));
    return 1;
  }
}
