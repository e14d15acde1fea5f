// What the real Functions host and its Node worker would say about an app, checked without them: host.json
// against the host's published schema (SchemaStore's host.json, which the Functions tooling points editors
// at), local.settings.json in the shape Core Tools reads, and the app's functions indexed through
// `@azure/functions` the way the Node worker indexes them — by answering `require('@azure/functions-core')`
// and collecting each `registerFunction` call.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Ajv from 'ajv-draft-04';
import { globby } from 'globby';

const require = createRequire(import.meta.url);

/** Problems in host.json by the host's schema, as `path: message`. */
export function checkHostJson(hostJson) {
  const schema = JSON.parse(readFileSync(require.resolve('schemastore/schemas/json/host.json'), 'utf8'));
  // The schema is a oneOf of host.json versions 1 and 2; a "2.0" file is held to the second alone, so a fault
  // is reported once, not once per branch.
  if (hostJson?.version === '2.0') schema.oneOf = [{ $ref: '#/definitions/version-2' }];
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  if (validate(hostJson)) return [];
  const said = validate.errors
    .filter(
      (e) => e.keyword !== 'oneOf' && !(e.keyword === 'enum' && e.params.allowedValues?.length === 1 && e.params.allowedValues[0] === null),
    )
    .map((e) => {
      const at = `host.json${e.instancePath.replaceAll('/', '.')}`;
      return e.keyword === 'additionalProperties'
        ? `${at}: ${e.params.additionalProperty} is not a setting of the host`
        : `${at}: ${e.message}`;
    });
  return [...new Set(said)];
}

/**
 * durable-functions 3 needs the Durable extension of bundle 3.15 or later (v4 bundles carry it); a range whose
 * lowest version is older lets the host pick a bundle the library cannot talk to.
 */
export function checkBundleForDurable(hostJson, appPackage) {
  const wants = appPackage.dependencies?.['durable-functions'];
  if (!wants || !/^\D*3\./.test(wants)) return [];
  const bundle = hostJson.extensionBundle;
  if (bundle?.id !== 'Microsoft.Azure.Functions.ExtensionBundle')
    return ['host.json.extensionBundle: durable-functions 3 needs Microsoft.Azure.Functions.ExtensionBundle, [4.*, 5.0.0)'];
  const low = /^\[\s*(\d+)(?:\.(\d+|\*))?/.exec(bundle.version ?? '');
  const [major, minor] = [Number(low?.[1]), low?.[2] === '*' || low?.[2] === undefined ? 0 : Number(low[2])];
  if (!low || major < 3 || (major === 3 && minor < 15))
    return [
      `host.json.extensionBundle.version: ${bundle.version} allows bundles older than 3.15, which durable-functions 3 cannot use; use [4.*, 5.0.0)`,
    ];
  return [];
}

/** Problems in a local.settings file as Core Tools reads it: `IsEncrypted`, string `Values`, `Host`, `ConnectionStrings`. */
export function checkLocalSettings(settings, file = 'local.settings.json') {
  const problems = [];
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return [`${file}: must be a JSON object`];
  const known = new Set(['IsEncrypted', 'Values', 'Host', 'ConnectionStrings']);
  for (const key of Object.keys(settings)) if (!known.has(key)) problems.push(`${file}: ${key} is not a section Core Tools reads`);
  if (settings.IsEncrypted !== undefined && typeof settings.IsEncrypted !== 'boolean')
    problems.push(`${file}: IsEncrypted must be true or false`);
  if (typeof settings.Values !== 'object' || settings.Values === null) problems.push(`${file}: Values must be an object of settings`);
  else
    for (const [name, value] of Object.entries(settings.Values))
      if (typeof value !== 'string') problems.push(`${file}: Values.${name} must be a string (Core Tools passes every setting as text)`);
  if (settings.Values?.FUNCTIONS_WORKER_RUNTIME !== 'node') problems.push(`${file}: Values.FUNCTIONS_WORKER_RUNTIME must be node`);
  if (settings.Host !== undefined && (typeof settings.Host !== 'object' || settings.Host === null))
    problems.push(`${file}: Host must be an object`);
  return problems;
}

/**
 * The functions an app registers when the Node worker loads it: the entry point `main` of its package.json
 * (a file or a glob, as the worker allows), imported after `@azure/functions-core` is made answerable.
 */
export async function indexApp(appDir) {
  const registered = [];
  let model;
  const disposable = { dispose() {} };
  const core = {
    version: '3.10.1',
    hostVersion: '4.1040.0',
    setProgrammingModel(m) {
      model = m;
    },
    getProgrammingModel: () => model,
    registerHook: () => disposable,
    log() {},
    registerFunction(metadata) {
      registered.push(metadata);
      return disposable;
    },
  };
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
  };
  const pkg = JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8'));
  if (!pkg.main) throw new Error(`${appDir}/package.json has no main: the worker would load no functions`);
  const files = await globby(pkg.main, { cwd: appDir, absolute: true });
  if (!files.length) throw new Error(`main ${pkg.main} matches no file: build the app first`);
  for (const file of files.sort()) await import(pathToFileURL(file).href);
  return { registered, programmingModel: model };
}

// The host's function name rule (case-insensitive), and the binding types it knows: its own HTTP and timer
// bindings, and those of the extension bundle's Storage, Tables and Durable extensions. Anything else is a
// binding the host would refuse to load with Herald's host.json.
const FUNCTION_NAME = /^[a-z][a-z0-9_-]{0,127}$/i;
const KNOWN_BINDINGS = new Set([
  'httpTrigger',
  'http',
  'timerTrigger',
  'queueTrigger',
  'queue',
  'blobTrigger',
  'blob',
  'table',
  'orchestrationTrigger',
  'activityTrigger',
  'entityTrigger',
  'durableClient',
]);
const NCRONTAB = /^\s*(\S+\s+){5}\S+\s*$/;

/** Problems with what the app registered; `expected` lists functions the app's own registries say must exist. */
export function checkRegistrations({ registered, programmingModel }, { routePrefix = 'api', expected = [] } = {}) {
  const problems = [];
  if (!programmingModel) problems.push('the app never set its programming model: @azure/functions was not loaded by the app');
  if (!registered.length) problems.push('the app registered no functions');
  const byName = new Map();
  const routes = new Map();
  for (const fn of registered) {
    const name = fn.name;
    if (!FUNCTION_NAME.test(name ?? '')) problems.push(`function "${name}": not a name the host accepts (${FUNCTION_NAME})`);
    const key = String(name).toLowerCase();
    if (byName.has(key)) problems.push(`function "${name}": registered twice (names are compared without case)`);
    byName.set(key, fn);
    const bindings = Object.entries(fn.bindings ?? {});
    const triggers = bindings.filter(([, b]) => /trigger$/i.test(b.type ?? ''));
    if (triggers.length !== 1) problems.push(`function "${name}": has ${triggers.length} triggers, the host needs exactly one`);
    for (const [bindingName, b] of bindings) {
      if (!KNOWN_BINDINGS.has(b.type))
        problems.push(`function "${name}": binding "${bindingName}" has type "${b.type}", which the host does not know`);
      if (!['in', 'out', 'inout'].includes(b.direction)) problems.push(`function "${name}": binding "${bindingName}" has no direction`);
      if (b.type === 'timerTrigger' && !NCRONTAB.test(b.schedule ?? ''))
        problems.push(`function "${name}": schedule "${b.schedule}" is not a six-field NCRONTAB expression`);
      if ((b.type === 'queueTrigger' || b.type === 'queue') && !/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(b.queueName ?? ''))
        problems.push(`function "${name}": queue name "${b.queueName}" is not a valid Storage queue name`);
      if (b.type === 'httpTrigger') {
        const route = b.route ?? name;
        if (/^(admin|runtime)(\/|$)/i.test(`${routePrefix ? `${routePrefix}/` : ''}${route}`))
          problems.push(`function "${name}": route "${route}" is under a path the host keeps for itself`);
        for (const method of b.methods ?? ['GET', 'POST']) {
          const at = `${method.toUpperCase()} ${route.toLowerCase()}`;
          if (routes.has(at)) problems.push(`function "${name}": ${at} is also function "${routes.get(at)}"'s`);
          routes.set(at, name);
        }
      }
    }
  }
  const triggerOf = (fn) => Object.values(fn.bindings ?? {}).find((b) => /trigger$/i.test(b.type ?? ''));
  for (const want of expected) {
    // By name where the registry names the function; else the function whose trigger has the fields (a queue's name).
    const fn = want.name
      ? byName.get(want.name.toLowerCase())
      : registered.find((f) => triggerOf(f)?.type === want.trigger && Object.entries(want.fields).every(([k, v]) => triggerOf(f)[k] === v));
    const trigger = fn && triggerOf(fn);
    if (!trigger)
      problems.push(`${want.what}: no function ${want.name ? `"${want.name}" ` : `with a ${want.trigger} on it `}is registered`);
    else if (trigger.type !== want.trigger)
      problems.push(`${want.what}: function "${fn.name}" has a ${trigger.type}, not a ${want.trigger}`);
    else
      for (const [field, value] of Object.entries(want.fields ?? {}))
        if (JSON.stringify(trigger[field]) !== JSON.stringify(value))
          problems.push(`${want.what}: function "${fn.name}" has ${field} ${JSON.stringify(trigger[field])}, not ${JSON.stringify(value)}`);
  }
  return problems;
}
