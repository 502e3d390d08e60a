namespace MLNet.StepDistill.Teaching;

/// <summary>
/// How a row's rationale was obtained from the teacher: the value of the <c>rationales</c> field of an annotated-rows
/// file (<c>MLNet.StepDistill.Recipes.AnnotatedRowsFile</c>) and of <c>stepdistill annotate --rationales</c>.
/// </summary>
public static class RationaleSource
{
    /// <summary>The teacher predicts a label and explains it (the paper's way; the default where a row does not say).</summary>
    public const string TeacherLabel = "teacher-label";

    /// <summary>The teacher was asked to explain the row's gold label.</summary>
    public const string ExplainGold = "explain-gold";

    /// <summary>All values.</summary>
    public static IReadOnlyList<string> All { get; } = [TeacherLabel, ExplainGold];
}
