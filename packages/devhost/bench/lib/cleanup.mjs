// Every child process a benchmark starts is registered here, so any exit path — the end of the run, a
// crash, Ctrl-C — stops them, last started first.
const cleanups = [];

/** Registers how to stop something the bench started. */
export function onCleanup(stop) {
  cleanups.push(stop);
}

export async function cleanupAll() {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping what the benchmark started…\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
