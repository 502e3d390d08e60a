namespace MLNet.StepDistill.Training;

/// <summary>Where the labels the student learns come from.</summary>
public enum LabelSource
{
    /// <summary>The gold label column (human labels): fine-tuning.</summary>
    Gold,

    /// <summary>The teacher's label column (e.g. <c>TeacherLabel</c> from the annotator): distillation without gold labels.</summary>
    Teacher,
}
