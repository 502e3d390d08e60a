using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// A model loaded from a zip by <c>mlContext.StepDistill().LoadModel</c>: ML.NET's pipeline with its components (students,
/// input formats) in place. It owns the components: dispose it to free the students' weights; using it afterwards throws
/// <see cref="ObjectDisposedException"/> naming the model.
/// </summary>
public sealed class StepDistillModel : ITransformer, IDisposable
{
    private readonly IReadOnlyList<IArchivedComponent> components;
    private bool disposed;

    internal StepDistillModel(ITransformer pipeline, IReadOnlyList<IArchivedComponent> components, string source)
    {
        this.pipeline = pipeline;
        this.components = components;
        Source = source;
    }

    private readonly ITransformer pipeline;

    /// <summary>Where the model was loaded from.</summary>
    public string Source { get; }

    /// <summary>The loaded pipeline (a <c>TransformerChain</c>, or the single transformer that was saved).</summary>
    public ITransformer Pipeline => disposed ? throw Disposed() : pipeline;

    /// <summary>The archived components in pipeline order (students, input formats).</summary>
    public IReadOnlyList<IArchivedComponent> Components => disposed ? throw Disposed() : components;

    /// <summary>The first component of type <typeparamref name="T"/> (e.g. the student), or null.</summary>
    public T? Find<T>() where T : class => Components.OfType<T>().FirstOrDefault();

    /// <inheritdoc/>
    public bool IsRowToRowMapper => Pipeline.IsRowToRowMapper;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Pipeline.GetOutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Pipeline.GetRowToRowMapper(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) => Pipeline.Transform(input);

    /// <summary>Frees the components' resources (the students' weights).</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var component in components)
        {
            (component as IDisposable)?.Dispose();
        }
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => Pipeline.Save(ctx);

    private ObjectDisposedException Disposed() => new(nameof(StepDistillModel), $"The model loaded from {Source} was disposed.");
}
