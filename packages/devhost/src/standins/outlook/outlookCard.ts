/**
 * The card as Outlook shows it. `Action.Http` works only at `version` 1.0 (from 1.4 on, Outlook hides it:
 * those cards need `Action.Execute` and a bot); `Action.Submit` and `Input.Time` are never shown. Each
 * `Action.Http` gets an `id` when it has none, so a click names the action it means. Pure.
 */

export type Json = Record<string, unknown>;

export interface CardAction {
  id: string;
  type: string;
  title: string;
  /** Where the action sits: in the card's actions, an ActionSet or a ShowCard's card. */
  path: string;
}

export interface OutlookCard {
  card: Json;
  /** The version-hiding and dropping Outlook did, for the debugger's Infos. */
  notes: string[];
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A version string as [major, minor], or undefined when it is not one. */
function versionOf(card: Json): [number, number] | undefined {
  const m = typeof card.version === 'string' ? /^(\d+)\.(\d+)/.exec(card.version) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The card as JSON, or why it is not an AdaptiveCard Outlook can show. */
export function parseCard(text: string): { card: Json } | { error: string } {
  let card: unknown;
  try {
    card = JSON.parse(text);
  } catch (error) {
    return { error: `The card is not JSON: ${(error as Error).message}` };
  }
  if (!isObject(card) || card.type !== 'AdaptiveCard') return { error: 'The card is not an AdaptiveCard (type must be "AdaptiveCard").' };
  if (!versionOf(card)) return { error: 'The card has no version (e.g. "1.0").' };
  return { card };
}

export function forOutlook(input: Json): OutlookCard {
  const card = structuredClone(input);
  const notes: string[] = [];
  const [major, minor] = versionOf(card) ?? [1, 0];
  const hideHttp = major > 1 || minor >= 4;
  let counter = 0;
  const counts = { http: 0, submit: 0, time: 0 };

  const keepAction = (a: unknown): boolean => {
    if (!isObject(a)) return false;
    if (a.type === 'Action.Submit') counts.submit++;
    else if (a.type === 'Action.Http' && hideHttp) counts.http++;
    else return true;
    return false;
  };
  const visitActions = (list: unknown): unknown[] | undefined => {
    if (!Array.isArray(list)) return undefined;
    const kept = list.filter(keepAction) as Json[];
    for (const a of kept) {
      if (a.type === 'Action.Http' && typeof a.id !== 'string') a.id = `action-${++counter}`;
      if (a.type === 'Action.ShowCard' && isObject(a.card)) visitCard(a.card);
    }
    return kept;
  };
  const visitElements = (list: unknown): unknown[] | undefined => {
    if (!Array.isArray(list)) return undefined;
    const kept = list.filter((e) => {
      if (isObject(e) && e.type === 'Input.Time') counts.time++;
      else return isObject(e);
      return false;
    }) as Json[];
    for (const e of kept) visitElement(e);
    return kept;
  };
  function visitElement(e: Json): void {
    if (e.type === 'ActionSet') e.actions = visitActions(e.actions) ?? [];
    if (Array.isArray(e.items)) e.items = visitElements(e.items);
    if (Array.isArray(e.columns)) for (const c of e.columns) if (isObject(c)) visitElement(c);
    if (isObject(e.selectAction) && !keepAction(e.selectAction)) delete e.selectAction;
  }
  function visitCard(c: Json): void {
    if (Array.isArray(c.body)) c.body = visitElements(c.body);
    if (Array.isArray(c.actions)) c.actions = visitActions(c.actions);
  }

  visitCard(card);
  if (isObject(card.autoInvokeAction) && (card.autoInvokeAction.type !== 'Action.Http' || hideHttp)) delete card.autoInvokeAction;
  if (counts.http)
    notes.push(`Action.Http hidden: ${counts.http} at card version ${String(card.version)} (Action.Http needs version 1.0).`);
  if (counts.submit) notes.push(`Action.Submit dropped: ${counts.submit} (not supported in Outlook).`);
  if (counts.time) notes.push(`Input.Time dropped: ${counts.time} (not supported in Outlook).`);
  return { card, notes };
}

/** Every action a person can press, ShowCard cards and ActionSets included. */
export function actionsOf(card: Json): CardAction[] {
  const found: CardAction[] = [];
  const fromActions = (list: unknown, path: string): void => {
    if (!Array.isArray(list)) return;
    list.forEach((a, i) => {
      if (!isObject(a)) return;
      const here = `${path}[${i}]`;
      found.push({
        id: typeof a.id === 'string' ? a.id : here,
        type: String(a.type),
        title: typeof a.title === 'string' ? a.title : '',
        path: here,
      });
      if (a.type === 'Action.ShowCard' && isObject(a.card)) fromCard(a.card, `${here}.card`);
    });
  };
  const fromElements = (list: unknown, path: string): void => {
    if (!Array.isArray(list)) return;
    list.forEach((e, i) => {
      if (!isObject(e)) return;
      const here = `${path}[${i}]`;
      if (e.type === 'ActionSet') fromActions(e.actions, `${here}.actions`);
      fromElements(e.items, `${here}.items`);
      if (Array.isArray(e.columns)) e.columns.forEach((c, j) => isObject(c) && fromElements(c.items, `${here}.columns[${j}].items`));
    });
  };
  function fromCard(c: Json, path: string): void {
    fromElements(c.body, `${path}.body`);
    fromActions(c.actions, `${path}.actions`);
  }
  fromCard(card, '$');
  return found;
}

/** The action object a click means: by id, else by title (the first one so titled). */
export function findAction(card: Json, idOrTitle: string): Json | undefined {
  let match: Json | undefined;
  const walk = (v: unknown): void => {
    if (match) return;
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObject(v)) return;
    if (typeof v.type === 'string' && v.type.startsWith('Action.') && v.id === idOrTitle) match = v;
    else for (const child of Object.values(v)) walk(child);
  };
  walk(card);
  if (match) return match;
  const byTitle = actionsOf(card).find((a) => a.title === idOrTitle);
  return byTitle ? findAction(card, byTitle.id) : undefined;
}

/** Every input's initial value (`value`), by id: what a click sends for an input the person left alone. */
export function inputDefaults(card: Json): Record<string, string> {
  const values: Record<string, string> = {};
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!isObject(v)) return;
    if (typeof v.type === 'string' && v.type.startsWith('Input.') && typeof v.id === 'string')
      values[v.id] = v.value === undefined ? '' : String(v.value);
    for (const child of Object.values(v)) walk(child);
  };
  walk(card);
  return values;
}

/**
 * `{{id.value}}` replaced by the input's value: URL-encoded inside a URL, as written elsewhere (body and
 * header values). An input the card does not have becomes empty.
 */
export function substitute(text: string, values: Record<string, string>, encode: boolean): string {
  return text.replace(/\{\{\s*([A-Za-z0-9_\-.]+?)\.value\s*\}\}/g, (_, id: string) => {
    const value = values[id] ?? '';
    return encode ? encodeURIComponent(value) : value;
  });
}
