using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using MLNet.StepDistill.Serving;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Samples.Serving;

/// <summary>The sample app: POST /predict, GET /health, and the OpenAPI document at /openapi/v1.json.</summary>
public static class ServingApp
{
    /// <summary>A missing or wrong command-line option (the program prints it and exits with 2).</summary>
    public sealed class UsageException(string message) : Exception(message);

    private const string Usage =
        "usage: dotnet run --project samples/Serving -c Release -- --model PATH [--urls http://127.0.0.1:5080] [--dataset DIR] [--max-batch N] [--max-wait-ms N]\n" +
        "  --model        a model zip written by stepdistill train (or SaveModel), or a folder written by stepdistill export-onnx\n" +
        "  --dataset      the dataset folder (dataset.json) of an exported folder, so requests carry its raw fields\n" +
        "  --max-batch    rows answered together, at most (default 16)\n" +
        "  --max-wait-ms  how long a request waits for others to join its batch (default 2)";

    /// <summary>Builds the app from its command line (<c>--model</c>, <c>--urls</c>, ...); the model loads when it starts.</summary>
    /// <exception cref="UsageException">An option is missing or wrong.</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var model = builder.Configuration["model"];
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new UsageException("--model is required.\n" + Usage);
        }

        if (!File.Exists(model) && !Directory.Exists(model))
        {
            throw new UsageException($"--model {model}: no such file or folder.\n" + Usage);
        }

        var dataset = builder.Configuration["dataset"];
        TaskSchema? schema;
        try
        {
            schema = dataset is null ? null : TaskDataset.Open(dataset).Schema;
        }
        catch (Exception ex) when (ex is IOException or DatasetFormatException)
        {
            throw new UsageException($"--dataset {dataset}: {ex.Message}");
        }

        var maxBatch = IntOption(builder.Configuration, "max-batch");
        var maxWait = IntOption(builder.Configuration, "max-wait-ms");
        builder.Services.AddStepDistillPredictor<PredictRequest, ServedAnswer>(model, options =>
        {
            options.InputSchema = schema;
            options.MaxBatchSize = maxBatch ?? options.MaxBatchSize;
            options.MaxWait = maxWait is { } ms ? TimeSpan.FromMilliseconds(ms) : options.MaxWait;
        });
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();

        var app = builder.Build();
        app.MapOpenApi();
        app.MapPost("/predict", Predict)
            .WithName("Predict")
            .WithDescription("Send the dataset's raw fields as JSON (e.g. {\"premise\": ..., \"hypothesis\": ...}); add ?rationale=true for the student's rationale. Concurrent requests are answered in batches.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/health", Health).WithName("Health");
        return app;
    }

    /// <summary>The student's answer for one row of the dataset's raw fields.</summary>
    internal static async Task<Results<Ok<PredictResponse>, ProblemHttpResult>> Predict(
        PredictRequest request, IStepDistillPredictor<PredictRequest, ServedAnswer> predictor, CancellationToken cancellationToken, bool rationale = false)
    {
        ServedAnswer answer;
        try
        {
            answer = await predictor.PredictAsync(request, rationale, cancellationToken);
        }
        catch (StepDistillRequestException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status400BadRequest, title: "The request cannot be answered as sent",
                extensions: ex.Field is null ? null : new Dictionary<string, object?> { ["field"] = ex.Field });
        }
        catch (StepDistillOverloadedException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Too many requests are waiting");
        }
        catch (ObjectDisposedException)
        {
            return TypedResults.Problem("The server is shutting down.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Shutting down");
        }

        return TypedResults.Ok(new PredictResponse(answer.PredictedText, ScoresByName(predictor.Model, request, answer), rationale ? answer.PredictedRationale : null));
    }

    /// <summary>The model served, and what the batcher has done since the start.</summary>
    internal static Ok<HealthResponse> Health(IStepDistillPredictor<PredictRequest, ServedAnswer> predictor)
    {
        var model = predictor.Model;
        var statistics = predictor.Statistics;
        return TypedResults.Ok(new HealthResponse("ok", model.Source, model.Runtime, model.RequiredFields, model.ClassNames, model.CanExplain,
            statistics.Requests, statistics.Batches, Math.Round(statistics.MeanBatchSize, 2)));
    }

    /// <summary>Each class's score by its name; a multiple-choice student's classes are the row's choices, named by their text.</summary>
    private static Dictionary<string, float>? ScoresByName(StepDistillServedModel model, PredictRequest request, ServedAnswer answer)
    {
        if (model.Student.IsOpenTarget)
        {
            return null;
        }

        var names = model.Student.IsMultipleChoice ? request.Choices : model.ClassNames;
        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        for (var i = 0; i < Math.Min(names.Count, answer.Score.Length); i++)
        {
            // Two choices with the same text keep apart by their letter.
            var name = scores.ContainsKey(names[i]) ? $"{names[i]} ({(char)('a' + i)})" : names[i];
            scores[name] = answer.Score[i];
        }

        return scores;
    }

    private static int? IntOption(IConfiguration configuration, string name)
    {
        var text = configuration[name];
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"--{name} must be a whole number, got \"{text}\".\n" + Usage);
    }
}
