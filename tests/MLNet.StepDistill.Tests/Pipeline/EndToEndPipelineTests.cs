using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Pipeline;

/// <summary>
/// One ML.NET pipeline from raw rows to a served model: format -> key map -> trainer as one EstimatorChain, fitted on
/// annotated rows, saved, loaded in a fresh MLContext and served raw task rows through a PredictionEngine.
/// </summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class EndToEndPipelineTests
{
    [Fact]
    public void Nli_chain_saved_and_loaded_serves_raw_premise_hypothesis_rows_with_the_in_memory_scores()
    {
        var ml = new MLContext(seed: 1);
        var esnli = TrainingFixtures.Dataset("esnli");
        var annotated = Annotated(ml, esnli, "valid", 32);

        var pipeline = Chain(ml, esnli, SmallOptions());
        var model = pipeline.Fit(annotated);
        using var student = model.LastTransformer;
        Assert.Equal(3, student.ClassNames.Count);

        var rows = esnli.ReadExamples("test").Take(5).Select(e => new NliRow { Premise = e.Inputs[0], Hypothesis = e.Inputs[1] }).ToArray();
        var inMemory = ServedMatchesInMemory(ml, model, annotated.Schema, rows, (_, served) => Assert.Contains(served.PredictedText, student.ClassNames));

        // The served rows differ, so the engine must not hand back one cached answer.
        Assert.NotEqual(inMemory[0], inMemory.Skip(1).First(s => !s.SequenceEqual(inMemory[0])));
    }

    [Fact]
    public void Multiple_choice_chain_serves_raw_question_and_choices_rows()
    {
        var ml = new MLContext(seed: 2);
        var cqa = TrainingFixtures.Dataset("cqa");
        var annotated = Annotated(ml, cqa, "train", 24);

        var options = SmallOptions();
        options.LabelColumnName = "answer";
        options.Method = TrainingMethod.StepByStepGold;
        options.ChoicesColumnName = "Choices";
        var model = ml.StepDistill().Transforms.FormatStudentInput(cqa.Schema)
            .Append(ml.StepDistill().Trainers.MultiTaskSeq2Seq(options))
            .Fit(annotated);
        using var student = model.LastTransformer;
        Assert.True(student.IsMultipleChoice);

        var rows = cqa.ReadExamples("test").Take(4).Select(e => new CqaRow { Question = e.Text, Choices = [.. e.Choices] }).ToArray();
        ServedMatchesInMemory(ml, model, annotated.Schema, rows, (row, served) => Assert.Contains(served.PredictedText, row.Choices));
    }

    [Fact]
    public void Key_typed_and_text_labels_train_the_same_student_on_the_same_seed()
    {
        var ml = new MLContext(seed: 3);
        var esnli = TrainingFixtures.Dataset("esnli");
        var annotated = Annotated(ml, esnli, "valid", 24);
        var formatted = ml.StepDistill().Transforms.FormatStudentInput(esnli.Schema).Fit(annotated).Transform(annotated);
        string[] labels = ["entailment", "neutral", "contradiction"];

        var textOptions = SmallOptions();
        textOptions.LabelColumnName = "label";
        textOptions.Method = TrainingMethod.StepByStepGold;
        textOptions.Labels = labels;
        using var fromText = ml.StepDistill().Trainers.MultiTaskSeq2Seq(textOptions).Fit(formatted);

        var keyOptions = SmallOptions();
        keyOptions.Method = TrainingMethod.StepByStepGold;
        var keyed = ml.StepDistill().MapLabelToKey(labels, "Label", "label").Fit(formatted).Transform(formatted);
        using var fromKey = ml.StepDistill().Trainers.MultiTaskSeq2Seq(keyOptions).Fit(keyed);

        Assert.Equal(labels, fromKey.ClassNames);
        var a = TrainingFixtures.Weights(fromText);
        var b = TrainingFixtures.Weights(fromKey);
        Assert.Equal(a.Keys, b.Keys);
        Assert.All(a.Keys, k => Assert.Equal(a[k], b[k]));

        // PredictedLabel keeps the label's key values, so ML.NET's evaluator needs no second label map.
        var metrics = ml.MulticlassClassification.Evaluate(fromKey.Transform(keyed), labelColumnName: "Label");
        Assert.InRange(metrics.MicroAccuracy, 0, 1);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        fromKey.GetOutputSchema(keyed.Schema)["PredictedLabel"].GetKeyValues(ref keyValues);
        Assert.Equal(labels, keyValues.DenseValues().Select(v => v.ToString()));
    }

    [Fact]
    public void Output_column_names_are_options()
    {
        var ml = new MLContext(seed: 4);
        var esnli = TrainingFixtures.Dataset("esnli");
        var pool = ml.Data.TakeRows(esnli.LoadSplit(ml, "valid"), 8);
        var options = SmallOptions();
        options.MaxSteps = 1;
        options.Method = TrainingMethod.FineTuning;
        options.ScoreColumnName = "Probabilities";
        options.PredictedLabelColumnName = "Guess";
        options.PredictedTextColumnName = "GuessText";
        var model = Chain(ml, esnli, options).Fit(pool);
        using var student = model.LastTransformer;
        var schema = model.Transform(pool).Schema;
        Assert.NotNull(schema.GetColumnOrNull("Probabilities"));
        Assert.NotNull(schema.GetColumnOrNull("Guess"));
        Assert.NotNull(schema.GetColumnOrNull("GuessText"));
        Assert.Null(schema.GetColumnOrNull("Score"));
    }

    [Fact]
    public void A_disposed_student_and_its_rationale_view_throw_ObjectDisposedException()
    {
        var ml = new MLContext(seed: 5);
        var esnli = TrainingFixtures.Dataset("esnli");
        var annotated = Annotated(ml, esnli, "valid", 8);
        var options = SmallOptions();
        options.MaxSteps = 1;
        var model = Chain(ml, esnli, options).Fit(annotated);
        var student = model.LastTransformer;
        var view = student.WithRationale();
        Assert.Same(student, view.Owner);
        view.Dispose();
        Assert.False(student.IsDisposed);

        student.Dispose();
        var error = Assert.Throws<ObjectDisposedException>(() => Scores(model.Transform(annotated)));
        Assert.Contains("disposed", error.Message);
        Assert.Throws<ObjectDisposedException>(() => view.Transform(annotated));
        Assert.Throws<ObjectDisposedException>(() => student.WithRationale());
    }

    [Fact]
    public void A_loaded_model_owns_its_students_and_refuses_use_after_dispose()
    {
        var ml = new MLContext(seed: 6);
        var esnli = TrainingFixtures.Dataset("esnli");
        var pool = ml.Data.TakeRows(esnli.LoadSplit(ml, "valid"), 8);
        var options = SmallOptions();
        options.MaxSteps = 1;
        options.Method = TrainingMethod.FineTuning;
        var model = Chain(ml, esnli, options).Fit(pool);
        using var folder = new TempFolder();
        var zip = Path.Combine(folder.Path, "m.zip");
        ml.StepDistill().SaveModel(model, pool.Schema, zip);
        model.LastTransformer.Dispose();

        var loaded = ml.StepDistill().LoadModel(zip, out _);
        var student = loaded.Find<Seq2SeqStudentTransformer>()!;
        Assert.NotNull(loaded.Find<StudentInputFormatter>());
        loaded.Dispose();
        Assert.True(student.IsDisposed);
        var error = Assert.Throws<ObjectDisposedException>(() => loaded.Transform(pool));
        Assert.Contains(zip, error.Message);
    }

    [Fact]
    public void Plain_MLNet_load_of_a_model_with_components_says_to_use_LoadModel()
    {
        var ml = new MLContext(seed: 7);
        var esnli = TrainingFixtures.Dataset("esnli");
        var pool = ml.Data.TakeRows(esnli.LoadSplit(ml, "valid"), 4);
        var formatter = ml.StepDistill().Transforms.FormatStudentInput(esnli.Schema).Fit(pool);
        using var folder = new TempFolder();
        var zip = Path.Combine(folder.Path, "f.zip");
        Assert.Contains("SaveModel", Assert.Throws<InvalidOperationException>(() => ml.Model.Save(formatter, pool.Schema, zip)).Message);

        ml.StepDistill().SaveModel(formatter, pool.Schema, zip);
        ml.ComponentCatalog.RegisterAssembly(typeof(StudentInputFormatter).Assembly);
        var error = Record.Exception(() => ml.Model.Load(zip, out _).Transform(pool));
        Assert.NotNull(error);
        Assert.Contains("LoadModel", error!.ToString());

        using var loaded = ml.StepDistill().LoadModel(zip, out _);
        var input = loaded.Transform(pool).GetColumn<string>("Input").First();
        Assert.Equal(esnli.ReadExamples("valid").First().Inputs[0] + "</s>" + esnli.ReadExamples("valid").First().Inputs[1], input);
    }

    /// <summary>
    /// Saves <paramref name="model"/>, loads it in a fresh MLContext and serves <paramref name="rows"/> one at a time through a
    /// PredictionEngine: each row's scores equal the in-memory (batched) transform's within 1e-6, and
    /// <paramref name="check"/> looks at the answer. Returns the in-memory scores.
    /// </summary>
    private static float[][] ServedMatchesInMemory<TRow>(MLContext ml, ITransformer model, DataViewSchema schema, TRow[] rows, Action<TRow, ClassPrediction> check)
        where TRow : class, new()
    {
        var inMemory = Scores(model.Transform(ml.Data.LoadFromEnumerable(rows)));
        using var folder = new TempFolder();
        var zip = Path.Combine(folder.Path, "model.zip");
        ml.StepDistill().SaveModel(model, schema, zip);

        var fresh = new MLContext();
        using var loaded = fresh.StepDistill().LoadModel(zip, out _);
        var engine = fresh.Model.CreatePredictionEngine<TRow, ClassPrediction>(loaded);
        for (var i = 0; i < rows.Length; i++)
        {
            var served = engine.Predict(rows[i]);
            Assert.Equal(inMemory[i], served.Score, new FloatTolerance(1e-6f));
            check(rows[i], served);
        }

        return inMemory;
    }

    /// <summary>The first <paramref name="rows"/> rows of a split, annotated by the dataset's recorded PaLM teacher.</summary>
    private static IDataView Annotated(MLContext ml, TaskDataset dataset, string split, int rows)
    {
        var raw = ml.Data.TakeRows(dataset.LoadSplit(ml, split), rows);
        var teacher = RecordedTeacher.Open(dataset.Manifest, split, "palm-540b");
        return ml.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(dataset.Manifest)).Fit(raw).Transform(raw);
    }

    /// <summary>The README's chain: FormatStudentInput -> MapLabelToKey(dataset.json's labels, "Label", "label") -> the trainer.</summary>
    private static EstimatorChain<Seq2SeqStudentTransformer> Chain(MLContext ml, TaskDataset dataset, MultiTaskSeq2SeqTrainerOptions options) =>
        ml.StepDistill().Transforms.FormatStudentInput(dataset.Schema)
            .Append(ml.StepDistill().MapLabelToKey(dataset.Schema.Labels!, "Label", "label"))
            .Append(ml.StepDistill().Trainers.MultiTaskSeq2Seq(options));

    internal static MultiTaskSeq2SeqTrainerOptions SmallOptions() => new()
    {
        Method = TrainingMethod.StepByStepTeacher,
        Student = "tiny",
        TokenizerPath = TrainingFixtures.TokenizerPath,
        MaxSteps = 3,
        BatchSize = 8,
        LearningRate = 1e-3,
        MaxInputLength = 48,
        MaxTargetLength = 16,
        Seed = 11,
        PredictionBatchSize = 4,
    };

    private static float[][] Scores(IDataView data) => data.GetColumn<float[]>("Score").ToArray();

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
