// Reads and drives a task hub that devhost runs, through the Durable Task Framework's own Azure Storage
// provider (Microsoft.Azure.DurableTask.AzureStorage) — the code every Durable Functions host and tool uses to
// read that layout. Only client calls: nothing here starts a TaskHubWorker, so devhost's engine is the one
// that runs every orchestration. Prints PASS/FAIL per check and exits 1 when any fails.
//
// Environment (set by run.sh): INTEROP_STORAGE (connection string), INTEROP_HUB, INTEROP_PARTITIONS,
// INTEROP_HOST_URL (the devhost), INTEROP_LARGE_LENGTH (length of the large instance's text).
using System.Net;
using Azure.Storage.Blobs;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;
using DurableTask.Core.Query;
using Newtonsoft.Json.Linq;

string Env(string name) =>
    Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set");

var storage = Env("INTEROP_STORAGE");
var hub = Env("INTEROP_HUB");
var hostUrl = Env("INTEROP_HOST_URL").TrimEnd('/');
var largeLength = int.Parse(Env("INTEROP_LARGE_LENGTH"));
var runStarted = DateTime.UtcNow.AddMinutes(-10);
var waitLimit = TimeSpan.FromSeconds(90);

var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
{
    TaskHubName = hub,
    PartitionCount = int.Parse(Env("INTEROP_PARTITIONS")),
    StorageAccountClientProvider = new StorageAccountClientProvider(storage),
});
var client = new TaskHubClient(service);
var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
var failures = 0;

async Task Check(string name, Func<Task> body)
{
    try
    {
        await body();
        Console.WriteLine($"PASS {name}");
    }
    catch (Exception e)
    {
        failures++;
        Console.WriteLine($"FAIL {name}: {e.Message}");
    }
}

void Expect(bool condition, string what)
{
    if (!condition) throw new Exception(what.Length > 400 ? what[..400] + "…" : what);
}

void ExpectJson(string? actual, string expected, string what)
{
    Expect(actual != null, $"{what} is null, expected {expected}");
    Expect(JToken.DeepEquals(JToken.Parse(actual!), JToken.Parse(expected)), $"{what} is {actual}, expected {expected}");
}

async Task<OrchestrationState> State(string instanceId)
{
    var state = await client.GetOrchestrationStateAsync(instanceId);
    Expect(state != null, $"no status for '{instanceId}'");
    return state!;
}

async Task<JArray> History(OrchestrationState state) =>
    JArray.Parse(await client.GetOrchestrationHistoryAsync(state.OrchestrationInstance));

JObject[] OfType(JArray history, EventType type) =>
    history.OfType<JObject>().Where(e => (int?)e["EventType"] == (int)type).ToArray();

// Polls until the instance's custom status says it waits for its event (devhost's engine got it that far).
async Task<OrchestrationState> UntilWaiting(string instanceId)
{
    var deadline = DateTime.UtcNow + waitLimit;
    while (true)
    {
        var state = await client.GetOrchestrationStateAsync(instanceId);
        if (state?.Status != null && (string?)JToken.Parse(state.Status)["stage"] == "waiting") return state;
        Expect(DateTime.UtcNow < deadline, $"'{instanceId}' never reached stage 'waiting' (status {state?.OrchestrationStatus}, custom status {state?.Status})");
        await Task.Delay(200);
    }
}

async Task<OrchestrationState> UntilDone(OrchestrationInstance started)
{
    var done = await client.WaitForOrchestrationAsync(started, waitLimit);
    Expect(done != null, $"'{started.InstanceId}' did not finish within {waitLimit.TotalSeconds} s");
    return done!;
}

string LargeText(int length) => string.Concat(Enumerable.Range(0, length).Select(i => i % 10 == 9 ? 'é' : (char)('a' + i % 26)));

string Mirror(string text) => new string(text.Reverse().ToArray());

// ---- (a) what devhost ran, read through the provider ------------------------------------------------

await Check("a1 status, input, output and custom status of a completed instance", async () =>
{
    var s = await State("interop-approved");
    Expect(s.OrchestrationStatus == OrchestrationStatus.Completed, $"status {s.OrchestrationStatus}");
    Expect(s.Name == "approval", $"name '{s.Name}'");
    ExpectJson(s.Input, """{"name":"Ada","amount":42}""", "input");
    ExpectJson(s.Output, """{"greeting":"Hello Ada","amount":42,"decision":{"approved":true,"by":"devhost"}}""", "output");
    ExpectJson(s.Status, """{"stage":"done","approved":true}""", "custom status");
    Expect(s.CreatedTime > runStarted && s.CreatedTime <= s.CompletedTime, $"created {s.CreatedTime:O}, completed {s.CompletedTime:O}");
    Expect(!string.IsNullOrEmpty(s.OrchestrationInstance.ExecutionId), "no execution id");
});

await Check("a2 history of a completed instance, event by event", async () =>
{
    var s = await State("interop-approved");
    var history = await History(s);
    var types = history.Select(e => ((EventType)(int)e["EventType"]!).ToString()).ToArray();
    string[] expected =
    [
        "OrchestratorStarted", "ExecutionStarted", "TaskScheduled", "OrchestratorCompleted",
        "OrchestratorStarted", "TaskCompleted", "OrchestratorCompleted",
        "OrchestratorStarted", "EventRaised", "ExecutionCompleted", "OrchestratorCompleted",
    ];
    Expect(types.SequenceEqual(expected), $"events {string.Join(",", types)}");
    var started = OfType(history, EventType.ExecutionStarted).Single();
    Expect((string?)started["Name"] == "approval", $"ExecutionStarted.Name {started["Name"]}");
    ExpectJson((string?)started["Input"], """{"name":"Ada","amount":42}""", "ExecutionStarted.Input");
    Expect((string?)started["OrchestrationInstance"]?["ExecutionId"] == s.OrchestrationInstance.ExecutionId, "ExecutionStarted names another execution");
    var scheduled = OfType(history, EventType.TaskScheduled).Single();
    Expect((string?)scheduled["Name"] == "greet", $"TaskScheduled.Name {scheduled["Name"]}");
    var completed = OfType(history, EventType.TaskCompleted).Single();
    Expect((int?)completed["TaskScheduledId"] == (int?)scheduled["EventId"], "TaskCompleted does not name its TaskScheduled");
    ExpectJson((string?)completed["Result"], "\"Hello Ada\"", "TaskCompleted.Result");
    var raised = OfType(history, EventType.EventRaised).Single();
    Expect((string?)raised["Name"] == "decision", $"EventRaised.Name {raised["Name"]}");
    ExpectJson((string?)raised["Input"], """{"approved":true,"by":"devhost"}""", "EventRaised.Input");
    var end = OfType(history, EventType.ExecutionCompleted).Single();
    Expect((int?)end["OrchestrationStatus"] == (int)OrchestrationStatus.Completed, $"ExecutionCompleted.OrchestrationStatus {end["OrchestrationStatus"]}");
    ExpectJson((string?)end["Result"], s.Output, "ExecutionCompleted.Result");
    Expect(history.All(e => DateTime.Parse((string)e["Timestamp"]!).Year > 2000), "an event has no timestamp");
});

await Check("a3 a running instance waiting for its event", async () =>
{
    var s = await State("interop-waiting");
    Expect(s.OrchestrationStatus == OrchestrationStatus.Running, $"status {s.OrchestrationStatus}");
    ExpectJson(s.Status, """{"stage":"waiting","greeting":"Hello Grace"}""", "custom status");
    Expect(s.Output == null || s.Output == "null", $"output {s.Output}");
});

await Check("a4 values over the size limits (large-message blobs)", async () =>
{
    var s = await State("interop-large");
    Expect(s.OrchestrationStatus == OrchestrationStatus.Completed, $"status {s.OrchestrationStatus}");
    var text = LargeText(largeLength);
    Expect((string?)JToken.Parse(s.Input ?? "null")?["text"] == text, $"input is not the {largeLength}-character text (starts {s.Input?[..Math.Min(80, s.Input.Length)]})");
    var output = JToken.Parse(s.Output ?? "null");
    Expect((int?)output?["length"] == largeLength && (string?)output?["mirrored"] == Mirror(text), $"output is not the mirrored text (starts {s.Output?[..Math.Min(80, s.Output.Length)]})");
    var history = await History(s);
    // The extension keeps an activity's input as its argument list, so the text is inside it.
    var scheduled = OfType(history, EventType.TaskScheduled).Single();
    Expect(((string?)scheduled["Input"])?.Contains(text) == true, $"TaskScheduled.Input is {scheduled["Input"]}");
    var completed = OfType(history, EventType.TaskCompleted).Single();
    ExpectJson((string?)completed["Result"], Newtonsoft.Json.JsonConvert.SerializeObject(Mirror(text)), "TaskCompleted.Result");
});

// ---- (b) the provider starts and signals, devhost's engine runs ---------------------------------------

await Check("b1 an instance started and signalled by TaskHubClient, run by devhost", async () =>
{
    var started = await client.CreateOrchestrationInstanceAsync("approval", "", "dotnet-approved", JObject.Parse("""{"name":"Lin","amount":7}"""));
    var waiting = await UntilWaiting(started.InstanceId);
    Expect(waiting.OrchestrationStatus == OrchestrationStatus.Running, $"status {waiting.OrchestrationStatus}");
    await client.RaiseEventAsync(started, "decision", JObject.Parse("""{"approved":false,"by":"dotnet"}"""));
    var done = await UntilDone(started);
    Expect(done.OrchestrationStatus == OrchestrationStatus.Completed, $"status {done.OrchestrationStatus}, output {done.Output}");
    ExpectJson(done.Output, """{"greeting":"Hello Lin","amount":7,"decision":{"approved":false,"by":"dotnet"}}""", "output");
    ExpectJson(done.Status, """{"stage":"done","approved":false}""", "custom status");
    Expect(done.OrchestrationInstance.ExecutionId == started.ExecutionId, $"execution {done.OrchestrationInstance.ExecutionId}, started {started.ExecutionId}");
    // devhost's own HTTP API sees the same instance.
    var answer = JObject.Parse(await http.GetStringAsync($"{hostUrl}/runtime/webhooks/durabletask/instances/dotnet-approved"));
    Expect((string?)answer["runtimeStatus"] == "Completed", $"devhost says {answer["runtimeStatus"]}");
});

await Check("b2 an event raised by TaskHubClient to an instance devhost started", async () =>
{
    var waiting = await State("interop-waiting");
    await client.RaiseEventAsync(waiting.OrchestrationInstance, "decision", JObject.Parse("""{"approved":true,"by":"dotnet"}"""));
    var done = await UntilDone(waiting.OrchestrationInstance);
    Expect(done.OrchestrationStatus == OrchestrationStatus.Completed, $"status {done.OrchestrationStatus}");
    ExpectJson(done.Output, """{"greeting":"Hello Grace","amount":1,"decision":{"approved":true,"by":"dotnet"}}""", "output");
});

await Check("b3 a start whose input is over the queue limit (sent as a compressed blob)", async () =>
{
    var text = LargeText(largeLength);
    var started = await client.CreateOrchestrationInstanceAsync("large", "", "dotnet-large", new JObject { ["text"] = text });
    var done = await UntilDone(started);
    Expect(done.OrchestrationStatus == OrchestrationStatus.Completed, $"status {done.OrchestrationStatus}, output {done.Output?[..Math.Min(200, done.Output.Length)]}");
    var output = JToken.Parse(done.Output ?? "null");
    Expect((int?)output?["length"] == largeLength && (string?)output?["mirrored"] == Mirror(text), "output is not the mirrored text");
    Expect((string?)JToken.Parse(done.Input ?? "null")?["text"] == text, "input is not the text");
});

await Check("b4 an instance started by its ExecutionStarted message alone, as a DTFx worker starts a sub-orchestration", async () =>
{
    // No Instances row is written first: the provider's worker writes it at the instance's first checkpoint.
    var instance = new OrchestrationInstance { InstanceId = "dotnet-message", ExecutionId = Guid.NewGuid().ToString("N") };
    var start = new ExecutionStartedEvent(-1, """{"text":"abc"}""") { Name = "large", Version = "", OrchestrationInstance = instance };
    await service.SendTaskOrchestrationMessageAsync(new TaskMessage { OrchestrationInstance = instance, Event = start });
    var done = await UntilDone(instance);
    Expect(done.OrchestrationStatus == OrchestrationStatus.Completed, $"status {done.OrchestrationStatus}");
    ExpectJson(done.Output, """{"length":3,"mirrored":"cba"}""", "output");
    ExpectJson(done.Input, """{"text":"abc"}""", "input");
    Expect(done.Name == "large" && done.OrchestrationInstance.ExecutionId == instance.ExecutionId, $"name {done.Name}, execution {done.OrchestrationInstance.ExecutionId}");
});

await Check("b5 suspend, resume and terminate through TaskHubClient", async () =>
{
    var started = await client.CreateOrchestrationInstanceAsync("approval", "", "dotnet-terminated", JObject.Parse("""{"name":"Kay","amount":5}"""));
    await UntilWaiting(started.InstanceId);
    async Task<OrchestrationState> UntilStatus(OrchestrationStatus wanted)
    {
        var deadline = DateTime.UtcNow + waitLimit;
        while (true)
        {
            var state = await State(started.InstanceId);
            if (state.OrchestrationStatus == wanted) return state;
            Expect(DateTime.UtcNow < deadline, $"status stayed {state.OrchestrationStatus}, expected {wanted}");
            await Task.Delay(200);
        }
    }
    await client.SuspendInstanceAsync(started, "paused by dotnet");
    await UntilStatus(OrchestrationStatus.Suspended);
    await client.ResumeInstanceAsync(started, "resumed by dotnet");
    await UntilStatus(OrchestrationStatus.Running);
    await client.TerminateInstanceAsync(started, "stopped by dotnet");
    var done = await UntilDone(started);
    Expect(done.OrchestrationStatus == OrchestrationStatus.Terminated, $"status {done.OrchestrationStatus}");
    Expect(done.Output == "stopped by dotnet", $"output {done.Output}");
    var history = await History(done);
    var types = history.Select(e => ((EventType)(int)e["EventType"]!).ToString()).ToArray();
    foreach (var type in new[] { "ExecutionSuspended", "ExecutionResumed", "ExecutionTerminated" })
        Expect(types.Contains(type), $"no {type} in {string.Join(",", types)}");
    var end = OfType(history, EventType.ExecutionCompleted).SingleOrDefault();
    Expect(end != null && (int?)end["OrchestrationStatus"] == (int)OrchestrationStatus.Terminated, $"events {string.Join(",", types)}");
});

// ---- (c) listing and purging ----------------------------------------------------------------------------

var queryClient = (IOrchestrationServiceQueryClient)service;
var purgeClient = (IOrchestrationServicePurgeClient)service;

async Task<List<OrchestrationState>> List(OrchestrationQuery query)
{
    var all = new List<OrchestrationState>();
    do
    {
        var page = await queryClient.GetOrchestrationWithQueryAsync(query, CancellationToken.None);
        all.AddRange(page.OrchestrationState);
        query.ContinuationToken = page.ContinuationToken;
    } while (query.ContinuationToken != null);
    return all;
}

string[] everyId = ["dotnet-approved", "dotnet-large", "dotnet-message", "dotnet-terminated", "interop-approved", "interop-large", "interop-purge", "interop-running", "interop-waiting"];

await Check("c1 listing by prefix, status and creation time, two at a time", async () =>
{
    var all = await List(new OrchestrationQuery { PageSize = 2, CreatedTimeFrom = runStarted, FetchInputsAndOutputs = false });
    var ids = all.Select(s => s.OrchestrationInstance.InstanceId).Order().ToArray();
    Expect(ids.SequenceEqual(everyId), $"listed {string.Join(",", ids)}");
    var running = await List(new OrchestrationQuery { RuntimeStatus = [OrchestrationStatus.Running], InstanceIdPrefix = "interop-" });
    Expect(running.Select(s => s.OrchestrationInstance.InstanceId).SequenceEqual(["interop-running"]), $"running: {string.Join(",", running.Select(s => s.OrchestrationInstance.InstanceId))}");
    ExpectJson(running[0].Status, """{"stage":"waiting","greeting":"Hello Alan"}""", "listed custom status");
    var prefixed = await List(new OrchestrationQuery { InstanceIdPrefix = "dotnet-", TaskHubNames = [hub] });
    var statuses = string.Join(",", prefixed.OrderBy(s => s.OrchestrationInstance.InstanceId).Select(s => $"{s.OrchestrationInstance.InstanceId}={s.OrchestrationStatus}"));
    Expect(statuses == "dotnet-approved=Completed,dotnet-large=Completed,dotnet-message=Completed,dotnet-terminated=Terminated", $"dotnet-: {statuses}");
});

await Check("c2 purging one instance", async () =>
{
    var result = await service.PurgeInstanceHistoryAsync("interop-purge");
    Expect(result.InstancesDeleted == 1, $"{result.InstancesDeleted} instances deleted");
    Expect(result.RowsDeleted >= 8, $"{result.RowsDeleted} history rows deleted");
    Expect(await client.GetOrchestrationStateAsync("interop-purge") == null, "the instance is still there");
    var answer = await http.GetAsync($"{hostUrl}/runtime/webhooks/durabletask/instances/interop-purge");
    Expect(answer.StatusCode == HttpStatusCode.NotFound, $"devhost answers {(int)answer.StatusCode} for it");
});

await Check("c3 purging by creation time and status, large-message blobs included", async () =>
{
    var result = await purgeClient.PurgeInstanceStateAsync(new PurgeInstanceFilter(runStarted, null, [OrchestrationStatus.Completed]));
    Expect(result.DeletedInstanceCount == 6, $"{result.DeletedInstanceCount} instances purged, expected 6");
    var left = (await List(new OrchestrationQuery { CreatedTimeFrom = runStarted })).Select(s => s.OrchestrationInstance.InstanceId).Order();
    Expect(left.SequenceEqual(["dotnet-terminated", "interop-running"]), $"left: {string.Join(",", left)}");
    var container = new BlobContainerClient(storage, $"{hub.ToLowerInvariant()}-largemessages");
    var blobs = new List<string>();
    await foreach (var blob in container.GetBlobsAsync()) blobs.Add(blob.Name);
    Expect(!blobs.Any(b => b.StartsWith("interop-large") || b.StartsWith("dotnet-large")), $"blobs left: {string.Join(",", blobs)}");
    var answer = await http.GetAsync($"{hostUrl}/runtime/webhooks/durabletask/instances/interop-approved");
    Expect(answer.StatusCode == HttpStatusCode.NotFound, $"devhost answers {(int)answer.StatusCode} for a purged instance");
});

Console.WriteLine(failures == 0 ? "interop: all checks passed" : $"interop: {failures} check(s) failed");
return failures == 0 ? 0 : 1;
