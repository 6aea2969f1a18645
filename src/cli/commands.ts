// The subcommand table. A new command is one entry here plus one file exporting its `run`.
import { evalCommand } from './eval.ts';
import { inspectCommand } from './inspect.ts';
import { sweepCommand } from './sweep.ts';

export interface Command {
  /** One line for `qaf --help`. */
  summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number> | number;
}

export const commands: Record<string, Command> = {
  inspect: {
    summary: 'list the weight layers of an ONNX model with shapes, parameters and MACs',
    run: inspectCommand,
  },
  eval: {
    summary: 'accuracy, agreement with a reference, KL and latency in onnxruntime-web',
    run: evalCommand,
  },
  sweep: {
    summary: 'evaluate a grid of methods x rates x bits (cached), with and without calibration',
    run: sweepCommand,
  },
};
