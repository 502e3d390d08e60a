using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Training;

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
        var names = StudentHead.ChoiceLetters(choiceCount);
        var position = output[nameof(ChoicePosition.Position)];
        position.ColumnType = new KeyDataViewType(typeof(uint), choiceCount);
        position.AddAnnotation("KeyValues", StudentContracts.Names(names), new VectorDataViewType(TextDataViewType.Instance, choiceCount));
        position.ColumnName = outputColumnName;
        return mlContext.Transforms.CustomMapping<AnswerAndChoices, ChoicePosition>(
            (src, dst) => dst.Position = StudentContracts.KeyMember(PositionOf(src.Answer, src.Choices, choiceCount)), contractName: null, input, output);
    }

    /// <summary>The 0-based position of the first choice equal to the answer (whitespace collapsed, case ignored), or -1.</summary>
    internal static int PositionOf(string answer, IReadOnlyList<string> choices, int choiceCount)
    {
        for (var i = 0; i < Math.Min(choiceCount, choices.Count); i++)
        {
            if (GeneratedTextEvaluator.SameText(answer, choices[i]))
            {
                return i;
            }
        }

        return -1;
    }

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
