namespace MLNet.StepDistill.Cli.Commands;

/// <summary>An error caused by the user's input; printed without a stack trace.</summary>
internal sealed class UserFacingException(string message) : Exception(message);
