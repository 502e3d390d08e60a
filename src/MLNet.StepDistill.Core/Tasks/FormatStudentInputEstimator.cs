using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Estimator of <see cref="StudentInputFormatter"/>: fitting learns nothing, it checks that the data has the task's raw
/// columns. Make it with <c>mlContext.StepDistill().Transforms.FormatStudentInput(schema)</c>.
/// </summary>
public sealed class FormatStudentInputEstimator : IEstimator<StudentInputFormatter>
{
    private readonly MLContext mlContext;
    private readonly TaskSchema schema;
    private readonly string outputColumnName;
    private readonly string choicesColumnName;
    private readonly string endOfSequence;

    /// <summary>The estimator; <c>mlContext.StepDistill().Transforms.FormatStudentInput</c> is the usual way to make it.</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="schema">The task's columns and family.</param>
    /// <param name="outputColumnName">The input text column added.</param>
    /// <param name="choicesColumnName">The choices column added for multiple-choice tasks.</param>
    /// <param name="endOfSequence">The text between NLI premise and hypothesis.</param>
    public FormatStudentInputEstimator(MLContext mlContext, TaskSchema schema, string outputColumnName = "Input", string choicesColumnName = "Choices", string endOfSequence = NliFormat.T5EndOfSequence)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        this.mlContext = mlContext;
        this.schema = schema;
        this.outputColumnName = outputColumnName;
        this.choicesColumnName = choicesColumnName;
        this.endOfSequence = endOfSequence;
        Create();
    }

    /// <inheritdoc/>
    public StudentInputFormatter Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var formatter = Create();
        formatter.GetOutputSchema(input.Schema);
        return formatter;
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        foreach (var field in schema.InputFields)
        {
            if (!inputSchema.Any(c => c.Name == field && c.ItemType is TextDataViewType && c.Kind == SchemaShape.Column.VectorKind.Scalar))
            {
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The data needs the text column \"{field}\" (an input field of the {schema.Family.Name} task).");
            }
        }

        // ML.NET builds shapes only inside its own estimators: a custom mapping of the same columns describes the added ones.
        var input = SchemaDefinition.Create(typeof(ShapeInput));
        input[nameof(ShapeInput.Text)].ColumnName = schema.InputFields[0];
        if (schema.HasChoices)
        {
            var output = SchemaDefinition.Create(typeof(ShapeWithChoices));
            output[nameof(ShapeWithChoices.Input)].ColumnName = outputColumnName;
            output[nameof(ShapeWithChoices.Choices)].ColumnName = choicesColumnName;
            return mlContext.Transforms.CustomMapping<ShapeInput, ShapeWithChoices>((_, _) => { }, null, input, output).GetOutputSchema(inputSchema);
        }

        var text = SchemaDefinition.Create(typeof(ShapeText));
        text[nameof(ShapeText.Input)].ColumnName = outputColumnName;
        return mlContext.Transforms.CustomMapping<ShapeInput, ShapeText>((_, _) => { }, null, input, text).GetOutputSchema(inputSchema);
    }

    private StudentInputFormatter Create() => new(mlContext, schema, outputColumnName, choicesColumnName, endOfSequence);

    private sealed class ShapeInput
    {
        public string Text { get; set; } = "";
    }

    private sealed class ShapeText
    {
        public string Input { get; set; } = "";
    }

    private sealed class ShapeWithChoices
    {
        public string Input { get; set; } = "";

        public string[] Choices { get; set; } = [];
    }
}
