using System.Globalization;
using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The settings a resumed run must share with the run that wrote the checkpoint, as <c>Option=value</c> pairs named after
/// <see cref="MultiTaskSeq2SeqTrainerOptions"/>, so that a refused resume can say which option differs.
/// </summary>
internal static class ResumeFingerprint
{
    /// <summary>The fingerprint of a run: its options, the seed it trains with, its step count and its row count.</summary>
    public static string Of(MultiTaskSeq2SeqTrainerOptions options, int seed, int totalSteps, int rows)
    {
        var pairs = new (string Name, object Value)[]
        {
            (nameof(options.Student), options.Student),
            (nameof(options.Method), TrainingMethods.Name(options.Method)),
            (nameof(options.Alpha), options.Alpha),
            (nameof(options.BatchSize), options.BatchSize),
            (nameof(options.GradientAccumulationSteps), options.GradientAccumulationSteps),
            ("steps", totalSteps),
            ("LearningRate", options.EffectiveLearningRate),
            (nameof(options.LearningRateSchedule), options.LearningRateSchedule),
            (nameof(options.WarmupSteps), options.WarmupSteps),
            (nameof(options.WeightDecay), options.WeightDecay),
            (nameof(options.MaxGradientNorm), options.MaxGradientNorm),
            (nameof(options.MaxInputLength), options.MaxInputLength),
            (nameof(options.MaxTargetLength), options.MaxTargetLength),
            (nameof(options.Seed), seed),
            ("rows", rows),
        };
        if (options.LengthBucketWindow > 1)
        {
            // Only when on, so that checkpoints written before the option existed still resume.
            pairs = [.. pairs, (nameof(options.LengthBucketWindow), options.LengthBucketWindow)];
        }

        return string.Join(", ", pairs.Select(p => $"{p.Name}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"));
    }

    /// <summary>
    /// A fingerprint as <see cref="Of"/> writes it today: checkpoints written before the trainer took one method named it
    /// by two settings (<c>Mode=StepByStep, LabelSource=Teacher</c>), which become <c>Method=step-by-step-teacher</c> so
    /// that those checkpoints still resume.
    /// </summary>
    public static string Upgrade(string fingerprint) => Regex.Replace(fingerprint, @"\bMode=(\w+), LabelSource=(\w+)", pair =>
        (pair.Groups[1].Value, pair.Groups[2].Value) switch
        {
            ("Standard", "Gold") => $"Method={TrainingMethods.Name(TrainingMethod.FineTuning)}",
            ("Standard", "Teacher") => $"Method={TrainingMethods.Name(TrainingMethod.Distillation)}",
            ("StepByStep", "Gold") => $"Method={TrainingMethods.Name(TrainingMethod.StepByStepGold)}",
            ("StepByStep", "Teacher") => $"Method={TrainingMethods.Name(TrainingMethod.StepByStepTeacher)}",
            ("SingleTask", "Teacher") => $"Method={TrainingMethods.Name(TrainingMethod.SingleTask)}",
            _ => pair.Value, // no method trains this way: the resume is refused, naming both settings
        });

    /// <summary>The settings that differ, e.g. <c>MaxInputLength (checkpoint 64, this run 32)</c>; all of them when the formats differ.</summary>
    public static string Differences(string checkpoint, string current)
    {
        var saved = Parse(checkpoint);
        var now = Parse(current);
        var names = saved.Keys.Union(now.Keys, StringComparer.Ordinal);
        return string.Join("; ", names
            .Where(n => !saved.TryGetValue(n, out var a) || !now.TryGetValue(n, out var b) || a != b)
            .Select(n => $"{n} (checkpoint {saved.GetValueOrDefault(n, "absent")}, this run {now.GetValueOrDefault(n, "absent")})"));
    }

    private static Dictionary<string, string> Parse(string fingerprint) => fingerprint
        .Split(", ", StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .Where(kv => kv.Length == 2)
        .GroupBy(kv => kv[0], StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
}
