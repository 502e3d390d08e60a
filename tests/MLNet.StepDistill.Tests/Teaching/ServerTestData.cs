using System.Text.Json;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.TestServer;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>A shipped SVAMP row and the PaLM completion recorded for it.</summary>
internal sealed record RecordedRow(string Id, string Question, string Completion);

/// <summary>
/// What the chat-teacher tests share: recorded completions from the shipped datasets (so the fake server answers
/// with real teacher text), fast call options and scratch folders.
/// </summary>
internal static class ServerTestData
{
    public const string ApiKey = "test-key";
    public const string Model = "palm-540b-recorded";

    private static readonly Lazy<IReadOnlyList<RecordedRow>> Svamp = new(ReadSvampTest);

    /// <summary>The first <paramref name="count"/> rows of datasets/svamp/test.jsonl with their recorded completions.</summary>
    public static IReadOnlyList<RecordedRow> SvampRows(int count) => Svamp.Value.Take(count).ToArray();

    /// <summary>Answers a request whose user message is a row's question with that row's recorded completion.</summary>
    public static Func<FakeChatRequest, string?> Responder(IEnumerable<RecordedRow> rows)
    {
        var byQuestion = rows.ToDictionary(r => r.Question, r => r.Completion, StringComparer.Ordinal);
        return request => byQuestion.GetValueOrDefault(request.UserPrompt);
    }

    public static TeacherPrompt Prompt(RecordedRow row, string? system = null) => new(row.Id, system, row.Question);

    /// <summary>Options with millisecond delays so retry tests run fast.</summary>
    public static TeacherCallOptions FastOptions(int maxRetries = 3, int maxConcurrency = 8, TimeSpan? perCallTimeout = null,
        double? requestsPerSecond = null, Action<TeacherRetryNotice>? onRetry = null, TimeSpan? maxDelay = null) => new()
        {
            MaxRetries = maxRetries,
            MaxConcurrency = maxConcurrency,
            BaseDelay = TimeSpan.FromMilliseconds(1),
            MaxDelay = maxDelay ?? TimeSpan.FromMilliseconds(20),
            PerCallTimeout = perCallTimeout ?? TimeSpan.FromSeconds(20),
            RequestsPerSecond = requestsPerSecond,
            OnRetry = onRetry,
        };

    public static ChatClientTeacher Teacher(FakeChatCompletionsServer server, TeacherCallOptions options, string apiKey = ApiKey) =>
        OpenAiCompatibleTeacher.Create(server.BaseUri, Model, apiKey, options);

    private static readonly Lazy<string> ScratchRoot = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "stepdistill-tests", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return root;
    });

    /// <summary>A fresh, empty folder under this test run's scratch folder (deleted when the run ends).</summary>
    public static string NewFolder()
    {
        var folder = Path.Combine(ScratchRoot.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static IReadOnlyList<RecordedRow> ReadSvampTest()
    {
        var root = RepoPaths.Root;
        var completions = File.ReadLines(Path.Combine(root, "datasets", "svamp", "teacher", "palm-540b", "test.jsonl"))
            .Take(64)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("completion").GetString()!);
        return File.ReadLines(Path.Combine(root, "datasets", "svamp", "test.jsonl"))
            .Take(64)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => new RecordedRow(e.GetProperty("id").GetString()!, e.GetProperty("question").GetString()!, completions[e.GetProperty("id").GetString()!]))
            .ToArray();
    }

}
