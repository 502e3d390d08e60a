using System.Reflection;
using Microsoft.ML.Runtime;

namespace MLNet.StepDistill.Training;

/// <summary>Observes ML.NET's cancellation of the context next to a <see cref="CancellationToken"/>.</summary>
/// <remarks>
/// <c>MLContext.CancelExecution</c> (internal to ML.NET, called by AutoML and Model Builder) marks every host of the
/// context through the interface <c>Microsoft.ML.Runtime.ICancelable</c>, which ML.NET also keeps internal; its trainers
/// read <c>IsCanceled</c> from it, and so does this, by reflection.
/// </remarks>
internal static class MLContextCancellation
{
    private static readonly Type? Cancelable = typeof(IHostEnvironment).Assembly.GetType("Microsoft.ML.Runtime.ICancelable");
    private static readonly PropertyInfo? IsCanceled = Cancelable?.GetProperty("IsCanceled");

    /// <summary>Whether ML.NET can tell this process about <c>CancelExecution</c> (false if a later ML.NET renames its interface).</summary>
    public static bool Observable => IsCanceled is not null;

    /// <summary>Throws <see cref="OperationCanceledException"/> when the token is cancelled or the host's context was cancelled.</summary>
    public static void ThrowIfCancelled(IHostEnvironment host, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        if (IsCanceled is not null && Cancelable!.IsInstanceOfType(host) && IsCanceled.GetValue(host) is true)
        {
            throw new OperationCanceledException("Training was cancelled by mlContext.CancelExecution().");
        }
    }
}
