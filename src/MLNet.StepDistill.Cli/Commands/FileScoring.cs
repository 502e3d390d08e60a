using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Spectre.Console;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill predict --input FILE --out predictions.jsonl` (or `--dataset D --split S`): reads the rows a batch at a
/// time (<see cref="TaskFileStream"/>), answers each batch with one Transform, and writes one JSON line per input row in
/// file order, so memory does not grow with the file. A row that cannot be read gets a line with its error, is reported
/// with its line number, and the exit code says so; the other rows are scored all the same.
/// </summary>
internal static class FileScoring
{
    /// <summary>How many unreadable rows are printed one by one; the rest are counted (every one has its error line in the output).</summary>
    public const int ErrorsShown = 10;

    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    /// <summary>What was scored: <paramref name="Rows"/> rows read, <paramref name="Unreadable"/> of them could not be.</summary>
    internal sealed record Summary(long Rows, long Unreadable, double Seconds)
    {
        public double RowsPerSecond => Seconds > 0 ? (Rows - Unreadable) / Seconds : 0;
    }

    /// <param name="student">The student answering (with rationales when they are asked for).</param>
    /// <param name="format">Makes a row's student input (the paper's format of its task family).</param>
    /// <param name="schema">The rows' fields.</param>
    /// <param name="input">The file of rows (.jsonl or .csv).</param>
    /// <param name="outPath">The predictions file written.</param>
    /// <param name="batchSize">Rows read and answered together.</param>
    /// <param name="output">Progress and the closing line (a Spectre progress bar when it is the interactive console).</param>
    /// <param name="errors">Where unreadable rows are reported.</param>
    public static Summary Run(MLContext ml, IStudentTransformer student, Func<TaskExample, string> format, TaskSchema schema, string input, string outPath,
        int batchSize, bool withRationale, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        using var source = OpenInput(input);
        using var sink = OpenOutput(outPath);
        var rows = TaskFileStream.Read(source, input, schema).GetEnumerator();
        using (rows)
        {
            // A file-level problem (unknown extension, a CSV header without the input columns) fails before any line is written.
            bool any;
            try
            {
                any = rows.MoveNext();
            }
            catch (DatasetFormatException ex)
            {
                throw new UserFacingException($"predict: --input: {ex.Message}", ex);
            }

            var length = Math.Max(1, source.Length);
            var clock = Stopwatch.StartNew();
            long read = 0, unreadable = 0;
            var writer = new Utf8JsonWriter(sink, LineOptions);
            var bar = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            var held = new List<string>();   // under a live progress bar, reports wait for it to finish

            void Score(IProgressReport progress)
            {
                var batch = new List<TaskFileRow>(batchSize);
                var more = any;
                while (more)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    batch.Clear();
                    while (more && batch.Count < batchSize)
                    {
                        batch.Add(rows.Current);
                        more = rows.MoveNext();
                    }

                    WriteBatch(ml, student, format, batch, withRationale, writer, sink);
                    foreach (var row in batch.Where(r => r.Error is not null))
                    {
                        if (unreadable++ < ErrorsShown)
                        {
                            var line = $"predict: {row.Error!.Message}";
                            if (bar)
                            {
                                held.Add(line);
                            }
                            else
                            {
                                errors.WriteLine(line);
                            }
                        }
                    }

                    read += batch.Count;
                    progress.Report(source.Position, length, read, clock.Elapsed.TotalSeconds);
                }
            }

            if (bar)
            {
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context => Score(new BarReport(context.AddTask("scoring", maxValue: length))));
                held.ForEach(errors.WriteLine);
            }
            else
            {
                Score(new LineReport(output));
            }

            sink.Flush();
            if (unreadable > ErrorsShown)
            {
                errors.WriteLine($"predict: ... and {unreadable - ErrorsShown} more rows that could not be read (each has its \"error\" line in {outPath})");
            }

            var summary = new Summary(read, unreadable, clock.Elapsed.TotalSeconds);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scored {read - unreadable} rows of {input} in {summary.Seconds:F1} s ({summary.RowsPerSecond:F1} rows/s){(unreadable > 0 ? $", {unreadable} could not be read" : "")}; wrote {outPath}"));
            return summary;
        }
    }

    /// <summary>One Transform for the batch's readable rows, then a line per row in order: its answer, or its error.</summary>
    private static void WriteBatch(MLContext ml, IStudentTransformer student, Func<TaskExample, string> format, List<TaskFileRow> batch, bool withRationale,
        Utf8JsonWriter writer, Stream sink)
    {
        var readable = batch.Where(r => r.Example is not null)
            .Select(r => new AnnotatedRow { Id = r.Example!.Id, Input = format(r.Example), Choices = [.. r.Example.Choices] })
            .ToArray();
        var answers = readable.Length == 0 ? [] : Answer(ml, student, readable, withRationale);
        var next = 0;
        foreach (var row in batch)
        {
            writer.Reset(sink);
            writer.WriteStartObject();
            writer.WriteNumber("line", row.Line);
            if (row.Example is null)
            {
                writer.WriteString("error", row.Error!.Problem);
                if (row.Error.Field is { } field)
                {
                    writer.WriteString("field", field);
                }
            }
            else
            {
                var answer = answers[next++];
                if (row.Example.Id.Length > 0)
                {
                    writer.WriteString("id", row.Example.Id);
                }
                else
                {
                    writer.WriteNull("id");
                }

                writer.WriteString("label", answer.Label);
                if (answer.Choice is { } choice)
                {
                    writer.WriteString("choice", choice);
                }

                if (answer.Scores is { } scores)
                {
                    writer.WriteStartObject("scores");
                    foreach (var (name, score) in scores)
                    {
                        writer.WriteNumber(name, score);
                    }

                    writer.WriteEndObject();
                }

                if (answer.Rationale is { } rationale)
                {
                    writer.WriteString("rationale", rationale);
                }
            }

            writer.WriteEndObject();
            writer.Flush();
            sink.WriteByte((byte)'\n');
        }
    }

    /// <summary>One row's answer: the label (a choice's text for multiple-choice), the chosen position, the scores by class name, the rationale.</summary>
    internal sealed record RowAnswer(string Label, string? Choice, IReadOnlyList<(string Name, float Score)>? Scores, string? Rationale);

    /// <summary>The student's answers to <paramref name="rows"/>, in order, read from one cursor (one pass of the model).</summary>
    internal static RowAnswer[] Answer(MLContext ml, IStudentTransformer student, AnnotatedRow[] rows, bool withRationale)
    {
        var scored = student.Transform(AnnotatedSplit.ToDataView(ml, rows));
        var schema = scored.Schema;
        var names = student.IsOpenTarget ? null : ScoreNames(schema, student);
        var columns = new List<DataViewSchema.Column> { schema["PredictedText"] };
        if (names is not null)
        {
            columns.Add(schema["Score"]);
        }

        if (withRationale)
        {
            columns.Add(schema["PredictedRationale"]);
        }

        var answers = new RowAnswer[rows.Length];
        using var cursor = scored.GetRowCursor(columns);
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(schema["PredictedText"]);
        var getScores = names is null ? null : cursor.GetGetter<VBuffer<float>>(schema["Score"]);
        var getRationale = withRationale ? cursor.GetGetter<ReadOnlyMemory<char>>(schema["PredictedRationale"]) : null;
        ReadOnlyMemory<char> text = default, rationale = default;
        VBuffer<float> scores = default;
        var i = 0;
        while (cursor.MoveNext())
        {
            getText(ref text);
            (string, float)[]? named = null;
            string? choice = null;
            if (getScores is not null)
            {
                getScores(ref scores);
                var values = scores.DenseValues().ToArray();
                named = names!.Zip(values).Select(p => (p.First, p.Second)).ToArray();
                if (student.IsMultipleChoice && values.Length > 0)
                {
                    // The chosen position (a, b, ...): the label is its text, which rows may repeat across positions.
                    var best = Array.IndexOf(values, values.Max());
                    choice = best < names!.Count ? names[best] : null;
                }
            }

            getRationale?.Invoke(ref rationale);
            answers[i++] = new RowAnswer(text.ToString(), choice, named, getRationale is null ? null : rationale.ToString());
        }

        return answers;
    }

    /// <summary>The class names of the Score column: its slot names (the labels, or the choice positions a, b, ...).</summary>
    public static IReadOnlyList<string> ScoreNames(DataViewSchema schema, IStudentTransformer student)
    {
        var score = schema.GetColumnOrNull("Score");
        if (score is { } column && column.HasSlotNames())
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetSlotNames(ref names);
            return names.DenseValues().Select(n => n.ToString()).ToArray();
        }

        return student.ClassNames;
    }

    private static FileStream OpenInput(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"predict: --input {path}: {ex.Message}", ex);
        }
    }

    private static FileStream OpenOutput(string path)
    {
        ModelFiles.CheckOutputFolder("predict", path);
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"predict: --out {path}: {ex.Message}", ex);
        }
    }

    private interface IProgressReport
    {
        void Report(long position, long length, long rows, double seconds);
    }

    /// <summary>The terminal's progress bar, over the bytes of the file read so far.</summary>
    private sealed class BarReport(ProgressTask task) : IProgressReport
    {
        public void Report(long position, long length, long rows, double seconds)
        {
            task.Value = Math.Min(position, length);
            task.Description = string.Create(CultureInfo.InvariantCulture, $"{rows} rows, {(seconds > 0 ? rows / seconds : 0):F0} rows/s");
        }
    }

    /// <summary>Plain lines when the output is not a terminal: one every 10 % of the file (and none for a small one).</summary>
    private sealed class LineReport(TextWriter output) : IProgressReport
    {
        private int lastTenth;

        public void Report(long position, long length, long rows, double seconds)
        {
            var tenth = (int)(Math.Min(position, length) * 10 / length);
            if (tenth > lastTenth && tenth < 10)
            {
                lastTenth = tenth;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scoring: {tenth * 10}% of the file, {rows} rows, {(seconds > 0 ? rows / seconds : 0):F0} rows/s"));
            }
        }
    }
}
