using Microsoft.ML;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using static MLNet.StepDistill.Tests.Teaching.AnnotationTestData;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>Tokens per row from the server's usage (or estimated), cost from prices, budgets and dry runs.</summary>
public class CostAccountingTests
{
    private static readonly TeacherPrices Prices = new() { InputPerMillion = 2.5, OutputPerMillion = 10, BatchDiscount = 0.5 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Report_tokens_and_cost_are_the_sums_of_the_usage_the_server_reported_per_row(bool batch)
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var data = svamp.View(40);
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var options = Options(svamp, folder);
        options.Prices = Prices;
        options.Batch = batch ? BatchAnnotationTests.FastBatch() : null;
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        var result = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);

        // What the server said it charged: its usage is the word count of the messages and of the completion.
        var requests = batch ? server.Batches.Requests : server.Requests;
        Assert.Equal(40, requests.Count);
        var serverPrompt = requests.Sum(r => (long)r.Messages.Sum(m => FakeChatCompletionsServer.WordCount(m.Content)));
        var byPrompt = svamp.Responder();
        var serverCompletion = requests.Sum(r => (long)FakeChatCompletionsServer.WordCount(byPrompt(r)!));
        Assert.Equal(serverPrompt, result.Report.PromptTokens);
        Assert.Equal(serverCompletion, result.Report.CompletionTokens);
        Assert.Equal(serverPrompt, result.Rows.Sum(r => r.PromptTokens));
        Assert.Equal(serverCompletion, result.Rows.Sum(r => r.CompletionTokens));
        Assert.False(result.Report.TokensEstimated);
        var expected = (serverPrompt * 2.5 + serverCompletion * 10) / 1e6 * (batch ? 0.5 : 1);
        Assert.Equal(expected, result.Report.Cost!.Value, 12);
        Assert.Equal(expected, result.Rows.Sum(r => r.Cost!.Value), 12);

        // A re-run pays nothing; the rows still say what their completions weighed.
        var again = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);
        Assert.Equal(0, again.Report.Cost);
        Assert.Equal(0, again.Report.PromptTokens);
        Assert.All(again.Rows, r => Assert.Equal(1, r.CachedSamples));
        Assert.Equal(serverPrompt, again.Rows.Sum(r => r.PromptTokens));
    }

    [Fact]
    public async Task Without_usage_from_the_server_tokens_are_counted_with_the_tokenizer_and_marked_estimated()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { ReportUsage = false });
        var options = Options(svamp, ServerTestData.NewFolder());
        options.Prices = Prices;
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        var result = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(svamp.View(5));

        Assert.True(result.Report.TokensEstimated);
        Assert.All(result.Rows, r => Assert.True(r.TokensEstimated));
        var prompt = RationalePrompt.ForDataset(svamp.Dataset.Manifest);
        var expected = svamp.Examples.Take(5).Sum(e => (long)TokenEstimator.PromptTokens(prompt.Build(e)));
        Assert.Equal(expected, result.Report.PromptTokens);
        Assert.Equal(svamp.Examples.Take(5).Sum(e => (long)TokenEstimator.Count(svamp.Completions[e.Id])), result.Report.CompletionTokens);
    }

    [Fact]
    public async Task A_budget_is_never_passed_stops_within_one_in_flight_window_and_a_rerun_with_more_continues()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var rows = svamp.Examples.Take(60).ToArray();
        var data = svamp.View(60);
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { Latency = TimeSpan.FromMilliseconds(5) });
        var prompt = RationalePrompt.ForDataset(svamp.Dataset.Manifest);
        var worst = rows.Select(e => Prices.Cost(TokenEstimator.PromptTokens(prompt.Build(e)), 256)).ToArray();
        const int Concurrency = 4;
        var budget = worst.Take(20).Sum();
        var options = Options(svamp, folder, concurrency: Concurrency);
        options.Prices = Prices;
        options.MaxCost = budget;
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: Concurrency));

        var stopped = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);

        Assert.True(stopped.Report.BudgetReached);
        Assert.True(stopped.Report.Cost <= budget, $"spent {stopped.Report.Cost} of {budget}");
        // The run stopped only when spent + in flight (worst cases) + the next call's worst case would pass the budget:
        // so what is spent is within one window of in-flight worst cases of the budget.
        Assert.True(stopped.Report.Cost > budget - Concurrency * worst.Max(), $"spent {stopped.Report.Cost} of {budget}: stopped too early");
        Assert.InRange(server.CompletionCount, 20, 59);
        Assert.Equal(server.CompletionCount, (int)stopped.Report.Calls);
        Assert.True(60 - server.CompletionCount == stopped.Report.CallFailed, string.Join(" | ", stopped.Rows.Select(r => r.Reason).Distinct()));
        Assert.All(stopped.Rows.Where(r => r.Status == AnnotationStatus.CallFailed), r => Assert.Contains("budget", r.Reason));

        options.MaxCost = budget * 10;
        var finished = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);
        Assert.Equal(0, finished.Report.CallFailed);
        Assert.False(finished.Report.BudgetReached);
        Assert.Equal(60, server.CompletionCount);
        Assert.True(60 - stopped.Report.Calls == finished.Report.Calls, $"{stopped.Report} || {finished.Report}");
        Assert.All(server.RequestsPerPrompt.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task A_dry_run_counts_what_the_cache_lacks_and_asks_nothing()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var options = Options(svamp, folder);
        options.Prices = Prices;
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());
        var annotator = new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options);
        var prompt = RationalePrompt.ForDataset(svamp.Dataset.Manifest);

        var before = annotator.Estimate(svamp.View(30));
        Assert.Equal(0, server.RequestCount);
        Assert.Equal(30, before.Requests);
        Assert.Equal(svamp.Examples.Take(30).Sum(e => (long)TokenEstimator.PromptTokens(prompt.Build(e))), before.PromptTokens);
        Assert.Equal(30L * before.CompletionTokensPerRequest, before.CompletionTokens);
        Assert.Equal(Prices.Cost(before.PromptTokens, before.CompletionTokens), before.Cost!.Value, 12);
        Assert.Equal(before.Cost!.Value / 2, before.BatchCost!.Value, 12);

        await annotator.AnnotateAsync(svamp.View(10));
        var after = annotator.Estimate(svamp.View(30));
        Assert.Equal(20, after.Requests);
        Assert.Equal(10, after.CachedSamples);
        Assert.Equal(10, server.RequestCount);
    }
}
