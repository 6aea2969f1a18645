// The subcommand table. A new command is one entry here plus one file exporting its `run`.
// Entries import their module on use, so `qaf --help` or one command does not load every
// other command's dependencies (onnxruntime-web, data loaders, the factorization core).

export interface Command {
  /** One line for `qaf --help`. */
  summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number> | number;
}

export const commands: Record<string, Command> = {
  inspect: {
    summary: 'list the weight layers of an ONNX model with shapes, parameters and MACs',
    run: async (argv) => (await import('./inspect.ts')).inspectCommand(argv),
  },
  compress: {
    summary: 'compress layers by QAF (ADMM), FTQ, PTQ or float CP and report their errors',
    run: async (argv) => (await import('./compress.ts')).compressCommand(argv),
  },
  eval: {
    summary: 'accuracy, agreement with a reference, KL and latency in onnxruntime-web',
    run: async (argv) => (await import('./eval.ts')).evalCommand(argv),
  },
  sweep: {
    summary: 'evaluate a grid of methods x rates x bits (cached), with and without calibration',
    run: async (argv) => (await import('./sweep.ts')).sweepCommand(argv),
  },
  sensitivity: {
    summary: 'per layer and option, what compressing that layer alone costs (KL, agreement)',
    run: async (argv) => (await import('./sensitivity.ts')).sensitivityCommand(argv),
  },
  allocate: {
    summary: 'per-layer rank and bits within a BOP or size budget, from a sensitivity table',
    run: async (argv) => (await import('./allocate.ts')).allocateCommand(argv),
  },
};
