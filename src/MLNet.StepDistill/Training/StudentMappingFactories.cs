using System.ComponentModel;
using Microsoft.ML.Transforms;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Found by ML.NET when it loads a model zip holding a student. The weights are not in ML.NET's part of the zip, so only
/// <c>mlContext.StepDistill().LoadModel</c> can load it; a plain <c>mlContext.Model.Load</c> gets a clear error here.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(StudentContracts.FixedLabels)]
public sealed class FixedLabelsStudentFactory : CustomMappingFactory<StudentTextInput, StudentClassifiedOutput>
{
    /// <inheritdoc/>
    public override Action<StudentTextInput, StudentClassifiedOutput> GetMapping() => StudentLoadScope.Placeholder<StudentTextInput, StudentClassifiedOutput>();
}

/// <summary>As <see cref="FixedLabelsStudentFactory"/>, for multiple-choice students.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(StudentContracts.Choices)]
public sealed class ChoicesStudentFactory : CustomMappingFactory<StudentChoicesInput, StudentClassifiedOutput>
{
    /// <inheritdoc/>
    public override Action<StudentChoicesInput, StudentClassifiedOutput> GetMapping() => StudentLoadScope.Placeholder<StudentChoicesInput, StudentClassifiedOutput>();
}

/// <summary>As <see cref="FixedLabelsStudentFactory"/>, for students with an open (generated) target.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(StudentContracts.OpenText)]
public sealed class OpenTextStudentFactory : CustomMappingFactory<StudentTextInput, StudentGeneratedOutput>
{
    /// <inheritdoc/>
    public override Action<StudentTextInput, StudentGeneratedOutput> GetMapping() => StudentLoadScope.Placeholder<StudentTextInput, StudentGeneratedOutput>();
}
