using System.Runtime.CompilerServices;
using MLNet.StepDistill.T5;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>Tests that read or change the process's malloc settings run alone (a training elsewhere would move the count).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMallocCollection
{
    public const string Name = "Process malloc settings";
}

/// <summary>
/// After a training step the native objects the step left to the finalizer are freed before the next step; trainings
/// side by side share one heap-only span.
/// </summary>
[Collection(ProcessMallocCollection.Name)]
public sealed class TrainingStepMemoryTests
{
    [Fact]
    public void Trainings_side_by_side_share_one_span_and_the_last_to_end_closes_it()
    {
        NativeTorch.EnsureLoaded();
        var before = GlibcMallocSettings.TrainingsRunning;
        var each = GlibcMallocSettings.Applied ? 1 : 0;
        var first = TrainingStepMemory.BeginTraining();
        var second = TrainingStepMemory.BeginTraining();
        Assert.Equal(before + 2 * each, GlibcMallocSettings.TrainingsRunning);
        second.Dispose();
        second.Dispose(); // a span ends once
        Assert.Equal(before + each, GlibcMallocSettings.TrainingsRunning);
        first.Dispose();
        Assert.Equal(before, GlibcMallocSettings.TrainingsRunning);
        GlibcMallocSettings.EndTraining(); // an end without a begin changes nothing
        Assert.Equal(before, GlibcMallocSettings.TrainingsRunning);
    }

    [Fact]
    public void Freeing_the_step_garbage_runs_the_finalizers_of_what_the_step_dropped()
    {
        var before = Finalizable.Finalized;
        DropSome(100);
        TrainingStepMemory.FreeStepGarbage();
        Assert.True(Finalizable.Finalized - before >= 100, $"{Finalizable.Finalized - before} of the 100 dropped objects were finalized");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropSome(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _ = new Finalizable();
        }
    }

    private sealed class Finalizable
    {
        private static int finalized;

        public static int Finalized => Volatile.Read(ref finalized);

        ~Finalizable() => Interlocked.Increment(ref finalized);
    }
}
