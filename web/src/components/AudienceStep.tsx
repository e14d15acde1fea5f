import { Button, Checkbox, Field, Input, makeStyles, Spinner, Text, tokens } from '@fluentui/react-components';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useDebounced } from '../debounced';
import { ok, type Draft, type Schemas } from '../api/client';
import { useSigned } from '../context';
import { GroupSearch, type Group } from './GroupSearch';
import { LOCATION } from '../labels';

type Audience = NonNullable<Draft['audience']>;
type EstimateInput = Schemas['EstimateInput'];

const SURFACES = ['spotlight', 'notificationCenter', 'taskbar'] as const;
type Surface = (typeof SURFACES)[number];
const isSurface = (location: Draft['location']): location is Surface => (SURFACES as readonly string[]).includes(location ?? '');

/** Typing pauses this long before the estimate is asked for again. */
const PAUSE_MS = 400;

const useStyles = makeStyles({
  chosen: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalS, listStyle: 'none', padding: 0, margin: 0 },
  estimate: {
    padding: tokens.spacingHorizontalM,
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground1,
  },
});

const listOf = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The wizard's audience step: groups searched in the directory, companies, departments, office locations and
 * usage segments, with the number of people the audience reaches as the send resolves it, and, for a Windows
 * surface, how many of them can receive there and why the others cannot (delivery policies, device readiness).
 */
export function AudienceStep({
  audience,
  location,
  onChange,
  fieldError,
}: {
  audience: Audience;
  location: Draft['location'];
  onChange: (audience: Audience) => void;
  fieldError: (path: string) => string | undefined;
}) {
  const styles = useStyles();
  const { api } = useSigned();
  const [names, setNames] = useState<Record<string, string>>({});
  const groups = audience.groups ?? [];
  // The audience object is new on every render; its content is what is asked about, once typing pauses.
  const asked = useDebounced(JSON.stringify({ audience, ...(isSurface(location) ? { surface: location } : {}) }), PAUSE_MS);
  const estimated = useQuery({
    queryKey: ['audience', 'estimate', asked],
    queryFn: () => ok(api.POST('/api/audience/estimate', { body: JSON.parse(asked) as EstimateInput })),
    // The last estimate stays while the next is asked.
    placeholderData: keepPreviousData,
  });
  const estimate = estimated.error ? { error: estimated.error.message } : estimated.data && { value: estimated.data };

  const add = (group: Group) => {
    setNames((n) => ({ ...n, [group.id]: group.displayName }));
    if (!groups.includes(group.id)) onChange({ ...audience, groups: [...groups, group.id] });
  };
  const remove = (id: string) => onChange({ ...audience, groups: groups.filter((g) => g !== id) });

  return (
    <>
      <Text>
        Everyone in at least one of the groups (or everyone, with none), then narrowed by company, department and office location.
      </Text>
      <GroupSearch chosen={groups} onAdd={add} />
      <Field
        label="Groups (Entra object ids, comma-separated; found groups are added here)"
        validationMessage={fieldError('audience.groups') ?? fieldError('audience')}
      >
        <Input value={groups.join(', ')} onChange={(_, d) => onChange({ ...audience, groups: listOf(d.value) })} />
      </Field>
      {groups.length > 0 && (
        <ul className={styles.chosen} aria-label="Chosen groups">
          {groups.map((id) => (
            <li key={id}>
              <Button size="small" onClick={() => remove(id)}>
                Remove {names[id] ?? id}
              </Button>
            </li>
          ))}
        </ul>
      )}
      <Field label="Companies" hint="Comma-separated" validationMessage={fieldError('audience.companies')}>
        <Input value={(audience.companies ?? []).join(', ')} onChange={(_, d) => onChange({ ...audience, companies: listOf(d.value) })} />
      </Field>
      <Field label="Departments" hint="Comma-separated" validationMessage={fieldError('audience.departments')}>
        <Input
          value={(audience.departments ?? []).join(', ')}
          onChange={(_, d) => onChange({ ...audience, departments: listOf(d.value) })}
        />
      </Field>
      <Field
        label="Office locations"
        hint="Comma-separated: an office, a city or a country"
        validationMessage={fieldError('audience.locations')}
      >
        <Input value={(audience.locations ?? []).join(', ')} onChange={(_, d) => onChange({ ...audience, locations: listOf(d.value) })} />
      </Field>
      <Field label="Usage segments" validationMessage={fieldError('audience.segments')}>
        {(['inactiveCopilotUsers', 'inactiveCopilotUsersInTeams'] as const).map((s) => (
          <Checkbox
            key={s}
            label={s === 'inactiveCopilotUsers' ? 'Inactive Copilot users' : 'Inactive Copilot users in Teams'}
            checked={(audience.segments ?? []).includes(s)}
            onChange={(_, d) =>
              onChange({
                ...audience,
                segments: d.checked ? [...(audience.segments ?? []), s] : (audience.segments ?? []).filter((x) => x !== s),
              })
            }
          />
        ))}
      </Field>
      <section className={styles.estimate} aria-label="Estimated audience" aria-live="polite">
        {estimate?.error ? (
          <Text>The estimate is not available: {estimate.error}</Text>
        ) : !estimate?.value ? (
          <Spinner size="tiny" label="Estimating the audience…" />
        ) : (
          <>
            <Text block weight="semibold">
              {estimate.value.people} {estimate.value.people === 1 ? 'person' : 'people'} in this audience
            </Text>
            {isSurface(location) && (
              <>
                <Text block>
                  {estimate.value.canReceive} of them can receive on {LOCATION[location]}
                </Text>
                {estimate.value.cannot.length > 0 && (
                  <ul aria-label="Why the others cannot">
                    {estimate.value.cannot.map((c) => (
                      <li key={c.reason}>
                        {c.people} {c.people === 1 ? 'person' : 'people'}: {c.reason}
                      </li>
                    ))}
                  </ul>
                )}
              </>
            )}
          </>
        )}
      </section>
    </>
  );
}
