namespace MLNet.StepDistill.Cli.Commands;

/// <summary>An error caused by the user's input; printed without a stack trace. <paramref name="inner"/> keeps the library's error (its type decides the exit code).</summary>
internal sealed class UserFacingException(string message, Exception? inner = null) : Exception(message, inner);
