// Ctrl-C for long jobs: the first SIGINT (or SIGTERM) aborts the job's signal, so it stops at its next
// step boundary and still writes what it measured; a second one quits at once (exit code 130).
export async function interruptible<T>(onFirst: () => void, job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const second = () => process.exit(130);
  const first = () => {
    ac.abort();
    onFirst();
    process.once('SIGINT', second);
    process.once('SIGTERM', second);
  };
  process.once('SIGINT', first);
  process.once('SIGTERM', first);
  try {
    return await job(ac.signal);
  } finally {
    for (const s of ['SIGINT', 'SIGTERM'] as const) {
      process.removeListener(s, first);
      process.removeListener(s, second);
    }
  }
}
