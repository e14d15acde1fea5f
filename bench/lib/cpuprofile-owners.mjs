// Where a process's CPU went by component rather than by package: each sample is charged to the nearest frame
// on its stack (leaf first) that belongs to a named component, so Node's HTTP, TLS and stream work called by
// the push stand-in counts as the stand-in's, and the same work called by firebase-admin as the client's.
// Work that starts from an I/O callback with no component on its stack (reading a socket, decrypting TLS,
// parsing HTTP before a handler runs) cannot be told apart and is reported as such, with GC beside it.
// Libraries used by several components (zod, Node itself) are charged to whoever called them; jose has a line
// of its own because it does its work after an await, where its caller is no longer on the stack.
import { readFileSync } from 'node:fs';

/** Components of devhost running Herald, matched against a frame's script path, first match wins. */
export const DEVHOST_COMPONENTS = [
  ['push stand-in (FCM, APNs, OAuth)', /\/dist\/devhost\/src\/standins\/push(\/|\.js)/],
  ['Graph stand-in', /\/dist\/devhost\/src\/standins\/graph(\/|\.js)/],
  ['FCM client (firebase-admin, google-auth)', /\/node_modules\/(firebase-admin|google-auth-library|gaxios|gtoken|gcp-metadata)\//],
  ['APNs client (@parse/node-apn)', /\/node_modules\/@parse\/node-apn\//],
  [
    'Azure Storage SDK (Tables, Queues)',
    /\/node_modules\/(@azure\/(data-tables|storage-queue|core-[a-z-]+|abort-controller|logger)|@typespec\/ts-http-runtime)\//,
  ],
  ['Graph SDK', /\/node_modules\/@microsoft\/microsoft-graph-client\//],
  ['Herald (adapters, workflows, functions, core)', /\/dist\/(adapters|workflows|functions|core)\//],
  // Mostly the APNs stand-in verifying every request's provider token (after an await: its caller is not on the stack).
  ['jose (JWT checks: APNs provider tokens in the stand-in, API bearer tokens)', /\/node_modules\/jose\//],
  ['devhost host (HTTP, invoker, queue listener)', /\/dist\/devhost\/src\/|\/node_modules\/@azure\/functions\//],
];

/**
 * Self time of `file` charged to `components` ([name, RegExp on the frame's url]); returns text lines with
 * each component's share of the CPU time (idle excluded).
 */
export function profileByComponent(file, components = DEVHOST_COMPONENTS) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const charged = new Map();
  const ownerOf = (id) => {
    if (charged.has(id)) return charged.get(id);
    const { functionName, url } = nodes.get(id).callFrame;
    let owner;
    if (functionName === '(garbage collector)') owner = '(garbage collector)';
    else if (functionName === '(idle)') owner = '(idle)';
    else if (functionName === '(program)') owner = '(program: V8 and native, no JS frame)';
    else {
      owner = components.find(([, pattern]) => pattern.test(url ?? ''))?.[0];
      if (!owner) owner = parent.has(id) ? ownerOf(parent.get(id)) : 'unattributed: I/O callbacks (sockets, TLS, HTTP parsing), timers';
    }
    charged.set(id, owner);
    return owner;
  };
  const totals = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const owner = ownerOf(profile.samples[i]);
    totals.set(owner, (totals.get(owner) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const idle = totals.get('(idle)') ?? 0;
  totals.delete('(idle)');
  const busy = [...totals.values()].reduce((s, x) => s + x, 0);
  return [
    `  ${(busy / 1e6).toFixed(1)} s on the CPU, by component (each sample charged to the nearest component frame on its stack):`,
    ...[...totals]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => `    ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(1).padStart(6)} s  ${name}`),
    `    (idle ${(idle / 1e6).toFixed(1)} s)`,
  ];
}
