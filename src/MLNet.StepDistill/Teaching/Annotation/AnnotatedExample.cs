using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>A task row with its teacher completion, parsed.</summary>
/// <param name="Example">The task row.</param>
/// <param name="Completion">The teacher's raw completion.</param>
/// <param name="Parsed">Rationale, teacher label and status.</param>
/// <param name="TeacherCorrect">Whether the teacher's label matches the gold target (a failed parse counts as wrong); null when the row has no gold target.</param>
public sealed record AnnotatedExample(TaskExample Example, string Completion, ParsedCompletion Parsed, bool? TeacherCorrect);
