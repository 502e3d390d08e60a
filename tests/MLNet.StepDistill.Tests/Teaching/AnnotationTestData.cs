using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.TestServer;
using OpenAI;
using OpenAI.Chat;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>
/// A shipped dataset split with its recorded PaLM completions, and a responder that plays that teacher over HTTP: it reads
/// the last question of a few-shot prompt (the row being annotated) and answers with the completion recorded for it.
/// </summary>
internal sealed class RecordedSplit
{
    private static readonly Dictionary<(string, string), RecordedSplit> Loaded = [];

    private readonly ICompletionParser parser;

    private RecordedSplit(string name, string split)
    {
        Dataset = TaskDataset.Open(RepoPaths.Dataset(name));
        Examples = Dataset.ReadExamples(split);
        Completions = File.ReadLines(Dataset.Manifest.TeacherPath("palm-540b", split))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("completion").GetString()!, StringComparer.Ordinal);
        ById = Examples.ToDictionary(e => e.Id, StringComparer.Ordinal);
        parser = Dataset.Manifest.Family.CreateParser(Dataset.Schema, Dataset.Manifest.Completion);
    }

    public TaskDataset Dataset { get; }

    public IReadOnlyList<TaskExample> Examples { get; }

    public IReadOnlyDictionary<string, string> Completions { get; }

    public IReadOnlyDictionary<string, TaskExample> ById { get; }

    public static RecordedSplit Open(string name, string split)
    {
        lock (Loaded)
        {
            return Loaded.TryGetValue((name, split), out var s) ? s : Loaded[(name, split)] = new RecordedSplit(name, split);
        }
    }

    /// <summary>The first <paramref name="count"/> rows as an IDataView (all rows when null).</summary>
    public IDataView View(int? count = null) =>
        TaskDataset.ToDataView(count is { } n ? Examples.Take(n).ToArray() : Examples, Dataset.Schema);

    /// <summary>The reference parse of a row: its recorded completion read directly by the dataset's parser, not by an annotator.</summary>
    public ParsedCompletion Reference(TaskExample example) => parser.Parse(Completions[example.Id], example);

    /// <summary>Whether the reference parse of a row gives its gold answer (a parse without a label counts as wrong); null without gold.</summary>
    public bool? ReferenceCorrect(TaskExample example) =>
        example.Target is null ? null : Reference(example) is { HasLabel: true } parsed && Dataset.Manifest.Family.SameAnswer(parsed.Label, example.Target);

    /// <summary>
    /// Answers a chat request for one of this split's rows: the row is the question after the prompt's last <c>"Q: "</c>
    /// (up to <c>"\nAnswer Choices:"</c> or the final <c>"\nA:"</c>); null (404) for an unknown question.
    /// </summary>
    public Func<FakeChatRequest, string?> Responder()
    {
        var byQuestion = Examples.ToDictionary(e => e.Text, e => Completions[e.Id], StringComparer.Ordinal);
        return request => byQuestion.GetValueOrDefault(LastQuestion(request.UserPrompt));
    }

    public static string LastQuestion(string prompt)
    {
        var start = prompt.LastIndexOf("Q: ", StringComparison.Ordinal);
        var question = start < 0 ? prompt : prompt[(start + 3)..];
        var choices = question.IndexOf("\nAnswer Choices:", StringComparison.Ordinal);
        if (choices >= 0)
        {
            return question[..choices];
        }
        return question.EndsWith("\nA:", StringComparison.Ordinal) ? question[..^3] : question;
    }
}

internal static class AnnotationTestData
{
    /// <summary>
    /// A chat teacher through the real client stack (OpenAI SDK, IChatClient, Polly) with a fixed cache identity, so
    /// two loopback servers on different ports count as the same teacher (as a proxy in front of one model would).
    /// </summary>
    public static ChatClientTeacher LoopbackTeacher(FakeChatCompletionsServer server, TeacherCallOptions options, string identity = "openai-compatible|loopback|palm-540b-recorded")
    {
        var client = new ChatClient(ServerTestData.Model, new ApiKeyCredential(ServerTestData.ApiKey), new OpenAIClientOptions
        {
            Endpoint = server.BaseUri,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        }).AsIChatClient();
        return new ChatClientTeacher(client, ServerTestData.Model, identity, options, ownsClient: true, secret: ServerTestData.ApiKey);
    }

    public static RationaleAnnotatorOptions Options(RecordedSplit split, string cacheFolder, int concurrency = 16)
    {
        var options = RationaleAnnotatorOptions.ForDataset(split.Dataset.Manifest);
        options.CacheFolder = cacheFolder;
        options.MaxConcurrency = concurrency;
        return options;
    }

    /// <summary>Every row of a view: the values of the named text columns, in order.</summary>
    public static List<string[]> ReadRows(IDataView data, params string[] columns)
    {
        var cols = columns.Select(c => data.Schema[c]).ToArray();
        using var cursor = data.GetRowCursor(cols);
        return ReadAll(cursor, cols);
    }

    public static List<string[]> ReadAll(DataViewRowCursor cursor, DataViewSchema.Column[] cols)
    {
        var getters = cols.Select(c => cursor.GetGetter<ReadOnlyMemory<char>>(c)).ToArray();
        var rows = new List<string[]>();
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            rows.Add(getters.Select(g =>
            {
                g(ref value);
                return value.ToString();
            }).ToArray());
        }
        return rows;
    }

    /// <summary>A synchronous progress sink.</summary>
    public sealed class SyncProgress(Action<AnnotationProgress> report) : IProgress<AnnotationProgress>
    {
        public void Report(AnnotationProgress value) => report(value);
    }
}
