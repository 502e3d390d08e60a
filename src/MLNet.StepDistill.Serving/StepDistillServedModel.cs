using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Serving;

/// <summary>
/// A model ready to serve: the pipeline that takes the dataset's raw rows (the input format in front of the student),
/// the same pipeline generating rationales, and what a server says about it (classes, required fields, runtime).
/// </summary>
/// <remarks>
/// <see cref="Load"/> reads an exported ONNX folder with ONNX Runtime (this assembly's own reference), a zip of ONNX
/// students likewise, and a zip holding a TorchSharp student through <c>MLNet.StepDistill</c>'s <c>LoadModel</c>,
/// which this assembly does not reference (so an ONNX app carries no TorchSharp): the app that serves such a zip
/// references <c>MLNet.StepDistill</c> and a native libtorch package, and the assembly is found by name when the zip
/// is loaded.
/// </remarks>
public sealed class StepDistillServedModel : IDisposable
{
    /// <summary>The assembly that loads model zips holding TorchSharp students.</summary>
    internal const string TorchSharpAssembly = "MLNet.StepDistill";

    /// <summary>The kind a TorchSharp student's folder of a model zip has (<c>Seq2SeqStudentTransformer</c>).</summary>
    internal const string TorchSharpStudentKind = "student";

    /// <summary>The kind an ONNX student's folder of a model zip has (<c>OnnxStudentTransformer</c>).</summary>
    internal const string OnnxStudentKind = "onnx-student";

    private readonly IDisposable? owned;
    private readonly Lazy<ITransformer> explaining;
    private bool disposed;

    private StepDistillServedModel(ITransformer pipeline, IStudentTransformer student, StudentInputFormatter? format, string source, string runtime, IDisposable? owned)
    {
        Pipeline = pipeline;
        Student = student;
        Format = format;
        Source = source;
        Runtime = runtime;
        this.owned = owned;
        explaining = new Lazy<ITransformer>(() => Replace(pipeline, student, student.WithRationale(generate: true)), LazyThreadSafetyMode.ExecutionAndPublication);
        RequiredFields = format is null
            ? [.. new[] { student.InputColumnName, student.ChoicesColumnName }.OfType<string>()]
            : [.. format.Schema.InputFields, .. format.Schema.ChoicesField is { } choices ? new[] { choices } : []];
    }

    /// <summary>Where the model came from (the zip or folder path, or a description of an in-memory model).</summary>
    public string Source { get; }

    /// <summary><c>"TorchSharp"</c> or <c>"ONNX Runtime"</c>.</summary>
    public string Runtime { get; }

    /// <summary>The pipeline that answers rows: raw fields in (formatted input when there is no format), the student's columns out.</summary>
    public ITransformer Pipeline { get; }

    /// <summary>The student inside <see cref="Pipeline"/>.</summary>
    public IStudentTransformer Student { get; }

    /// <summary>The input format in front of the student (its task schema names the raw fields), or null when requests carry the formatted input.</summary>
    public StudentInputFormatter? Format { get; }

    /// <summary>The classes of <c>Score</c>: the labels, or the choice letters of a multiple-choice student; empty for an open target.</summary>
    public IReadOnlyList<string> ClassNames => Student.ClassNames;

    /// <summary>The fields (columns) every request must fill: the task's input fields and choices, or the student's input column.</summary>
    public IReadOnlyList<string> RequiredFields { get; }

    /// <summary>Whether a request may ask for the rationale (the student was not trained in Standard mode).</summary>
    public bool CanExplain => Student.CanExplain;

    /// <summary>The same pipeline generating <c>PredictedRationale</c> (its student shares the weights or sessions).</summary>
    /// <exception cref="ArgumentException">The student was trained in Standard mode.</exception>
    public ITransformer Explaining => disposed ? throw new ObjectDisposedException(nameof(StepDistillServedModel), $"The model loaded from {Source} was disposed.") : explaining.Value;

    /// <summary>
    /// Loads <paramref name="path"/>: a folder is an exported ONNX student (with <see cref="StepDistillPredictorOptions.InputSchema"/>'s
    /// format in front when given), a file a model zip written by <c>SaveModel</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing at <paramref name="path"/>, or a file the folder needs is missing.</exception>
    /// <exception cref="InvalidDataException">The folder's manifest, tokenizer or a graph is broken, or the zip is not a model zip (the message names the file).</exception>
    /// <exception cref="InvalidOperationException">The zip holds a TorchSharp student and the app does not reference MLNet.StepDistill, or it holds no student.</exception>
    public static StepDistillServedModel Load(string path, StepDistillPredictorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new StepDistillPredictorOptions { ModelPath = path };
        var ml = new MLContext();
        var onnxOptions = options.OnnxRuntime ?? new OnnxRuntimeOptions { Threads = 1 };
        if (Directory.Exists(path))
        {
            var student = ml.StepDistillOnnx().LoadStudent(path, onnxOptions);
            try
            {
                if (options.InputSchema is not { } schema)
                {
                    return new StepDistillServedModel(student, student, null, path, "ONNX Runtime", student);
                }

                var format = ml.StepDistillOnnx().FormatStudentInput(schema, student.Student.Spec.InputColumnName, student.Student.Spec.ChoicesColumnName ?? "Choices")
                    .Fit(EmptyRawRows(schema));
                return new StepDistillServedModel(new TransformerChain<ITransformer>(format, student), student, format, path, "ONNX Runtime", student);
            }
            catch
            {
                student.Dispose();
                throw;
            }
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No model zip or exported ONNX folder at {path}.", path);
        }

        var kinds = ModelArchive.ComponentKinds(path);
        var torch = kinds.Contains(TorchSharpStudentKind);
        var model = torch ? LoadTorchSharpZip(ml, path, options.Device) : ml.StepDistillOnnx().LoadModel(path, out _, onnxOptions);
        try
        {
            return FromLoaded(model, path, torch ? "TorchSharp" : "ONNX Runtime");
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Serves a model already in memory (a fitted pipeline, or one loaded with <c>LoadModel</c>) without taking
    /// ownership: disposing the served model leaves <paramref name="model"/> alone.
    /// </summary>
    /// <exception cref="ArgumentException">The model holds no student.</exception>
    public static StepDistillServedModel From(ITransformer model, string source = "in-memory model")
    {
        ArgumentNullException.ThrowIfNull(model);
        var pipeline = model is StepDistillModel loaded ? loaded.Pipeline : model;
        var student = Find<IStudentTransformer>(pipeline) ?? throw new ArgumentException($"{source} holds no student (neither a Seq2SeqStudentTransformer nor an OnnxStudentTransformer).", nameof(model));
        return new StepDistillServedModel(pipeline, student, Find<StudentInputFormatter>(pipeline), source, RuntimeOf(student), owned: null);
    }

    /// <summary>Frees the model (its students' weights or ONNX Runtime sessions) when it was loaded by <see cref="Load"/>.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        owned?.Dispose();
    }

    private static StepDistillServedModel FromLoaded(StepDistillModel model, string path, string runtime)
    {
        var student = model.Find<IStudentTransformer>() ?? throw new InvalidOperationException($"{path}: the model zip holds no student (components: {string.Join(", ", model.Components.Select(c => c.ArchiveKind))}).");
        return new StepDistillServedModel(model.Pipeline, student, model.Find<StudentInputFormatter>(), path, runtime, model);
    }

    /// <summary>
    /// <c>mlContext.StepDistill().LoadModel(path, out _, device)</c> of the MLNet.StepDistill assembly, found by name
    /// (this assembly references no TorchSharp).
    /// </summary>
    private static StepDistillModel LoadTorchSharpZip(MLContext ml, string path, string? device)
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(TorchSharpAssembly));
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                $"{path} holds a TorchSharp student: the app must reference the MLNet.StepDistill package and a native libtorch package " +
                "(e.g. libtorch-cpu-linux-x64) to serve it. To serve without libtorch, export it (stepdistill export-onnx --model " +
                $"{path} --out student-onnx) and serve the folder.", ex);
        }

        var extensions = assembly.GetType("MLNet.StepDistill.StepDistillMLContextExtensions", throwOnError: true)!;
        var catalog = extensions.GetMethod("StepDistill", [typeof(MLContext)])!.Invoke(null, [ml])!;
        var load = catalog.GetType().GetMethod("LoadModel", [typeof(string), typeof(DataViewSchema).MakeByRefType(), typeof(string)])
            ?? throw new MissingMethodException(catalog.GetType().FullName, "LoadModel(string, out DataViewSchema, string)");
        try
        {
            return (StepDistillModel)load.Invoke(catalog, [path, null, device])!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private static string RuntimeOf(IStudentTransformer student) =>
        student is OnnxStudentTransformer ? "ONNX Runtime" : "TorchSharp";

    private static T? Find<T>(ITransformer transformer) where T : class => transformer switch
    {
        T found => found,
        StepDistillModel loaded => Find<T>(loaded.Pipeline),
        IEnumerable<ITransformer> chain => chain.Select(Find<T>).FirstOrDefault(t => t is not null),
        _ => null,
    };

    /// <summary>The pipeline with <paramref name="student"/> replaced by <paramref name="replacement"/> (chains rebuilt, other parts shared).</summary>
    private static ITransformer Replace(ITransformer transformer, IStudentTransformer student, ITransformer replacement) => transformer switch
    {
        _ when ReferenceEquals(transformer, student) => replacement,
        StepDistillModel loaded => Replace(loaded.Pipeline, student, replacement),
        IEnumerable<ITransformer> chain => new TransformerChain<ITransformer>([.. chain.Select(t => Replace(t, student, replacement))]),
        _ => transformer,
    };

    /// <summary>No rows, the dataset's raw columns: what fitting the input format checks.</summary>
    private static IDataView EmptyRawRows(TaskSchema schema) => new TaskExampleDataView([], schema);
}
