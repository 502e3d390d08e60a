using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

public sealed partial class DistillationExperiment
{
    /// <summary>
    /// What one experiment runs. The defaults are CPU-sized (a few minutes on 2 cores): e-SNLI with its whole <c>valid</c>
    /// split as the training pool, the tiny student from scratch, 1000 steps of 16 rows, step-by-step against standard, the
    /// first 200 test rows.
    /// </summary>
    public sealed class Options
    {
        /// <summary>A dataset folder holding <c>dataset.json</c> and recorded teacher completions. Default <c>"datasets/esnli"</c>.</summary>
        public string DatasetFolder = "datasets/esnli";

        /// <summary>The training pool; null (default) takes <c>train</c>, or <c>valid</c> where the dataset has no train split (anli1, esnli).</summary>
        public string? TrainSplit;

        /// <summary>The split to evaluate on. Default <c>"test"</c>.</summary>
        public string TestSplit = "test";

        /// <summary>Train on this many rows of the pool (a seeded sample); 0 (default) uses <see cref="TrainFraction"/>.</summary>
        public int TrainRows;

        /// <summary>Share of the pool to train on, in (0, 1], when <see cref="TrainRows"/> is 0. Default 1.</summary>
        public double TrainFraction = 1.0;

        /// <summary>Evaluate on the first this many rows of <see cref="TestSplit"/>; 0 evaluates all. Default 200.</summary>
        public int TestRows = 200;

        /// <summary>The students to train, one run each, in this order. Default step-by-step then standard (the paper's comparison).</summary>
        public TrainingMode[] Modes = [TrainingMode.StepByStep, TrainingMode.Standard];

        /// <summary>Which labels the label task learns. Default the teacher's (distillation).</summary>
        public LabelSource LabelSource = LabelSource.Teacher;

        /// <summary>A T5 preset trained from scratch or a Hugging Face checkpoint folder. Default <c>"tiny"</c>.</summary>
        public string Student = "tiny";

        /// <summary>The SentencePiece model for a preset; null uses the shipped <c>datasets/tokenizer/spiece.model</c>.</summary>
        public string? TokenizerPath;

        /// <summary>Optimiser steps of each run. Default 1000 (about 1.6 passes over e-SNLI's valid split at batch 16).</summary>
        public int Steps = 1000;

        /// <summary>Rows per step. Default 16.</summary>
        public int BatchSize = 16;

        /// <summary>Base learning rate; null (default) takes the trainer's default for the student (1e-3 from scratch, 5e-5 pretrained).</summary>
        public double? LearningRate;

        /// <summary>Linear warm-up steps; null (default) warms up over a tenth of <see cref="Steps"/>.</summary>
        public int? WarmupSteps;

        /// <summary>Label-loss weight in step-by-step mode. Default 0.5 (the paper's).</summary>
        public float Alpha = 0.5f;

        /// <summary>The most input tokens. Default 96 (64 cuts the hypothesis off some e-SNLI inputs).</summary>
        public int MaxInputLength = 96;

        /// <summary>The most target tokens (labels and rationales). Default 32.</summary>
        public int MaxTargetLength = 32;

        /// <summary>The seed of the training sample, weights, dropout and batch order. Default 0.</summary>
        public int Seed;

        /// <summary>The torch device: <c>"cpu"</c> (default), <c>"cuda"</c>, <c>"cuda:N"</c>.</summary>
        public string Device = "cpu";

        /// <summary>Receives every optimiser step of every run. Null (default) for none.</summary>
        public IProgress<ExperimentProgress>? Progress;
    }
}
