// The Durable app both sides share: devhost runs it, the .NET check reads and drives its instances.
import * as df from 'durable-functions';

df.app.activity('greet', { handler: ({ name }) => `Hello ${name}` });

df.app.activity('mirror', { handler: (text) => [...text].reverse().join('') });

// Reads its input, reports progress as custom status, calls an activity, waits for an event, returns.
df.app.orchestration('approval', function* (context) {
  const input = context.df.getInput();
  context.df.setCustomStatus({ stage: 'greeting', name: input.name });
  const greeting = yield context.df.callActivity('greet', input);
  context.df.setCustomStatus({ stage: 'waiting', greeting });
  const decision = yield context.df.waitForExternalEvent('decision');
  context.df.setCustomStatus({ stage: 'done', approved: decision.approved });
  return { greeting, amount: input.amount, decision };
});

// Values over the Tables and Queues size limits, which both sides keep in <hub>-largemessages.
df.app.orchestration('large', function* (context) {
  const { text } = context.df.getInput();
  const mirrored = yield context.df.callActivity('mirror', text);
  return { length: text.length, mirrored };
});

df.app.client.http('start', {
  route: 'start/{name}/{id}',
  methods: ['POST'],
  handler: async (req, client) => {
    const id = await client.startNew(req.params.name, { instanceId: req.params.id, input: await req.json() });
    return client.createCheckStatusResponse(req, id);
  },
});
