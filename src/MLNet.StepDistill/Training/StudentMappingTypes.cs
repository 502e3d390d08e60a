using System.ComponentModel;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Training;

/// <summary>Row type of the student's ML.NET mapping: the input text. Infrastructure for saving and loading; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StudentTextInput
{
    /// <summary>The task input (the column is renamed to the trainer's input column).</summary>
    public string Input { get; set; } = "";
}

/// <summary>Row type of the student's ML.NET mapping for multiple-choice rows. Infrastructure; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StudentChoicesInput
{
    /// <summary>The task input.</summary>
    public string Input { get; set; } = "";

    /// <summary>The row's answer choices.</summary>
    public string[] Choices { get; set; } = [];
}

/// <summary>Output row of a student with a closed label set. Infrastructure; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StudentClassifiedOutput
{
    /// <summary>The predicted class: ML.NET's typed rows hold keys 0-based (the stored key is this + 1; <see cref="uint.MaxValue"/> stores the missing key 0).</summary>
    public uint PredictedLabel { get; set; }

    /// <summary>The softmax over the classes of the student's log-likelihoods of each class's text.</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The predicted label or choice text.</summary>
    public string PredictedText { get; set; } = "";

    /// <summary>The generated rationale (empty unless rationales were asked for).</summary>
    public string PredictedRationale { get; set; } = "";
}

/// <summary>Output row of a student with an open target (generated text). Infrastructure; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StudentGeneratedOutput
{
    /// <summary>The generated answer (e.g. an equation).</summary>
    public string PredictedText { get; set; } = "";

    /// <summary>The generated rationale (empty unless rationales were asked for).</summary>
    public string PredictedRationale { get; set; } = "";
}

/// <summary>The contract names under which the student mappings are saved in an ML.NET model zip.</summary>
internal static class StudentContracts
{
    public const string FixedLabels = "MLNet.StepDistill.Student.FixedLabels.v1";
    public const string Choices = "MLNet.StepDistill.Student.Choices.v1";
    public const string OpenText = "MLNet.StepDistill.Student.OpenText.v1";

    public static string For(AnswerKind kind) => kind switch
    {
        AnswerKind.FixedLabels => FixedLabels,
        AnswerKind.Choices => Choices,
        _ => OpenText,
    };

    /// <summary>
    /// The typed-row value of a key-typed member for a 0-based class index: ML.NET stores member + 1, so a class index is
    /// written as is and "no class" (-1) as <see cref="uint.MaxValue"/>, which wraps to the missing key 0.
    /// </summary>
    public static uint KeyMember(int index) => index < 0 ? uint.MaxValue : (uint)index;

    /// <summary>The output column names a student adds.</summary>
    public static readonly string[] OutputColumns = ["PredictedLabel", "Score", "PredictedText", "PredictedRationale"];

    /// <summary>Builds the text-vector annotation value of class names.</summary>
    public static VBuffer<ReadOnlyMemory<char>> Names(IReadOnlyList<string> names) =>
        new(names.Count, names.Select(n => n.AsMemory()).ToArray());
}
