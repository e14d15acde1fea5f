// Runs Azurite's CLI in this process and ends it when the parent goes away. Azurite does not watch
// its parent, so without this a devhost killed with SIGKILL would leave Azurite holding the ports.
import { createRequire } from 'node:module';

const [cli, ...args] = process.argv.slice(2);
if (!cli) throw new Error('usage: azuriteGuard <azurite cli> [args]');
process.argv = [process.argv[0]!, cli, ...args];
process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
// Azurite exits by letting its event loop drain once its servers close; our open stdin would hold it
// (until devhost's SIGKILL fallback), so let go of stdin as soon as a stop is asked for.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    process.stdin.removeAllListeners();
    process.stdin.destroy();
  });
}
createRequire(import.meta.url)(cli);
