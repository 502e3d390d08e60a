namespace MLNet.StepDistill.T5;

/// <summary>
/// What a training process does with its memory after every training step, in one place (the trainer and the
/// benchmarks' training step call it): a training's span (<see cref="BeginTraining"/>: every buffer from malloc's heaps),
/// and after every step first <see cref="FreeStepGarbage"/>, then, where <see cref="GlibcMallocSettings"/> were applied,
/// the trim policy (<see cref="StepTrimPolicy.Library"/>).
/// </summary>
/// <remarks>
/// Why the garbage first: TorchSharp makes a native <c>c10::Scalar</c> for every number passed to a tensor call
/// (TorchSharp's <c>AdamW.step</c> about eight per parameter per step, where it still runs: off the CPU; the training
/// step's other tensor calls and libtorch's autograd a few more) and leaves it to the .NET finalizer.
/// Those small blocks are carved out of the free space the step's large tensors left in malloc's heaps and stay there until
/// a collection happens to run, so the next step's large tensors no longer fit in the gaps and take fresh pages: the
/// resident size then grows by about 0.15 GiB a step on t5-small without end, under glibc's default settings and
/// the library's alike (the drift the trim policy was built to bound). Freed at the end of each step, every step finds
/// the heap as the previous one left it, reuses the same pages without faulting them in, and the resident size levels off
/// (README, "Performance": the <c>allocator</c> benchmark).
/// </remarks>
internal static class TrainingStepMemory
{
    /// <summary>
    /// Marks a training's span: while any is open, malloc serves every buffer from its heaps where the settings were
    /// applied (<see cref="GlibcMallocSettings.BeginTraining"/>); disposing it ends that for this training. Open it
    /// around the loop of steps and dispose it on every way out.
    /// </summary>
    public static IDisposable BeginTraining() => GlibcMallocSettings.BeginTraining() ? new TrainingSpan() : NoSpan.Instance;

    /// <summary>After one training step: <see cref="FreeStepGarbage"/>, then the trim policy where the malloc settings were applied.</summary>
    public static void AfterStep()
    {
        FreeStepGarbage();
        if (GlibcMallocSettings.Applied)
        {
            StepTrimPolicy.Library.AfterStep();
        }
    }

    /// <summary>
    /// Collects the young generations and runs their finalizers now, so the native objects a step left to the
    /// finalizer (implicit Scalars, any tensor handle that escaped a dispose scope) are freed before the next step
    /// allocates. Young garbage only: a step's garbage is young, and a full collection would also walk the caller's
    /// long-lived data for nothing.
    /// </summary>
    public static void FreeStepGarbage()
    {
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    private sealed class TrainingSpan : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                GlibcMallocSettings.EndTraining();
            }
        }
    }

    private sealed class NoSpan : IDisposable
    {
        public static readonly NoSpan Instance = new();

        public void Dispose()
        {
        }
    }
}
