using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using MLNet.StepDistill.Samples.Serving;
using MLNet.StepDistill.Serving;
using MLNet.StepDistill.Tests.Pipeline;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Serving;

/// <summary>
/// The sample app (samples/Serving) on a real Kestrel socket on loopback, serving a freshly trained model zip: many
/// concurrent clients, each answered with its own row's result as the batched ML.NET Transform gives it.
/// </summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class ServingSampleTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    [Fact]
    public async Task Two_hundred_requests_from_16_concurrent_clients_get_the_batched_transforms_answer_for_their_row()
    {
        var expected = BatchedTransform(fixture.ModelZip, fixture.Rows);
        var app = ServingApp.Build(["--model", fixture.ModelZip, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"]);
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            Assert.StartsWith("http://127.0.0.1:", client.BaseAddress.ToString());

            var replies = new JsonElement[fixture.Rows.Length];
            var next = -1;
            var clients = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                for (var i = Interlocked.Increment(ref next); i < fixture.Rows.Length; i = Interlocked.Increment(ref next))
                {
                    var row = fixture.Rows[i];
                    using var response = await client.PostAsJsonAsync("/predict", new { premise = row.Premise, hypothesis = row.Hypothesis });
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    replies[i] = await response.Content.ReadFromJsonAsync<JsonElement>();
                }
            })).ToArray();
            await Task.WhenAll(clients);

            for (var i = 0; i < fixture.Rows.Length; i++)
            {
                Assert.Equal(expected[i].PredictedText, replies[i].GetProperty("label").GetString());
                var scores = replies[i].GetProperty("scores");
                Assert.Equal(fixture.ClassNames, scores.EnumerateObject().Select(p => p.Name));
                for (var c = 0; c < fixture.ClassNames.Count; c++)
                {
                    var served = scores.GetProperty(fixture.ClassNames[c]).GetSingle();
                    Assert.True(Math.Abs(served - expected[i].Score[c]) <= 1e-5f, $"row {i}, class {fixture.ClassNames[c]}: served {served}, batched Transform {expected[i].Score[c]}");
                }

                Assert.False(replies[i].TryGetProperty("rationale", out _));
            }

            // The rows really were batched: fewer batches than requests.
            var health = await client.GetFromJsonAsync<JsonElement>("/health");
            Assert.Equal("ok", health.GetProperty("status").GetString());
            Assert.Equal("TorchSharp", health.GetProperty("runtime").GetString());
            Assert.Equal(["premise", "hypothesis"], health.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
            Assert.Equal(200, health.GetProperty("requests").GetInt64());
            Assert.True(health.GetProperty("batches").GetInt64() < 200, health.ToString());
            Assert.True(health.GetProperty("meanBatchSize").GetDouble() > 1, health.ToString());
        }
    }

    [Fact]
    public async Task Rationale_on_request_bad_requests_as_400_with_the_reason_and_an_OpenAPI_document()
    {
        var app = ServingApp.Build(["--model", fixture.ModelZip, "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"]);
        IStepDistillPredictor<PredictRequest, ServedAnswer> predictor;
        await using (app)
        {
            await app.StartAsync();
            predictor = app.Services.GetRequiredService<IStepDistillPredictor<PredictRequest, ServedAnswer>>();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            var row = fixture.Rows[0];

            var explained = await client.PostAsJsonAsync("/predict?rationale=true", new { premise = row.Premise, hypothesis = row.Hypothesis });
            Assert.Equal(HttpStatusCode.OK, explained.StatusCode);
            var body = await explained.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(body.GetProperty("label").GetString(), fixture.ClassNames);
            Assert.Equal(JsonValueKind.String, body.GetProperty("rationale").ValueKind);

            var missing = await client.PostAsJsonAsync("/predict", new { premise = row.Premise });
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
            var problem = await missing.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("\"hypothesis\" is missing", problem.GetProperty("detail").GetString());
            Assert.Equal("hypothesis", problem.GetProperty("field").GetString());

            var tooLong = await client.PostAsJsonAsync("/predict", new { premise = new string('a', 5000), hypothesis = row.Hypothesis });
            Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
            Assert.Contains("5000 characters long; the limit is 4096", (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

            var empty = await client.PostAsJsonAsync("/predict", new { premise = "  ", hypothesis = row.Hypothesis });
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);

            using var broken = await client.PostAsync("/predict", new StringContent("{\"premise\": ", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);

            // The server is still answering after all that.
            var after = await client.PostAsJsonAsync("/predict", new { premise = row.Premise, hypothesis = row.Hypothesis });
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);

            var openApi = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
            var paths = openApi.GetProperty("paths");
            Assert.True(paths.TryGetProperty("/predict", out var predict));
            Assert.True(predict.TryGetProperty("post", out _));
            Assert.True(paths.TryGetProperty("/health", out _));
            Assert.Contains("hypothesis", openApi.GetProperty("components").GetProperty("schemas").GetProperty("PredictRequest").GetProperty("properties").ToString());
        }

        // The host's shutdown disposed the model: the student's weights are freed.
        var student = Assert.IsType<Seq2SeqStudentTransformer>(predictor.Model.Student);
        Assert.True(student.IsDisposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => predictor.PredictAsync(new PredictRequest { Premise = "a", Hypothesis = "b" }));
    }

    [Fact]
    public void A_missing_model_is_a_usage_error_before_anything_starts()
    {
        Assert.Contains("--model is required", Assert.Throws<ServingApp.UsageException>(() => ServingApp.Build([])).Message);
        Assert.Contains("no such file or folder", Assert.Throws<ServingApp.UsageException>(() => ServingApp.Build(["--model", "/nonexistent/model.zip"])).Message);
    }

    /// <summary>The reference: the zip loaded on its own, all rows through one Transform (the student's cursor batches).</summary>
    internal static ClassPrediction[] BatchedTransform(string zip, NliRow[] rows)
    {
        var ml = new MLContext();
        using var model = ml.StepDistill().LoadModel(zip, out _);
        return [.. ml.Data.CreateEnumerable<ClassPrediction>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false)];
    }
}
