#!/usr/bin/env node
import { COMMANDS, UsageError } from './cli/commands.js';
import { ConfigError } from './config.js';

const USAGE = [
  'usage: deposit-gateway <command> [options]      (deposit-gateway <command> --help for one)',
  '',
  'commands:',
  ...Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(46)} ${c.summary}`),
  '',
  'Configuration comes from the environment and ./.env; see README.md.',
].join('\n');

async function main(argv: string[]): Promise<void> {
  const [name = 'serve', ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command: ${name}`);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: deposit-gateway ${command.usage}\n\n${command.summary}\n`);
    return;
  }
  await command.run(args);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else if (err instanceof UsageError) process.stderr.write(`${err.message}\n\n${USAGE}\n`);
  else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
