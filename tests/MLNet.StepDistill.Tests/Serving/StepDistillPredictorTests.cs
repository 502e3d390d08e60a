using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Serving;
using MLNet.StepDistill.Tests.Pipeline;
using MLNet.StepDistill.Tests.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Serving;

/// <summary>The batching predictor as a library: an exported ONNX folder in a generic host, input checks, cancellation, what the assembly references.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class StepDistillPredictorTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    [Fact]
    public async Task An_onnx_folder_in_a_generic_host_answers_concurrent_callers_as_its_transform_does_and_is_freed_with_the_host()
    {
        var rows = fixture.Rows.Take(64).ToArray();
        var ml = new MLContext();
        float[][] expected;
        using (var student = ml.StepDistillOnnx().LoadStudent(fixture.OnnxFolder, new OnnxRuntimeOptions { Threads = 1 }))
        {
            var pipeline = ml.StepDistillOnnx().FormatStudentInput(fixture.Dataset.Schema).Fit(ml.Data.LoadFromEnumerable(rows)).Append(student);
            expected = [.. ml.Data.CreateEnumerable<ClassPrediction>(pipeline.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).Select(p => p.Score)];
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddStepDistillPredictor<NliRow, ClassPrediction>(fixture.OnnxFolder, options =>
        {
            options.InputSchema = fixture.Dataset.Schema;
            options.MaxBatchSize = 8;
            options.MaxWait = TimeSpan.FromMilliseconds(5);
        });
        var predictor = default(IStepDistillPredictor<NliRow, ClassPrediction>);
        using (var host = builder.Build())
        {
            await host.StartAsync();
            predictor = host.Services.GetRequiredService<IStepDistillPredictor<NliRow, ClassPrediction>>();
            Assert.Equal("ONNX Runtime", predictor.Model.Runtime);
            Assert.Equal(fixture.ClassNames, predictor.Model.ClassNames);

            var answers = new ClassPrediction[rows.Length];
            await Task.WhenAll(Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
            {
                for (var i = client; i < rows.Length; i += 8)
                {
                    answers[i] = await predictor.PredictAsync(rows[i]);
                }
            })));
            for (var i = 0; i < rows.Length; i++)
            {
                AssertClose(expected[i], answers[i].Score, $"row {i}");
            }

            Assert.True(predictor.Statistics.MeanBatchSize > 1, predictor.Statistics.ToString());
            Assert.True(predictor.Statistics.Batches < rows.Length);
            await host.StopAsync();
        }

        var onnx = Assert.IsType<OnnxStudentTransformer>(predictor.Model.Student);
        Assert.Throws<ObjectDisposedException>(() => onnx.Transform(ml.Data.LoadFromEnumerable(new[] { new OnnxInput() })));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => predictor.PredictAsync(rows[0]));
    }

    [Fact]
    public async Task Requests_missing_a_field_or_too_long_are_refused_before_they_are_queued_and_a_row_class_without_a_field_fails_at_startup()
    {
        using var model = StepDistillServedModel.Load(fixture.ModelZip);
        Assert.Equal(["premise", "hypothesis"], model.RequiredFields);
        using var predictor = new StepDistillPredictor<NliRow, ClassPrediction>(model, new StepDistillPredictorOptions { MaxFieldLength = 100 });

        var missing = await Assert.ThrowsAsync<StepDistillRequestException>(() => predictor.PredictAsync(new NliRow { Premise = "A dog runs." }));
        Assert.Equal("hypothesis", missing.Field);
        Assert.Contains("\"hypothesis\" is empty; this model needs \"premise\", \"hypothesis\"", missing.Message);
        var nullField = await Assert.ThrowsAsync<StepDistillRequestException>(() => predictor.PredictAsync(new NliRow { Premise = null!, Hypothesis = "x" }));
        Assert.Contains("\"premise\" is missing", nullField.Message);
        var tooLong = await Assert.ThrowsAsync<StepDistillRequestException>(() => predictor.PredictAsync(new NliRow { Premise = new string('x', 101), Hypothesis = "x" }));
        Assert.Equal("premise", tooLong.Field);
        Assert.Equal(0, predictor.Statistics.Requests);

        // Cancelled before its batch runs: the caller sees the cancellation, the others their answers.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => predictor.PredictAsync(fixture.Rows[0], cancellationToken: cancelled.Token));
        var answer = await predictor.PredictAsync(fixture.Rows[0]);
        Assert.Contains(answer.PredictedText, fixture.ClassNames);

        var error = Assert.Throws<InvalidOperationException>(() => new StepDistillPredictor<PremiseOnly, ClassPrediction>(model, new StepDistillPredictorOptions()));
        Assert.Contains("\"hypothesis\"", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDistillPredictor<NliRow, ClassPrediction>(model, new StepDistillPredictorOptions { MaxBatchSize = 0 }));
    }

    [Fact]
    public void A_missing_model_fails_the_host_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddStepDistillPredictor<NliRow, ClassPrediction>("/nonexistent/student.zip");
        using var host = builder.Build();
        var error = Assert.ThrowsAny<Exception>(() => host.StartAsync().GetAwaiter().GetResult());
        Assert.Contains("/nonexistent/student.zip", error.ToString());
    }

    [Fact]
    public void The_serving_assembly_names_no_TorchSharp_so_an_ONNX_app_carries_none()
    {
        var references = typeof(StepDistillPredictor<,>).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.Contains("MLNet.StepDistill.Onnx", references);
        Assert.DoesNotContain(references, r => r.Contains("Torch", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(StepDistillServedModel.TorchSharpAssembly, references);

        // The TorchSharp loader it finds by name is still there, with the signature it calls.
        Assert.NotNull(typeof(StepDistillCatalog).GetMethod("LoadModel", [typeof(string), typeof(DataViewSchema).MakeByRefType(), typeof(string)]));
        Assert.Equal(StepDistillServedModel.TorchSharpAssembly, typeof(StepDistillCatalog).Assembly.GetName().Name);
        Assert.Equal("MLNet.StepDistill.StepDistillMLContextExtensions", typeof(StepDistillMLContextExtensions).FullName);
    }

    private static void AssertClose(float[] expected, float[] actual, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"{where}, class {i}: {actual[i]} against {expected[i]}");
        }
    }

    private sealed class PremiseOnly
    {
        [ColumnName("premise")] public string Premise { get; set; } = "";
    }

    private sealed class OnnxInput
    {
        public string Input { get; set; } = "x";
    }
}
