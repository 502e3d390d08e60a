using Microsoft.ML;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using static MLNet.StepDistill.Tests.Teaching.AnnotationTestData;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>Annotation as training-data preparation: Annotate(...) gives data and report in one run, and nothing of it saves as a model.</summary>
public class AnnotateApiTests
{
    private static readonly string[] Columns = ["id", "Rationale", "TeacherLabel", "AnnotationStatus"];

    [Fact]
    public async Task Annotate_returns_the_annotated_view_and_its_report_from_one_run_like_fit_then_transform()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var data = svamp.View(20);
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());
        var mlContext = new MLContext(seed: 1);
        var folder = ServerTestData.NewFolder();

        var result = mlContext.StepDistill().AnnotateRationales(teacher, Options(svamp, folder)).Annotate(data);
        var viaFit = mlContext.StepDistill().AnnotateRationales(teacher, Options(svamp, folder)).Fit(data).Transform(data);

        Assert.Equal(20, server.CompletionCount);
        Assert.Equal(20, result.Report.Rows);
        Assert.Equal(20L, result.Report.Calls);
        Assert.Equal(ReadRows(result.Data, Columns), ReadRows(viaFit, Columns));
        Assert.Equal(result.Rows.Select(r => r.Id), ReadRows(result.Data, "id").Select(r => r[0]));
    }

    [Fact]
    public async Task Saving_the_annotator_in_a_model_fails_with_what_to_save_instead()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var data = svamp.View(3);
        var mlContext = new MLContext(seed: 1);
        var teacher = RecordedTeacher.Open(svamp.Dataset.Manifest, "test", "palm-540b");
        var transformer = await mlContext.StepDistill().AnnotateRationales(teacher, Options(svamp, ServerTestData.NewFolder())).FitAsync(data);
        using var stream = new MemoryStream();

        var alone = Assert.ThrowsAny<Exception>(() => mlContext.Model.Save(transformer, data.Schema, stream));
        var chained = Assert.ThrowsAny<Exception>(() => mlContext.Model.Save(TransformerChainOf(transformer), data.Schema, new MemoryStream()));

        foreach (var ex in new[] { alone, chained })
        {
            var message = Flatten(ex);
            Assert.Contains("cannot be saved", message);
            Assert.Contains("must never call a teacher", message);
            Assert.Contains("Save the annotated data", message);
        }
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " / " + Flatten(e.InnerException);

    private static Microsoft.ML.Data.TransformerChain<ITransformer> TransformerChainOf(ITransformer t) => new(t);
}
