using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The paper's input formatting as a saveable ML.NET transformer: reads a task's raw columns (the
/// <see cref="TaskSchema"/>'s input fields and choices) and adds the student's input text (<c>Input</c>: the
/// "Answer Choices" layout for multiple-choice QA, <c>premise&lt;/s&gt;hypothesis</c> for NLI, the text itself for math and
/// classification) and, for multiple-choice tasks, the row's choices as a text vector (<c>Choices</c>). Saved in the model,
/// so a served model takes raw rows.
/// </summary>
/// <remarks>
/// The input column carries the task's answer kind as the annotation <see cref="AnswerKindAnnotation"/>, from which the
/// student trainer learns how answers compare (SVAMP equations by value). Make it with
/// <c>mlContext.StepDistill().Transforms.FormatStudentInput(schema)</c>; save models holding it with
/// <c>mlContext.StepDistill().SaveModel</c>.
/// </remarks>
public sealed class StudentInputFormatter : IArchivedComponent
{
    /// <summary>The name of the text annotation on the input column holding the task's <see cref="TaskAnswerKind"/>.</summary>
    public const string AnswerKindAnnotation = "StepDistill.AnswerKind";

    internal const string Kind = "input-format";

    private const string EntryName = "format.json";

    private readonly MLContext mlContext;
    private readonly RowMapping<TaskExample, Formatted> mapping;
    private readonly ITaskFormat format;

    internal StudentInputFormatter(MLContext mlContext, TaskSchema schema, string outputColumnName, string choicesColumnName, string endOfSequence)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(choicesColumnName);
        this.mlContext = mlContext;
        Schema = schema;
        OutputColumnName = outputColumnName;
        ChoicesColumnName = choicesColumnName;
        EndOfSequence = endOfSequence;
        format = schema.Family.CreateFormat(endOfSequence);
        var annotations = new DataViewSchema.Annotations.Builder();
        var answerKind = schema.Family.AnswerKind.ToString().AsMemory();
        annotations.Add(AnswerKindAnnotation, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = answerKind);
        var outputs = new List<OutputColumn<Formatted>> { OutputColumns.Text<Formatted>(outputColumnName, f => f.Input, annotations.ToAnnotations()) };
        if (schema.HasChoices)
        {
            outputs.Add(new OutputColumn<Formatted, VBuffer<ReadOnlyMemory<char>>>(
                choicesColumnName, new VectorDataViewType(TextDataViewType.Instance), f => OutputColumns.TextVector(f.Choices)));
        }

        mapping = new RowMapping<TaskExample, Formatted>
        {
            Bind = Bind,
            Outputs = outputs,
            Map = rows => rows.Select(r => new Formatted(format.FormatInput(r), r.Choices)).ToArray(),
        };
    }

    /// <summary>Which raw columns are read, and the task family whose format is applied.</summary>
    public TaskSchema Schema { get; }

    /// <summary>The text column added (default <c>Input</c>).</summary>
    public string OutputColumnName { get; }

    /// <summary>The text-vector column of choices added for multiple-choice tasks (default <c>Choices</c>).</summary>
    public string ChoicesColumnName { get; }

    /// <summary>The end-of-sequence text between NLI premise and hypothesis (T5's <c>&lt;/s&gt;</c>).</summary>
    public string EndOfSequence { get; }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    string IArchivedComponent.ArchiveKind => Kind;

    /// <summary>The student input text of one raw row, as the transformer adds it.</summary>
    public string FormatInput(TaskExample example) => format.FormatInput(example);

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => mapping.OutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => mapping.GetRowToRowMapper(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) => mapping.Transform(input);

    void ICanSaveModel.Save(ModelSaveContext ctx) => ArchiveScope.SavePlaceholder(mlContext, this, ctx);

    void IArchivedComponent.WriteArchive(ArchiveFolder folder) =>
        folder.Write(EntryName, stream => JsonSerializer.Serialize(stream, new SavedFormat
        {
            Family = Schema.Family.Name,
            InputFields = [.. Schema.InputFields],
            ChoicesField = Schema.ChoicesField,
            ChoiceFields = Schema.ChoiceFields?.ToArray(),
            ChoicesSeparator = Schema.ChoicesSeparator,
            OutputColumn = OutputColumnName,
            ChoicesColumn = ChoicesColumnName,
            EndOfSequence = EndOfSequence,
        }));

    /// <summary>Reads a formatter back from its folder of a model zip.</summary>
    internal static StudentInputFormatter Load(ArchiveFolder folder, MLContext mlContext)
    {
        SavedFormat saved;
        try
        {
            using var stream = folder.Open(EntryName);
            saved = JsonSerializer.Deserialize<SavedFormat>(stream, new JsonSerializerOptions { AllowDuplicateProperties = false }) ?? throw new JsonException("the entry is empty (null)");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException(folder.ArchivePath, $"entry {folder.EntryName(EntryName)}: {ex.Message.Split(" Path:", 2)[0]}", ex);
        }

        if (!string.IsNullOrEmpty(saved.Family) && !TaskFamily.TryParse(saved.Family, out _))
        {
            throw new ModelFormatException(folder.ArchivePath, $"entry {folder.EntryName(EntryName)}: the model's task family \"{saved.Family}\" is not registered in this process (known: {string.Join(", ", TaskFamily.Names)}); call TaskFamily.Register with that family before loading the model.");
        }

        if (!TaskFamily.TryParse(saved.Family, out var family) || saved.InputFields is not { Length: > 0 } || saved.InputFields.Any(string.IsNullOrEmpty)
            || string.IsNullOrEmpty(saved.OutputColumn) || string.IsNullOrEmpty(saved.ChoicesColumn))
        {
            throw new ModelFormatException(folder.ArchivePath, $"entry {folder.EntryName(EntryName)} lacks its family, input fields or column names.");
        }

        var schema = new TaskSchema
        {
            Family = family,
            IdField = "id",
            InputFields = saved.InputFields,
            ChoicesField = saved.ChoicesField,
            ChoiceFields = saved.ChoiceFields,
            ChoicesSeparator = saved.ChoicesSeparator ?? TaskSchema.DefaultChoicesSeparator,
        };
        return new StudentInputFormatter(mlContext, schema, saved.OutputColumn, saved.ChoicesColumn, saved.EndOfSequence ?? NliFormat.T5EndOfSequence);
    }

    private BoundInput<TaskExample> Bind(DataViewSchema input)
    {
        var inputs = Schema.InputFields.Select(f => TaskExampleReader.TextColumn(input, f)).ToArray();
        var choices = TaskExampleReader.ChoiceColumns(input, Schema);
        return new BoundInput<TaskExample>([.. inputs, .. choices], row =>
        {
            var getters = inputs.Select(c => row.GetGetter<ReadOnlyMemory<char>>(c)).ToArray();
            var getChoices = TaskExampleReader.ChoiceGetter(row, Schema, choices);
            ReadOnlyMemory<char> text = default;
            return () =>
            {
                var values = new string[getters.Length];
                for (var i = 0; i < getters.Length; i++)
                {
                    getters[i](ref text);
                    values[i] = text.ToString();
                }

                return new TaskExample("", values, getChoices(), null);
            };
        });
    }

    private sealed record Formatted(string Input, IReadOnlyList<string> Choices);

    private sealed class SavedFormat
    {
        [JsonPropertyName("family")] public string? Family { get; set; }
        [JsonPropertyName("input_fields")] public string[]? InputFields { get; set; }
        [JsonPropertyName("choices_field")] public string? ChoicesField { get; set; }
        [JsonPropertyName("choice_fields")] public string[]? ChoiceFields { get; set; }
        [JsonPropertyName("choices_separator")] public string? ChoicesSeparator { get; set; }
        [JsonPropertyName("output_column")] public string? OutputColumn { get; set; }
        [JsonPropertyName("choices_column")] public string? ChoicesColumn { get; set; }
        [JsonPropertyName("end_of_sequence")] public string? EndOfSequence { get; set; }
    }
}
