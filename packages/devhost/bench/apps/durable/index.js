import * as df from 'durable-functions';

df.app.activity('noop', { handler: (x) => x });

df.app.orchestration('sequence', function* (context) {
  const n = context.df.getInput();
  for (let i = 0; i < n; i++) yield context.df.callActivity('noop', i);
  return n;
});

df.app.orchestration('fanOut', function* (context) {
  const n = context.df.getInput();
  const results = yield context.df.Task.all(Array.from({ length: n }, (_, i) => context.df.callActivity('noop', i)));
  return results.length;
});

df.app.orchestration('events', function* (context) {
  const n = context.df.getInput();
  for (let i = 0; i < n; i++) yield context.df.waitForExternalEvent('tick');
  return n;
});

df.app.orchestration('hello5', function* (context) {
  for (let i = 0; i < 5; i++) yield context.df.callActivity('noop', i);
  return 5;
});
