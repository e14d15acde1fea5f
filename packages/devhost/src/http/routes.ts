/**
 * ASP.NET-style route templates as the Functions host accepts them: `{id}`, `{id?}`, `{id:int}`,
 * `{id:int?}`, `{*rest}`, constraints such as `alpha`, `guid`, `length(3)`, `range(1,9)`, `regex(...)`.
 * Pure: compiling and matching only.
 */

type Check = (value: string) => boolean;

interface Param {
  name: string;
  optional: boolean;
  catchAll: boolean;
  checks: Check[];
}

export interface CompiledRoute {
  template: string;
  params: Param[];
  regex: RegExp;
  /** Lower sorts first: literal segments beat constrained parameters beat plain, optional and catch-all ones. */
  precedence: number[];
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function constraint(spec: string, template: string): Check {
  const m = /^([a-zA-Z]+)(?:\((.*)\))?$/.exec(spec);
  if (!m) throw new Error(`route "${template}": cannot read constraint "${spec}"`);
  const [, name, arg] = m;
  const args = arg === undefined ? [] : arg.split(',').map((a) => a.trim());
  const num = (i: number) => {
    const n = Number(args[i]);
    if (!Number.isFinite(n)) throw new Error(`route "${template}": constraint "${spec}" needs a number`);
    return n;
  };
  const isNum = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));
  switch (name!.toLowerCase()) {
    case 'int':
      return (v) => /^-?\d+$/.test(v) && Number(v) >= INT32.min && Number(v) <= INT32.max;
    case 'long':
      return (v) => /^-?\d+$/.test(v) && BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 63n;
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[})]?$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'double':
    case 'float':
    case 'decimal':
      return isNum;
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'minlength': {
      const n = num(0);
      return (v) => v.length >= n;
    }
    case 'maxlength': {
      const n = num(0);
      return (v) => v.length <= n;
    }
    case 'length': {
      const a = num(0);
      const b = args.length > 1 ? num(1) : a;
      return (v) => v.length >= a && v.length <= b;
    }
    case 'min': {
      const n = num(0);
      return (v) => isNum(v) && Number(v) >= n;
    }
    case 'max': {
      const n = num(0);
      return (v) => isNum(v) && Number(v) <= n;
    }
    case 'range': {
      const a = num(0);
      const b = num(1);
      return (v) => isNum(v) && Number(v) >= a && Number(v) <= b;
    }
    case 'regex': {
      const re = new RegExp(`^(?:${arg ?? ''})$`, 'i');
      return (v) => re.test(v);
    }
    default:
      throw new Error(`route "${template}": unknown constraint "${name}"`);
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compileRoute(template: string): CompiledRoute {
  const clean = template.replace(/^\/+|\/+$/g, '');
  const params: Param[] = [];
  const precedence: number[] = [];
  let source = '';
  const segments = clean === '' ? [] : clean.split('/');
  segments.forEach((segment, index) => {
    const tokens = segment.split(/(\{[^}]*\})/).filter((t) => t !== '');
    let seg = '';
    let rank = 0;
    for (const token of tokens) {
      if (!token.startsWith('{')) {
        seg += escape(token);
        continue;
      }
      const m = /^\{(\*)?([A-Za-z_][\w]*)((?::[^:?]+(?:\([^)]*\))?)*)(\?)?\}$/.exec(token);
      if (!m) throw new Error(`route "${template}": cannot read parameter "${token}"`);
      const [, star, name, specs, opt] = m;
      if (params.some((p) => p.name.toLowerCase() === name!.toLowerCase())) {
        throw new Error(`route "${template}": parameter "${name}" appears twice`);
      }
      const checks = (specs ?? '')
        .split(':')
        .filter(Boolean)
        .map((s) => constraint(s, template));
      const catchAll = star === '*';
      if (catchAll && index !== segments.length - 1) throw new Error(`route "${template}": a catch-all parameter must be the last segment`);
      params.push({ name: name!, optional: opt === '?' || catchAll, catchAll, checks });
      seg += catchAll ? `(?<p${params.length - 1}>.*)` : `(?<p${params.length - 1}>[^/]+)`;
      rank = Math.max(rank, catchAll ? 5 : opt ? 4 : checks.length ? 2 : 3);
    }
    precedence.push(rank === 0 ? 1 : rank);
    const last = params[params.length - 1];
    const wholeOptional = tokens.length === 1 && last?.optional && tokens[0]!.startsWith('{');
    source += wholeOptional ? `(?:/${seg})?` : `/${seg}`;
  });
  return { template, params, regex: new RegExp(`^${source}/?$`, 'i'), precedence };
}

/** Route values for `path` (already without the route prefix, leading slash kept), or undefined. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const m = route.regex.exec(path);
  if (!m) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < route.params.length; i++) {
    const p = route.params[i]!;
    const raw = m.groups?.[`p${i}`];
    if (raw === undefined || raw === '') {
      if (!p.optional) return undefined;
      continue;
    }
    let value: string;
    try {
      value = p.catchAll ? raw.split('/').map(decodeURIComponent).join('/') : decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!p.checks.every((check) => check(value))) return undefined;
    values[p.name] = value;
  }
  return values;
}

export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? 0;
    const y = b.precedence[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}
