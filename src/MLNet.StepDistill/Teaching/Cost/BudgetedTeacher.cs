namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Puts a <see cref="CostBudget"/> in front of a teacher: a call that could pass the cap is not made, and ends in a
/// <see cref="TeacherCallFailedException"/> with <see cref="TeacherCallFailedException.BudgetReached"/> set.
/// </summary>
internal sealed class BudgetedTeacher(ITeacher inner, CostBudget budget, TeacherPrices prices) : ITeacher
{
    public string CacheIdentity => inner.CacheIdentity;

    public ITeacher Inner => inner;

    public async Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        var promptTokens = TokenEstimator.PromptTokens(prompt);
        var worst = prices.Cost(promptTokens, sampling.MaxOutputTokens) * sampling.Samples;
        if (!budget.TryReserve(worst))
        {
            throw new TeacherCallFailedException(budget.Refusal(), attempts: 0, lastStatus: null) { BudgetReached = true };
        }
        var actual = 0d;
        try
        {
            var completions = await inner.CompleteAsync(prompt, sampling, cancellationToken).ConfigureAwait(false);
            actual = completions.Sum(c => prices.Cost(c.PromptTokens ?? promptTokens, c.CompletionTokens ?? TokenEstimator.Count(c.Text)));
            return completions;
        }
        finally
        {
            budget.Settle(worst, actual);
        }
    }
}
