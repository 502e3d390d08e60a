using System.ComponentModel;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Onnx;

/// <summary>Row type of the ONNX student's ML.NET mapping: the input text. Infrastructure for saving and loading; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OnnxStudentTextInput
{
    /// <summary>The task input (the column is renamed to the student's input column).</summary>
    public string Input { get; set; } = "";
}

/// <summary>Row type of the ONNX student's mapping for multiple-choice rows. Infrastructure; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OnnxStudentChoicesInput
{
    /// <summary>The task input.</summary>
    public string Input { get; set; } = "";

    /// <summary>The row's answer choices.</summary>
    public string[] Choices { get; set; } = [];
}

/// <summary>Output row of an ONNX student with a closed label set (the TorchSharp student's columns). Infrastructure; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OnnxStudentClassifiedOutput
{
    /// <summary>The predicted class: ML.NET's typed rows hold keys 0-based (<see cref="uint.MaxValue"/> stores the missing key).</summary>
    public uint PredictedLabel { get; set; }

    /// <summary>The softmax over the classes of the student's log-likelihoods of each class's text.</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The predicted label or choice text.</summary>
    public string PredictedText { get; set; } = "";

    /// <summary>The generated rationale (empty unless rationales were asked for).</summary>
    public string PredictedRationale { get; set; } = "";
}

/// <summary>Output row of an ONNX student with an open target. Infrastructure; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class OnnxStudentGeneratedOutput
{
    /// <summary>The generated answer.</summary>
    public string PredictedText { get; set; } = "";

    /// <summary>The generated rationale (empty unless rationales were asked for).</summary>
    public string PredictedRationale { get; set; } = "";
}

/// <summary>The contract names under which ONNX student mappings are saved in an ML.NET zip.</summary>
internal static class OnnxStudentContracts
{
    public const string FixedLabels = "MLNet.StepDistill.OnnxStudent.FixedLabels.v1";
    public const string Choices = "MLNet.StepDistill.OnnxStudent.Choices.v1";
    public const string OpenText = "MLNet.StepDistill.OnnxStudent.OpenText.v1";

    public static string For(string answerKind) => answerKind switch
    {
        "FixedLabels" => FixedLabels,
        "Choices" => Choices,
        _ => OpenText,
    };

    public static uint KeyMember(int index) => index < 0 ? uint.MaxValue : (uint)index;

    public static VBuffer<ReadOnlyMemory<char>> Names(IReadOnlyList<string> names) =>
        new(names.Count, names.Select(n => n.AsMemory()).ToArray());
}
