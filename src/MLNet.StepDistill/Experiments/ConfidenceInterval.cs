namespace MLNet.StepDistill.Experiments;

/// <summary>
/// A two-sided 95% interval. Two constructions are used: <see cref="Wilson"/> for one accuracy (a binomial proportion over
/// test rows) and <see cref="StudentT"/> for a mean of accuracies over seeds.
/// </summary>
/// <param name="Low">The lower end.</param>
/// <param name="High">The upper end.</param>
public readonly record struct ConfidenceInterval(double Low, double High)
{
    /// <summary>The 0.975 quantile of the standard normal distribution, 1.959964.</summary>
    public const double Z975 = 1.959963984540054;

    // The 0.975 quantiles of Student's t for 1..30 degrees of freedom (standard tables).
    private static readonly double[] T975 =
    [
        12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135, 2.262157163, 2.228138852,
        2.200985160, 2.178812830, 2.160368656, 2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447,
        2.079613845, 2.073873068, 2.068657610, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456,
    ];

    /// <summary>
    /// The Wilson score interval of a proportion <paramref name="successes"/> / <paramref name="trials"/>:
    /// (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with z = 1.96. Unlike the normal approximation it stays inside
    /// [0, 1] and is not empty at p = 0 or 1. Zero trials give [0, 1].
    /// </summary>
    public static ConfidenceInterval Wilson(int successes, int trials)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, trials);
        if (trials == 0)
        {
            return new ConfidenceInterval(0, 1);
        }

        double n = trials, p = successes / n, z2 = Z975 * Z975;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = Z975 * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
        return new ConfidenceInterval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// The Student-t interval of the mean of <paramref name="values"/>: mean ± t(0.975, n - 1) · s / sqrt(n), s the sample
    /// standard deviation (n - 1 in the denominator), clipped to [0, 1] because the values are accuracies. Needs at least two values.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two values.</exception>
    public static ConfidenceInterval StudentT(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
        {
            throw new ArgumentException($"A t-interval needs at least two values, got {values.Count}.", nameof(values));
        }

        var mean = values.Average();
        var half = TQuantile975(values.Count - 1) * StandardDeviation(values) / Math.Sqrt(values.Count);
        return new ConfidenceInterval(Math.Max(0, mean - half), Math.Min(1, mean + half));
    }

    /// <summary>The sample standard deviation (n - 1 in the denominator); 0 for fewer than two values.</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
        {
            return 0;
        }

        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>t(0.975, df): the table for 1..30 degrees of freedom, beyond it the normal quantile plus two Cornish-Fisher terms (within 1e-4 of the tables).</summary>
    public static double TQuantile975(int degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        return degreesOfFreedom <= T975.Length
            ? T975[degreesOfFreedom - 1]
            : Z975 + (Math.Pow(Z975, 3) + Z975) / (4.0 * degreesOfFreedom)
                   + (5 * Math.Pow(Z975, 5) + 16 * Math.Pow(Z975, 3) + 3 * Z975) / (96.0 * degreesOfFreedom * degreesOfFreedom);
    }

    /// <summary>The smallest interval holding both this one and <paramref name="other"/>.</summary>
    public ConfidenceInterval Union(ConfidenceInterval other) => new(Math.Min(Low, other.Low), Math.Max(High, other.High));

    /// <summary>Whether this interval lies wholly above <paramref name="other"/>.</summary>
    public bool IsAbove(ConfidenceInterval other) => Low > other.High;
}
