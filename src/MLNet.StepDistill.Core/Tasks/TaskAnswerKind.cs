namespace MLNet.StepDistill.Tasks;

/// <summary>What a task family's answer is, which decides how two answers compare.</summary>
public enum TaskAnswerKind
{
    /// <summary>One label of a closed set (NLI, classification): compared as normalised text.</summary>
    Label,

    /// <summary>The text of one of the row's choices (multiple-choice QA): compared as normalised text.</summary>
    Choice,

    /// <summary>An arithmetic expression (math): compared by value (<see cref="ArithmeticEvaluator.ExpressionsMatch"/>).</summary>
    Equation,
}
