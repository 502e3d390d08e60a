using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Every `stepdistill` sub-command, in one place.</summary>
internal static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<DoctorCommand>("doctor")
            .WithDescription("Checks that TorchSharp's native libtorch loads on this machine.");
        config.AddCommand<AnnotateCommand>("annotate")
            .WithDescription("Annotates a dataset split with a teacher (recorded completions or any OpenAI-compatible chat model): rationale, label, status, teacher accuracy.")
            .WithExample("annotate", "--dataset", "datasets/cqa", "--split", "test", "--teacher", "recorded", "--json")
            .WithExample("annotate", "--dataset", "datasets/cqa", "--split", "train", "--teacher", "openai", "--endpoint", "http://localhost:11434/v1", "--model", "llama3.1", "--api-key-env", "OLLAMA_API_KEY");
        config.AddCommand<TrainCommand>("train")
            .WithDescription("Trains a T5 student (--method fine-tuning, distillation, step-by-step-gold, step-by-step-teacher, single-task or step-by-step-explained) on a dataset split (rationales from its rationaleField or its recorded teacher) or on rows `annotate --out` wrote (--annotated); writes a model zip.")
            .WithExample("train", "--dataset", "datasets/cqa", "--method", "step-by-step-teacher", "--student", "tiny", "--fraction", "0.1", "--steps", "150", "--out", "model.zip")
            .WithExample("train", "--dataset", "datasets/cqa", "--annotated", "cqa-train.jsonl", "--epochs", "2", "--validation-split", "test", "--eval-every", "50", "--out", "model.zip", "--json");
        config.AddCommand<EvaluateCommand>("evaluate")
            .WithDescription("Evaluates a model zip or an exported ONNX folder on a dataset split (accuracy; equation accuracy for math).")
            .WithExample("evaluate", "--model", "model.zip", "--dataset", "datasets/cqa", "--split", "test", "--json");
        config.AddCommand<PredictCommand>("predict")
            .WithDescription("Answers one input with a model zip or an exported ONNX folder, optionally with the student's rationale; or scores every row of a file (--input rows.jsonl|csv, or --dataset D --split S) into --out predictions.jsonl, streaming.")
            .WithExample("predict", "--model", "model.zip", "--text", "Where do you keep milk?", "--choices", "fridge|shelf|car|bed|roof", "--rationale")
            .WithExample("predict", "--model", "model.zip", "--input", "rows.jsonl", "--out", "predictions.jsonl")
            .WithExample("predict", "--model", "student-onnx", "--dataset", "datasets/cqa", "--split", "test", "--out", "predictions.jsonl");
        config.AddCommand<ExportOnnxCommand>("export-onnx")
            .WithDescription("Exports a model zip's student as ONNX graphs (encoder, decoder with KV cache), tokenizer and manifest, served by ONNX Runtime without libtorch (MLNet.StepDistill.Onnx; evaluate/predict --model DIR).")
            .WithExample("export-onnx", "--model", "model.zip", "--out", "student-onnx");
        config.AddCommand<ExperimentCommand>("experiment")
            .WithDescription("The paper's experiment, CPU-sized by default: fine-tuning, task distillation and step-by-step (gold and teacher labels) over training fractions and seeds, one student and step budget, one test set; writes results.json (resumable), report.md and accuracy-vs-data.png.")
            .WithExample("experiment", "--out", "experiment")
            .WithExample("experiment", "--recipe", "paper", "--student", "models/t5-v1_1-base", "--device", "cuda", "--out", "paper-esnli");
        config.AddCommand<SweepCommand>("sweep")
            .WithDescription("Model Builder-style: give it a time budget, get the best student. Random search over method, alpha, learning rate, steps, batch and lengths, scored on a validation carve; writes leaderboard.json, leaderboard.md and best-model.zip.")
            .WithExample("sweep", "--dataset", "datasets/esnli", "--time", "600", "--out", "sweep", "--json");
    }
}
