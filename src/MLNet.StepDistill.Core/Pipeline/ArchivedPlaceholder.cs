using System.ComponentModel;
using Microsoft.ML.Transforms;

namespace MLNet.StepDistill.Pipeline;

/// <summary>Row type of the placeholder an archived component leaves in ML.NET's entries. Infrastructure; not for direct use.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ArchivedPlaceholderRow
{
    /// <summary>Unused.</summary>
    public float Unused { get; set; }
}

/// <summary>
/// Found by ML.NET when it loads a model zip with archived components (students, input formats). Their state is not in
/// ML.NET's part of the zip, so only <c>mlContext.StepDistill().LoadModel</c> can load it; a plain
/// <c>mlContext.Model.Load</c> gets a clear error here.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ArchiveScope.PlaceholderContract)]
public sealed class ArchivedPlaceholderFactory : CustomMappingFactory<ArchivedPlaceholderRow, ArchivedPlaceholderRow>
{
    /// <inheritdoc/>
    public override Action<ArchivedPlaceholderRow, ArchivedPlaceholderRow> GetMapping() => ArchiveScope.Placeholder();
}
