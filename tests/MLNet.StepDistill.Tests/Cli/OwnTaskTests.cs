using System.Text.Json;
using System.Text.RegularExpressions;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// A user's own task with a live chat teacher on loopback: a two-label e-mail dataset the project has never seen,
/// described to the teacher in dataset.json, answered in chat phrasings, as JSON through a schema, with exemplars the
/// teacher writes, with rationales that explain the gold label, and a run that fails loudly when nothing parses.
/// </summary>
public class OwnTaskTests
{
    [Fact]
    public async Task The_prompt_describes_the_task_and_chat_phrased_replies_annotate_every_row()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        await using var server = await FakeChatCompletionsServer.StartAsync(r => $"The message {Verdict(r.UserPrompt)}.\n\n**Answer:** {Label(r.UserPrompt)}");
        var outFile = Path.Combine(temp.Path, "annotated.jsonl");

        var (code, output, _) = await AnnotateAsync(server, dataset, temp.Path, @out: outFile);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(MailDataset.Rows.Length, json.RootElement.GetProperty("annotated").GetInt32());
        Assert.Equal(1.0, json.RootElement.GetProperty("teacherAccuracy").GetDouble());
        var prompt = server.Requests[0].UserPrompt;
        Assert.StartsWith("Task: Decide whether an e-mail is unsolicited bulk mail.\nThe labels:\n- spam: unsolicited bulk or fraudulent mail\n- ham: mail the recipient wants", prompt);
        Assert.Contains("The label is one of: spam, ham.", prompt);
        Assert.Contains(server.Requests, r => r.UserPrompt.EndsWith("\n\nQ: WIN a FREE cruise now\nClaim your prize today\nA:", StringComparison.Ordinal));
        Assert.All(File.ReadLines(outFile), line => Assert.Contains("\"status\":\"ok\"", line));

        // --show-prompt prints exactly what the first row is sent, and sends nothing.
        var sent = server.Requests.Count;
        var (shown, preview, _) = await AnnotateAsync(server, dataset, temp.Path, showPrompt: true);
        var firstRow = server.Requests.Single(r => r.UserPrompt.EndsWith("Q: WIN a FREE cruise now\nClaim your prize today\nA:", StringComparison.Ordinal));
        Assert.Equal(0, shown);
        Assert.Equal($"--- system ---\n(none)\n--- user ---\n{firstRow.UserPrompt}\n", preview.ReplaceLineEndings("\n"));
        Assert.Equal(sent, server.Requests.Count);
    }

    [Fact]
    public async Task Json_response_format_sends_a_schema_with_the_label_set_and_reads_json_replies()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        await using var server = await FakeChatCompletionsServer.StartAsync(r =>
            JsonSerializer.Serialize(new { rationale = $"The message {Verdict(r.UserPrompt)}.", label = Label(r.UserPrompt) }));

        var (code, output, _) = await AnnotateAsync(server, dataset, temp.Path, responseFormat: "json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(MailDataset.Rows.Length, json.RootElement.GetProperty("annotated").GetInt32());
        using var format = JsonDocument.Parse(server.Requests[0].ResponseFormat!);
        Assert.Equal("json_schema", format.RootElement.GetProperty("type").GetString());
        var schema = format.RootElement.GetProperty("json_schema").GetProperty("schema");
        Assert.Equal(["spam", "ham"], schema.GetProperty("properties").GetProperty("label").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["rationale", "label"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("\"rationale\"", server.Requests[0].SystemPrompt);
    }

    [Fact]
    public async Task A_server_that_rejects_the_schema_stops_the_run_and_says_to_drop_the_flag()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        await using var server = await FakeChatCompletionsServer.StartAsync(_ => "{}", new FakeServerOptions { RejectResponseFormat = true });

        var error = await Assert.ThrowsAsync<UserFacingException>(() => AnnotateAsync(server, dataset, temp.Path, responseFormat: "json"));

        Assert.Contains("rejected the JSON schema", error.Message);
        Assert.Contains("drop --response-format json", error.Message);
        // Stopped at the first answers: no completion, and no row asked twice (the rows in flight at once each asked once).
        Assert.Equal(0, server.CompletionCount);
        Assert.InRange(server.Requests.Count, 1, MailDataset.Rows.Length);
    }

    [Fact]
    public async Task A_run_where_nothing_parses_exits_non_zero_and_shows_a_failing_completion_with_the_reason()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        await using var server = await FakeChatCompletionsServer.StartAsync(_ => "I would rather not say what this e-mail is.");

        var (code, _, error) = await AnnotateAsync(server, dataset, temp.Path);

        Assert.Equal(1, code);
        Assert.Contains($"{MailDataset.Rows.Length} of {MailDataset.Rows.Length} rows ended without a usable label ({MailDataset.Rows.Length} parse-failed, 0 call-failed", error);
        Assert.Contains("did not parse: no \"So the answer is\"", error);
        Assert.Contains("its completion: \"I would rather not say what this e-mail is.\"", error);
    }

    [Fact]
    public async Task Most_rows_parsing_is_not_enough_past_the_max_failed_fraction()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        // Every second row hedges between the two labels: half the rows fail, more than --max-failed-fraction 0.25.
        await using var server = await FakeChatCompletionsServer.StartAsync(r =>
            r.UserPrompt.Contains("cruise", StringComparison.Ordinal) || r.UserPrompt.Contains("lunch", StringComparison.Ordinal) || r.UserPrompt.Contains("pills", StringComparison.Ordinal)
                ? "It could be either. So the answer is spam or ham."
                : $"The message {Verdict(r.UserPrompt)}. So the answer is {Label(r.UserPrompt)}.");

        var (strict, _, error) = await AnnotateAsync(server, dataset, temp.Path, maxFailedFraction: 0.25);
        var (lenient, output, _) = await AnnotateAsync(server, dataset, temp.Path, maxFailedFraction: 0.5);

        Assert.Equal(1, strict);
        Assert.Contains("names two answers", error);
        Assert.Equal(0, lenient);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(3, json.RootElement.GetProperty("parseFailures").GetInt32());
    }

    [Fact]
    public async Task Bootstrapped_exemplars_are_the_teachers_explanations_of_gold_labels_and_lead_every_later_prompt()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        var saved = Path.Combine(temp.Path, "exemplars.json");
        // Asked to explain a gold label, the teacher explains it, except for the first ham row, where it argues the other way.
        await using var server = await FakeChatCompletionsServer.StartAsync(r =>
        {
            var hint = Regex.Match(r.UserPrompt, "The correct answer to the next question is (\\w+)\\.");
            if (hint.Success)
            {
                var label = r.UserPrompt.Contains("lunch", StringComparison.Ordinal) ? "spam" : hint.Groups[1].Value;
                return $"Explained: the message {Verdict(r.UserPrompt)}. So the answer is {label}.";
            }
            return $"The message {Verdict(r.UserPrompt)}. So the answer is {Label(r.UserPrompt)}.";
        });

        var (code, output, _) = await AnnotateAsync(server, dataset, temp.Path, bootstrapExemplars: 3, saveExemplars: saved);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(2, json.RootElement.GetProperty("bootstrappedExemplars").GetInt32());
        Assert.Equal(3, json.RootElement.GetProperty("bootstrapCalls").GetInt32());
        Assert.Equal(3 + MailDataset.Rows.Length, json.RootElement.GetProperty("calls").GetInt32());
        Assert.Equal(MailDataset.Rows.Length, json.RootElement.GetProperty("rows").GetInt32());
        // Spread over the labels in row order: spam (row 1), ham (row 2, lunch: argued the other way), spam (row 3).
        var explainPrompts = server.Requests.Where(r => r.UserPrompt.Contains("The correct answer", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, explainPrompts.Length);
        var exemplars = ExemplarFile.Read(saved, TaskDataset.Open(dataset).Schema);
        Assert.Equal(["spam", "spam"], exemplars.Select(e => e.Label));
        Assert.All(exemplars, e => Assert.StartsWith("Explained: the message", e.Rationale));
        var later = server.Requests.Where(r => !r.UserPrompt.Contains("The correct answer", StringComparison.Ordinal)).ToArray();
        Assert.Equal(MailDataset.Rows.Length, later.Length);
        Assert.All(later, r => Assert.Contains("A: Explained: the message promises something for nothing. So the answer is spam.", r.UserPrompt));
    }

    [Fact]
    public async Task Explain_gold_asks_for_every_rows_gold_label_and_filters_replies_that_argue_otherwise()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        var outFile = Path.Combine(temp.Path, "annotated.jsonl");
        await using var server = await FakeChatCompletionsServer.StartAsync(r =>
        {
            var gold = Regex.Match(r.UserPrompt, "The correct answer to the next question is (\\w+)\\.").Groups[1].Value;
            return r.UserPrompt.Contains("pills", StringComparison.Ordinal) ? "Looks personal. So the answer is ham." : $"Because of the wording. So the answer is {gold}.";
        });

        var (code, output, _) = await AnnotateAsync(server, dataset, temp.Path, rationales: "explain-gold", @out: outFile);

        Assert.Equal(0, code);
        Assert.All(server.Requests, r => Assert.Matches("The correct answer to the next question is (spam|ham)\\.", r.UserPrompt));
        using var json = JsonDocument.Parse(output);
        Assert.Equal("explain-gold", json.RootElement.GetProperty("rationales").GetString());
        Assert.Equal(MailDataset.Rows.Length - 1, json.RootElement.GetProperty("annotated").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("filtered").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("teacherAccuracy").ValueKind);
        Assert.All(File.ReadLines(outFile), line => Assert.Contains("\"rationales\":\"explain-gold\"", line));
    }

    [Fact]
    public async Task Exemplar_prompt_and_system_options_shape_the_messages_and_their_mistakes_name_the_option()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        var exemplars = Path.Combine(temp.Path, "mine.json");
        File.WriteAllText(exemplars, """{"exemplars": [{"subject": "Team lunch", "body": "Friday at noon?", "rationale": "A colleague plans lunch.", "label": "ham"}]}""");
        var template = Path.Combine(temp.Path, "prompt.json");
        File.WriteAllText(template, """{"header": "Sort mail. {description}\nLabels: {labels}.", "question": "Mail: {input}\nVerdict:", "answer": " {rationale} So the answer is {label}."}""");
        await using var server = await FakeChatCompletionsServer.StartAsync(r => $"It {Verdict(r.UserPrompt)}. So the answer is {Label(r.UserPrompt)}.");

        var (code, _, _) = await AnnotateAsync(server, dataset, temp.Path, exemplars: exemplars, prompt: template, system: "You sort mail.");
        var badTemplate = Path.Combine(temp.Path, "bad.json");
        File.WriteAllText(badTemplate, """{"question": "Mail: {inputs}", "answer": " {rationale} {label}"}""");
        var error = await Assert.ThrowsAsync<UserFacingException>(() => AnnotateAsync(server, dataset, temp.Path, prompt: badTemplate));

        Assert.Equal(0, code);
        var request = server.Requests[0];
        Assert.Equal("You sort mail.", request.SystemPrompt);
        Assert.StartsWith("Sort mail. Decide whether an e-mail is unsolicited bulk mail.\nLabels: spam, ham.\n\nMail: Team lunch\nFriday at noon?\nVerdict: A colleague plans lunch. So the answer is ham.\n\nMail: ", request.UserPrompt);
        Assert.Contains("--prompt", error.Message);
        Assert.Contains("bad.json", error.Message);
        Assert.Contains("{inputs}", error.Message);
    }

    private static string Label(string prompt) => MailDataset.LabelOfLastQuestion(prompt);

    private static string Verdict(string prompt) => Label(prompt) == "spam" ? "promises something for nothing" : "comes from someone the reader knows";

    private static async Task<(int Code, string Output, string Error)> AnnotateAsync(
        FakeChatCompletionsServer server, string dataset, string folder, string? @out = null, string responseFormat = "text", double maxFailedFraction = 0.5,
        int bootstrapExemplars = 0, string? saveExemplars = null, string rationales = "teacher-label", string? exemplars = null, string? prompt = null, string? system = null, bool showPrompt = false)
    {
        var settings = new AnnotateCommand.Settings
        {
            Dataset = dataset, Split = "train", Teacher = "openai", Endpoint = server.BaseUri.ToString(), Model = "chat-model",
            ApiKeyEnv = "OWN_TASK_KEY", Cache = Path.Combine(folder, "cache-" + Guid.NewGuid().ToString("N")), Json = true,
            Out = @out, ResponseFormat = responseFormat, MaxFailedFraction = maxFailedFraction, BootstrapExemplars = bootstrapExemplars,
            SaveExemplars = saveExemplars, Rationales = rationales, Exemplars = exemplars, Prompt = prompt, System = system, ShowPrompt = showPrompt,
        };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await new AnnotateCommand(output, name => name == "OWN_TASK_KEY" ? "test-key" : null, error).RunAsync(settings, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}

/// <summary>A two-label e-mail dataset the project never shipped: CSV rows and a dataset.json that describes the task.</summary>
internal static class MailDataset
{
    public static readonly (string Id, string Subject, string Body, string Label)[] Rows =
    [
        ("m1", "WIN a FREE cruise now", "Claim your prize today", "spam"),
        ("m2", "Team lunch", "Are we still on for lunch on Friday?", "ham"),
        ("m3", "Cheap pills", "Best prices on pills, no prescription", "spam"),
        ("m4", "Minutes", "Here are the minutes of Monday's meeting", "ham"),
        ("m5", "You have won", "Send your bank details to receive the money", "spam"),
        ("m6", "Dinner", "Mum asks if you come for dinner on Sunday", "ham"),
    ];

    /// <summary>Writes train.csv, test.csv and dataset.json into <paramref name="folder"/> and returns the folder.</summary>
    public static string Write(string folder)
    {
        var csv = "id,subject,body,label\n" + string.Join("\n", Rows.Select(r => $"{r.Id},{r.Subject},\"{r.Body}\",{r.Label}")) + "\n";
        File.WriteAllText(Path.Combine(folder, "train.csv"), csv);
        File.WriteAllText(Path.Combine(folder, "test.csv"), csv);
        File.WriteAllText(Path.Combine(folder, "dataset.json"), """
            {
              "name": "mail",
              "family": "classification",
              "description": "Decide whether an e-mail is unsolicited bulk mail.",
              "idField": "id",
              "inputFields": ["subject", "body"],
              "targetField": "label",
              "labels": ["spam", "ham"],
              "labelDescriptions": { "spam": "unsolicited bulk or fraudulent mail", "ham": "mail the recipient wants" },
              "splits": { "train": "train.csv", "test": "test.csv" }
            }
            """);
        return folder;
    }

    /// <summary>The gold label of the row whose question ends the prompt (the last subject line that appears in it).</summary>
    public static string LabelOfLastQuestion(string prompt)
    {
        var last = Rows.Select(r => (r.Label, At: prompt.LastIndexOf(r.Subject + "\n" + r.Body, StringComparison.Ordinal))).MaxBy(r => r.At);
        return last.At < 0 ? "ham" : last.Label;
    }
}

/// <summary>
/// The experiment compares rationales that explain the gold label (annotate --rationales explain-gold) as a method of
/// its own, step-by-step-explained, next to the paper's step-by-step-gold on the teacher's own rationales.
/// </summary>
[Collection(Training.TorchRandomStateCollection.Name)]
public class ExplainedExperimentTests
{
    [Fact]
    public async Task Explain_gold_rationales_are_a_method_of_the_experiment()
    {
        using var temp = new TempFolder();
        var dataset = MailDataset.Write(temp.Path);
        await using var server = await FakeChatCompletionsServer.StartAsync(r =>
            r.UserPrompt.Contains("The correct answer to the next question is", StringComparison.Ordinal)
                ? $"Told the answer, the message {(MailDataset.LabelOfLastQuestion(r.UserPrompt) == "spam" ? "is a come-on" : "is personal")}. So the answer is {MailDataset.LabelOfLastQuestion(r.UserPrompt)}."
                : $"The message looks fine. So the answer is ham.");
        var predicted = Path.Combine(temp.Path, "predicted.jsonl");
        var explained = Path.Combine(temp.Path, "explained.jsonl");
        foreach (var (file, mode) in new[] { (predicted, "teacher-label"), (explained, "explain-gold") })
        {
            var code = await new AnnotateCommand(TextWriter.Null, _ => "test-key", TextWriter.Null).RunAsync(new AnnotateCommand.Settings
            {
                Dataset = dataset, Split = "train", Teacher = "openai", Endpoint = server.BaseUri.ToString(), Model = "m",
                Cache = Path.Combine(temp.Path, "cache"), Rationales = mode, Out = file, Json = true,
            }, CancellationToken.None);
            Assert.Equal(0, code);
        }

        ExperimentCommand.Settings Settings(string methods, string? explainedFile) => new()
        {
            Dataset = dataset, Annotated = predicted, Explained = explainedFile, Methods = methods, Fractions = "1", Seeds = "1", TestRows = 0,
            Steps = 2, BatchSize = 4, MaxInput = 32, MaxTarget = 16, Out = Path.Combine(temp.Path, "experiment"), Json = true,
        };

        Assert.Equal(0, new ExperimentCommand(TextWriter.Null).Execute(null!, Settings("step-by-step-gold,step-by-step-explained", explained), CancellationToken.None));
        var missing = Assert.Throws<UserFacingException>(() => new ExperimentCommand(TextWriter.Null).Execute(null!, Settings("step-by-step-explained", null), CancellationToken.None));
        var wrongKind = Assert.Throws<UserFacingException>(() => new ExperimentCommand(TextWriter.Null).Execute(null!, Settings("step-by-step-explained", predicted), CancellationToken.None));

        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Path, "experiment", "results.json")));
        var runs = results.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(["step-by-step-gold", "step-by-step-explained"], runs.Select(r => r.GetProperty("method").GetString()));
        Assert.All(runs, r => Assert.Equal("gold", r.GetProperty("labelSource").GetString()));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(explained))),
            results.RootElement.GetProperty("settings").GetProperty("explainedRowsSha256").GetString());
        Assert.Contains("--explained", missing.Message);
        Assert.Contains("explain-gold", wrongKind.Message);
    }
}
