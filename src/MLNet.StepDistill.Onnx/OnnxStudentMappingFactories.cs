using System.ComponentModel;
using Microsoft.ML.Transforms;

namespace MLNet.StepDistill.Onnx;

/// <summary>Found by ML.NET when it loads a zip holding an ONNX student; only <c>mlContext.StepDistillOnnx().LoadModel</c> can load it.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(OnnxStudentContracts.FixedLabels)]
public sealed class OnnxFixedLabelsStudentFactory : CustomMappingFactory<OnnxStudentTextInput, OnnxStudentClassifiedOutput>
{
    /// <inheritdoc/>
    public override Action<OnnxStudentTextInput, OnnxStudentClassifiedOutput> GetMapping() => OnnxStudentLoadScope.Placeholder<OnnxStudentTextInput, OnnxStudentClassifiedOutput>();
}

/// <summary>As <see cref="OnnxFixedLabelsStudentFactory"/>, for multiple-choice students.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(OnnxStudentContracts.Choices)]
public sealed class OnnxChoicesStudentFactory : CustomMappingFactory<OnnxStudentChoicesInput, OnnxStudentClassifiedOutput>
{
    /// <inheritdoc/>
    public override Action<OnnxStudentChoicesInput, OnnxStudentClassifiedOutput> GetMapping() => OnnxStudentLoadScope.Placeholder<OnnxStudentChoicesInput, OnnxStudentClassifiedOutput>();
}

/// <summary>As <see cref="OnnxFixedLabelsStudentFactory"/>, for students with an open (generated) target.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(OnnxStudentContracts.OpenText)]
public sealed class OnnxOpenTextStudentFactory : CustomMappingFactory<OnnxStudentTextInput, OnnxStudentGeneratedOutput>
{
    /// <inheritdoc/>
    public override Action<OnnxStudentTextInput, OnnxStudentGeneratedOutput> GetMapping() => OnnxStudentLoadScope.Placeholder<OnnxStudentTextInput, OnnxStudentGeneratedOutput>();
}
