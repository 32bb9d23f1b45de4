// The `gradnoise` command line: `gradnoise train` (one run), `gradnoise sweep` (seeded restarts from a
// spec, locally or over BullMQ on Redis), `gradnoise worker` (runs a queue's sweep jobs), `gradnoise
// reproduce table1` (the paper's MNIST experiment, a built-in sweep), `gradnoise babi generate` (the
// generated bAbI tasks as files) and `gradnoise export` (a trained model as ONNX or a PyTorch state_dict).
// Arguments are parsed by commander; every bad flag or value is an error naming it and what is allowed,
// with a non-zero exit. Library errors print as one line.
import { Command, CommanderError } from 'commander';
import { babiCommand } from './babi.js';
import { exportCommand } from './export.js';
import { sweepCommand, workerCommand } from './sweep.js';
import { memnnCommand, neuralGpuCommand } from './reproduce.js';
import { reproduceCommand } from './table1.js';
import { trainCommand } from './train.js';

export function program(): Command {
  const p = new Command('gradnoise')
    .description('Train deep networks on the CPU with annealed gradient noise (Neelakantan et al. 2015).')
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .exitOverride();
  p.addCommand(trainCommand().exitOverride().showSuggestionAfterError(true));
  p.addCommand(sweepCommand().exitOverride().showSuggestionAfterError(true));
  p.addCommand(workerCommand().exitOverride().showSuggestionAfterError(true));
  p.addCommand(reproduceCommand().addCommand(memnnCommand()).addCommand(neuralGpuCommand()));
  p.addCommand(babiCommand());
  p.addCommand(exportCommand().exitOverride().showSuggestionAfterError(true));
  p.addHelpText('after', '\nRun `gradnoise <command> --help` for the options of a command.');
  return p;
}

/** Runs the command line `argv` (without node and the script). */
export async function main(argv: string[]): Promise<number> {
  const p = program();
  try {
    if (argv.length === 0) {
      p.outputHelp();
      return 1;
    }
    await p.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander has printed the message (or the help)
    process.stderr.write(`gradnoise: error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
