// Debian's Python for the suites that check gradnoise's files with Python tools (the ONNX checker of
// python3-onnx, PyTorch's load_state_dict of python3-torch). Not a test file itself.
//
// A missing interpreter or module skips those tests with a warning, unless GRADNOISE_PYTHON_TESTS=required
// (set by .ci/run, which installs python3-onnx and python3-torch), which makes it a failure.
// GRADNOISE_PYTHON points at another interpreter (default /usr/bin/python3).
import { execFileSync, spawnSync } from 'node:child_process';

export const PYTHON = process.env.GRADNOISE_PYTHON ?? '/usr/bin/python3';

/** Whether PYTHON imports `module`; warns (or throws, when required) if not. */
export function hasPython(module: string, packageName: string, what: string): boolean {
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8' });
  if (r.status === 0) return true;
  const why = r.error ? `${PYTHON} does not run (${r.error.message})` : `${PYTHON} cannot import ${module}`;
  if (process.env.GRADNOISE_PYTHON_TESTS === 'required') {
    throw new Error(`${what} is required (GRADNOISE_PYTHON_TESTS=required) but ${why}: apt-get install -y ${packageName}`);
  }
  console.warn(`${what} skipped: ${why} (apt-get install -y ${packageName}, or set GRADNOISE_PYTHON)`);
  return false;
}

/** Runs a Python script with arguments; returns its stdout, or throws with its stderr. */
export function python(args: readonly string[], input?: string): string {
  return execFileSync(PYTHON, args, { encoding: 'utf8', input, maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', 'pipe'] });
}
