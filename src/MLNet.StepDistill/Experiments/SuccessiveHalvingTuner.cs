namespace MLNet.StepDistill.Experiments;

/// <summary>
/// <see cref="SweepTuner.SuccessiveHalving"/>: rungs of steps Steps.Max / η^(K - k) for k = 0..K (K the largest with the
/// lowest rung at least Steps.Min), η^K settings per bracket at the lowest rung, the best ⌊n / η⌋ (at least one) of
/// each rung promoted to the next with all their other settings kept.
/// </summary>
internal sealed class SuccessiveHalvingTuner
{
    private readonly SweepSearchSpace space;
    private readonly Random random;
    private readonly int eta;
    private readonly int[] rungSteps;
    private readonly Queue<SweepTrialSettings> pending = new();
    private readonly List<(SweepTrialSettings Settings, double Metric)> finished = [];
    private int rung;

    public SuccessiveHalvingTuner(SweepSearchSpace space, Random random, int eta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(eta, 2);
        this.space = space;
        this.random = random;
        this.eta = eta;
        rungSteps = RungSteps(space.Steps.Min, space.Steps.Max, eta);
    }

    /// <summary>The steps of each rung, lowest first.</summary>
    public IReadOnlyList<int> Rungs => rungSteps;

    /// <summary>The rung (0 = lowest) of the settings <see cref="Next"/> gave last.</summary>
    public int Rung => rung;

    /// <summary>The steps of the rungs for a steps range: Max / η^(K - k), k = 0..K, with K the largest that keeps the lowest at or above Min.</summary>
    public static int[] RungSteps(int min, int max, int eta)
    {
        var rungs = new List<int> { max };
        while (rungs[0] / eta >= min)
        {
            rungs.Insert(0, rungs[0] / eta);
        }

        return [.. rungs];
    }

    /// <summary>The next trial's settings: the next of this rung, else the promoted ones of the next rung, else a new bracket.</summary>
    public SweepTrialSettings Next()
    {
        if (pending.Count == 0)
        {
            Advance();
        }

        return pending.Dequeue();
    }

    /// <summary>
    /// The settings of the rest of the current rung (after the promoted ones of the last rung, or a new bracket, when it is
    /// done), to run side by side; <see cref="Report"/> their metrics in trial order before taking the next rung.
    /// </summary>
    public SweepTrialSettings[] TakeRung()
    {
        if (pending.Count == 0)
        {
            Advance();
        }

        var rest = pending.ToArray();
        pending.Clear();
        return rest;
    }

    /// <summary>A trial of the current rung finished with <paramref name="metric"/> (higher is better).</summary>
    public void Report(SweepTrialSettings settings, double metric) => finished.Add((settings, metric));

    private void Advance()
    {
        var promoted = finished.Count / eta;
        if (finished.Count > 0 && rung + 1 < rungSteps.Length && promoted >= 1)
        {
            // Ties keep the earlier trial first (a stable sort).
            rung++;
            foreach (var (settings, _) in finished.OrderByDescending(f => f.Metric).Take(promoted))
            {
                pending.Enqueue(settings with { Steps = rungSteps[rung] });
            }
        }
        else
        {
            rung = 0;
            var count = (int)Math.Pow(eta, rungSteps.Length - 1);
            for (var i = 0; i < count; i++)
            {
                pending.Enqueue(space.Sample(random) with { Steps = rungSteps[0] });
            }
        }

        finished.Clear();
    }
}
