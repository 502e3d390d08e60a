using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Evaluation;

/// <summary>Text-match (<see cref="AnswerComparer.Normalize"/>) and equation (value) accuracy of a generated-text column against a gold text column.</summary>
internal static class GeneratedTextEvaluator
{
    public static GeneratedTextMetrics Evaluate(IDataView data, string labelColumnName, string predictedColumnName, bool compareAsEquations)
    {
        var label = TextColumn(data.Schema, labelColumnName, "labelColumnName");
        var predicted = TextColumn(data.Schema, predictedColumnName, "predictedColumnName");
        int count = 0, exact = 0, equal = 0;
        using var cursor = data.GetRowCursor([label, predicted]);
        var getLabel = cursor.GetGetter<ReadOnlyMemory<char>>(label);
        var getPredicted = cursor.GetGetter<ReadOnlyMemory<char>>(predicted);
        ReadOnlyMemory<char> gold = default, guess = default;
        while (cursor.MoveNext())
        {
            getLabel(ref gold);
            getPredicted(ref guess);
            var goldText = gold.ToString();
            if (string.IsNullOrWhiteSpace(goldText))
            {
                continue;
            }

            count++;
            var guessText = guess.ToString();
            if (AnswerComparer.Same(TaskAnswerKind.Label, guessText, goldText))
            {
                exact++;
            }

            if (compareAsEquations && AnswerComparer.Same(TaskAnswerKind.Equation, guessText, goldText))
            {
                equal++;
            }
        }

        double Share(int n) => count == 0 ? 0 : (double)n / count;
        return new GeneratedTextMetrics(count, Share(exact), compareAsEquations ? Share(equal) : null);
    }

    private static DataViewSchema.Column TextColumn(DataViewSchema schema, string name, string parameter)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"The data has no column \"{name}\" (columns: {string.Join(", ", schema.Select(c => c.Name))}).", parameter);
        if (column.Type is not TextDataViewType)
        {
            throw new ArgumentException($"Column \"{name}\" is {column.Type}; a text column is needed.", parameter);
        }

        return column;
    }
}
