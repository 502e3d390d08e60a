using System.ComponentModel;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

// The options several commands share, each declared once (one description, one default): a command's settings inherit
// the group that fits it and declare only what is its own. Spectre.Console.Cli reads inherited [CommandOption] properties.
//
//   DatasetSettings              --dataset --split                       predict
//   └ LabelledDatasetSettings    + --drop-unknown-labels --json          annotate, evaluate
//     └ TrainingRunSettings      + --annotated --out --device            sweep
//       └ StudentTrainingSettings + --student --tokenizer --steps --batch-size --lr --alpha --max-input --max-target --eval-every   train, experiment
//
// SharedOptionsTests fails when an option of these groups is declared a second time.

/// <summary>The dataset a command reads: <c>--dataset</c> and <c>--split</c>.</summary>
internal abstract class DatasetSettings : CommandSettings
{
    [CommandOption("--dataset <FOLDER>")]
    [Description("Dataset folder holding dataset.json (e.g. datasets/cqa). experiment and sweep default to datasets/esnli; predict needs it with --split, and with --input for an exported ONNX folder; the other commands need it.")]
    public string? Dataset { get; set; }

    [CommandOption("--split <NAME>")]
    [Description("The split of --dataset to read: the rows to annotate, evaluate (default test) or score (predict); the training rows of train, experiment and sweep (default train, or valid where the dataset has no train split).")]
    public string? Split { get; set; }
}

/// <summary>Commands that read a dataset's gold labels and can print JSON: <c>--drop-unknown-labels</c> and <c>--json</c>.</summary>
internal abstract class LabelledDatasetSettings : DatasetSettings
{
    [CommandOption("--drop-unknown-labels")]
    [Description(CliDataset.DropUnknownLabelsHelp)]
    public bool DropUnknownLabels { get; set; }

    [CommandOption("--json")]
    [Description("Print the result as JSON (the summary; experiment: results.json; sweep: the leaderboard and the best trial) instead of progress and text.")]
    public bool Json { get; set; }
}

/// <summary>Commands that train students: <c>--annotated</c>, <c>--out</c> and <c>--device</c>.</summary>
internal abstract class TrainingRunSettings : LabelledDatasetSettings
{
    [CommandOption("--annotated <FILE>")]
    [Description("Train on the rows `stepdistill annotate --out FILE` wrote (any teacher; rows keep their status), read with --dataset's schema, instead of a split; test rows still come from --dataset. experiment records the file's SHA-256 in results.json: resuming with another file is refused.")]
    public string? Annotated { get; set; }

    [CommandOption("--out <PATH>")]
    [Description("Where the run writes: train, the model zip (required); experiment, the folder for results.json, report.md and accuracy-vs-data.png (default experiment; run again with the same folder to resume); sweep, the folder for leaderboard.json, leaderboard.md and best-model.zip (default sweep).")]
    public string? Out { get; set; }

    [CommandOption("--device <DEVICE>")]
    [Description("The torch device: cpu, cuda, cuda:N or auto. Default cpu (experiment --recipe paper: cuda).")]
    public string? Device { get; set; }
}

/// <summary>Commands that train one configured student per run (train, experiment): its size, steps and lengths.</summary>
internal abstract class StudentTrainingSettings : TrainingRunSettings
{
    [CommandOption("--student <PRESET_OR_FOLDER>")]
    [Description("A T5 preset trained from scratch (tiny, mini, t5-small, ...) or a Hugging Face checkpoint folder. Default tiny (experiment --recipe paper: t5-v1_1-base).")]
    public string? Student { get; set; }

    [CommandOption("--tokenizer <FILE>")]
    [Description("spiece.model for a preset (default: datasets/tokenizer/spiece.model).")]
    public string? Tokenizer { get; set; }

    [CommandOption("--steps <N>")]
    [Description("Optimiser steps of a run. Default: train 200 (unless --epochs); experiment 1500 (cpu), 10000 (paper), of a run on the whole pool with --step-budget equal-epochs.")]
    public int? Steps { get; set; }

    [CommandOption("--batch-size <N>")]
    [Description("Rows per step. Default 16 (experiment --recipe paper: 64).")]
    public int? BatchSize { get; set; }

    [CommandOption("--lr <RATE>")]
    [Description("Learning rate (default 5e-4 for presets from scratch, measured; 5e-5 for checkpoints and experiment --recipe paper).")]
    public double? LearningRate { get; set; }

    [CommandOption("--alpha <A>")]
    [Description("Label-loss weight of the step-by-step methods. Default 0.5.")]
    public float? Alpha { get; set; }

    [CommandOption("--max-input <N>")]
    [Description("Most input tokens. Default: train 128; experiment 96 (cpu), 1024 (paper).")]
    public int? MaxInput { get; set; }

    [CommandOption("--max-target <N>")]
    [Description("Most target tokens (labels, rationales, generated text). Default: train 64; experiment 32 (cpu), 256 (paper).")]
    public int? MaxTarget { get; set; }

    [CommandOption("--eval-every <N>")]
    [Description("Validate every N steps and keep the best checkpoint (train: needs --validation-split; experiment: --validation-rows). Default: only at the end (experiment --recipe paper: 250).")]
    public int? EvalEvery { get; set; }
}
