import type { z } from 'zod';
import { now } from '../../adapters/runtime/clock.js';
import { describeProblem, settingsHeadline, settingsProblems } from '../../adapters/runtime/settings.js';
import { Problem } from './problem.js';
import { route } from './routes.js';
import { Health } from './schemas/serviceSchemas.js';

// Checking every setting costs milliseconds, and probes call this several times a second; app settings only
// change with a restart on Azure, so a few seconds' reuse hides nothing from the person fixing one.
const REUSE_MS = 5_000;
let checked: { at: number; problems: ReturnType<typeof settingsProblems> } | undefined;
function currentProblems() {
  const at = Date.now();
  if (!checked || at - checked.at >= REUSE_MS) checked = { at, problems: settingsProblems() };
  return checked.problems;
}

route({
  name: 'health',
  route: 'health',
  tag: 'service',
  method: 'GET',
  operationId: 'getHealth',
  summary: 'Whether the app is up, and configured',
  description:
    'A wrong setting of one outside service (Microsoft Graph, ACS email, FCM, APNs) leaves the app up but that service unusable: ' +
    '503, naming each wrong setting and how to fix it. A setting the whole app needs keeps it from starting at all.',
  role: 'public',
  response: { status: 200, description: 'The app is up and every setting it reads is right.', schema: Health },
  problems: ['misconfigured'],
  handler: async () => {
    const problems = currentProblems();
    if (problems.length)
      throw new Problem(
        'misconfigured',
        settingsHeadline(problems),
        problems.map((p) => ({ path: p.setting, message: describeProblem(p).slice(p.setting.length + 1) })),
      );
    const body: z.output<typeof Health> = { status: 'ok', service: 'herald', time: new Date(now()).toISOString() };
    return { jsonBody: body };
  },
});
