// Registers `gliner-serve bench` (the benchmark CLI; see bench/README.md).
import type { Command } from 'commander';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Benchmark a server (see bench/README.md).')
    .allowUnknownOption(true)
    .action(() => {
      process.stderr.write('bench: not implemented yet\n');
      process.exit(2);
    });
}
