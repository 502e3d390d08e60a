using System.Globalization;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A spending cap shared by every call of one annotation run: a call reserves its worst case (the prompt's tokens and
/// <see cref="TeacherSampling.MaxOutputTokens"/> completion tokens) before it starts and settles at its real cost when
/// it ends, so what is spent plus what is in flight never passes the cap. Once a call is refused no other starts.
/// </summary>
internal sealed class CostBudget(double max)
{
    private readonly Lock lockObject = new();
    private double spent;
    private double reserved;
    private bool reached;

    public double Max => max;

    public bool Reached
    {
        get
        {
            lock (lockObject)
            {
                return reached;
            }
        }
    }

    public double Spent
    {
        get
        {
            lock (lockObject)
            {
                return spent;
            }
        }
    }

    /// <summary>Reserves <paramref name="worstCase"/>, or refuses (for good) when it would pass the cap.</summary>
    public bool TryReserve(double worstCase)
    {
        lock (lockObject)
        {
            if (reached || spent + reserved + worstCase > max)
            {
                reached = true;
                return false;
            }
            reserved += worstCase;
            return true;
        }
    }

    /// <summary>Releases a reservation and books what the call really cost (0 for a call that failed without an answer).</summary>
    public void Settle(double reserved, double actual)
    {
        lock (lockObject)
        {
            this.reserved -= reserved;
            spent += actual;
        }
    }

    public string Refusal() => string.Create(CultureInfo.InvariantCulture,
        $"not asked: the next call could pass the budget of {max:0.######} (spent {Spent:0.######}); run again with a higher budget (--max-cost) to continue");
}
