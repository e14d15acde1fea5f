// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and says where the CPU went: self time by
// package (node_modules/<package>, the app's own dist/<dir>, node internals) and the hottest functions.
import { readFileSync } from 'node:fs';

/** Where a script belongs: an npm package, a directory of the app's build, or Node itself. */
function owner(url, root) {
  if (!url) return '(native / V8)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) return 'node internals';
  if (root && path.startsWith(root))
    return path
      .slice(root.length + 1)
      .split('/')
      .slice(0, 3)
      .join('/');
  return path;
}

/** A text summary of `file`: the `top` hottest packages and functions by self time. */
export function summarizeProfile(file, { root, top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((s, x) => s + x, 0);
  let idle = 0;
  const functions = new Map();
  const packages = new Map();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const where = url ? `${url.replace(/^file:\/\//, '').replace(`${root}/`, '')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    const pkg = functionName === '(garbage collector)' || functionName === '(program)' ? functionName : owner(url, root);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const lines = [
    `  ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s on the CPU (${((100 * busy) / total).toFixed(0)}%); shares below are of the CPU time`,
    '  by package (self time):',
  ];
  for (const [name, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(us)}  ${name}`);
  lines.push('  hottest functions (self time):');
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(us)}  ${name}`);
  return lines.join('\n');
}
