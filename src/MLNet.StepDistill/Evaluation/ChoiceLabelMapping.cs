using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Evaluation;

/// <summary>
/// Maps a multiple-choice row's answer text to its choice position as a key (key values a, b, c, ...), the label a
/// multiple-choice student's Score and PredictedLabel are compared with.
/// </summary>
internal static class ChoiceLabelMapping
{
    public static IEstimator<ITransformer> Create(MLContext mlContext, int choiceCount, string outputColumnName, string answerColumnName, string choicesColumnName)
    {
        if (choiceCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(choiceCount), choiceCount, "choiceCount must be positive.");
        }

        var input = SchemaDefinition.Create(typeof(AnswerAndChoices));
        var answer = input[nameof(AnswerAndChoices.Answer)];
        var choices = input[nameof(AnswerAndChoices.Choices)];
        answer.ColumnName = answerColumnName;
        choices.ColumnName = choicesColumnName;
        var output = SchemaDefinition.Create(typeof(ChoicePosition));
        var names = MultipleChoiceFormat.ChoiceLetters(choiceCount);
        var position = output[nameof(ChoicePosition.Position)];
        position.ColumnType = new KeyDataViewType(typeof(uint), choiceCount);
        position.AddAnnotation("KeyValues", new VBuffer<ReadOnlyMemory<char>>(choiceCount, names.Select(n => n.AsMemory()).ToArray()), new VectorDataViewType(TextDataViewType.Instance, choiceCount));
        position.ColumnName = outputColumnName;
        return mlContext.Transforms.CustomMapping<AnswerAndChoices, ChoicePosition>(
            (src, dst) => dst.Position = PositionOf(src.Answer, src.Choices, choiceCount) is var i and >= 0 ? (uint)i : uint.MaxValue, contractName: null, input, output);
    }

    /// <summary>The 0-based position of the first of the first <paramref name="choiceCount"/> choices that is the answer (<see cref="AnswerComparer"/>), or -1.</summary>
    internal static int PositionOf(string answer, IReadOnlyList<string> choices, int choiceCount) =>
        AnswerComparer.PositionAmong(answer, choices.Take(choiceCount).ToArray());

    private sealed class AnswerAndChoices
    {
        public string Answer { get; set; } = "";

        public string[] Choices { get; set; } = [];
    }

    private sealed class ChoicePosition
    {
        public uint Position { get; set; }
    }
}
