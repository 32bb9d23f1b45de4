// Ctrl-C for long jobs: the first SIGINT (or SIGTERM) aborts the job's signal, so it stops at its next
// step boundary and still writes what it measured; a second one runs `cleanup` (restoring the terminal)
// and quits at once, with the shell's code for the signal (130 for SIGINT, 143 for SIGTERM).
export const exitCodeOf = (sig: 'SIGINT' | 'SIGTERM'): number => (sig === 'SIGINT' ? 130 : 143);

export async function interruptible<T>(onFirst: (sig: 'SIGINT' | 'SIGTERM') => void, job: (signal: AbortSignal) => Promise<T>,
                                       cleanup: () => void = () => {}): Promise<T> {
  const ac = new AbortController();
  const second = (sig: 'SIGINT' | 'SIGTERM') => {
    cleanup();
    process.exit(exitCodeOf(sig));
  };
  const first = (sig: 'SIGINT' | 'SIGTERM') => {
    ac.abort(sig);
    onFirst(sig);
    process.once('SIGINT', second);
    process.once('SIGTERM', second);
  };
  process.once('SIGINT', first);
  process.once('SIGTERM', first);
  try {
    return await job(ac.signal);
  } finally {
    cleanup();
    for (const s of ['SIGINT', 'SIGTERM'] as const) {
      process.removeListener(s, first);
      process.removeListener(s, second);
    }
  }
}
