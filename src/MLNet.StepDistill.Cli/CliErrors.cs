using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli;

/// <summary>
/// The exit codes of <c>stepdistill</c> and the one line printed for each error (the README's table). The whole chain of
/// inner exceptions is searched, so a library error wrapped by a command keeps its code.
/// </summary>
internal static class CliErrors
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected error: a bug in stepdistill (run with --verbose and report it).</summary>
    public const int Internal = 1;

    /// <summary>Bad input: a wrong option, or a dataset, model, config, tokenizer or checkpoint file that is malformed or missing.</summary>
    public const int BadInput = 2;

    /// <summary>A file fails its checksum (a zip entry's CRC-32, a training checkpoint's SHA-256): get it again.</summary>
    public const int Integrity = 3;

    /// <summary>The machine cannot run the model: libtorch did not load (`stepdistill doctor` says why).</summary>
    public const int Environment = 4;

    /// <summary>The teacher failed for good (retries spent, or a non-retryable answer); completions so far stay cached.</summary>
    public const int TeacherFailed = 5;

    /// <summary>Interrupted (Ctrl+C); checkpoints and caches written so far are kept.</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code for <paramref name="error"/> and the one line to print.</summary>
    public static (int Code, string Line) Describe(Exception error)
    {
        var chain = Chain(error).ToList();
        int? code = chain.Any(e => e is FileIntegrityException) ? Integrity
            : chain.Any(e => e is NativeTorchUnavailableException) ? Environment
            : chain.Any(e => e is TeacherCallFailedException) ? TeacherFailed
            : chain.Any(e => e is OperationCanceledException) ? Interrupted
            : chain.Any(IsBadInput) ? BadInput
            : null;
        var shown = code switch
        {
            Integrity => Outermost(chain, e => e is UserFacingException) ?? chain.First(e => e is FileIntegrityException),
            Environment => chain.First(e => e is NativeTorchUnavailableException),
            Interrupted => chain.First(e => e is OperationCanceledException),
            null => error,
            _ => Outermost(chain, e => e is UserFacingException or CommandAppException) ?? chain.First(e => IsBadInput(e) || e is TeacherCallFailedException),
        };
        var message = code is null
            ? $"internal error ({error.GetType().Name}: {error.Message}); run again with --verbose for details and report it"
            : code == Interrupted ? "interrupted; what was written so far (checkpoints, caches) is kept" : shown.Message;
        return (code ?? Internal, "stepdistill: " + OneLine(message));
    }

    private static bool IsBadInput(Exception e) => e is UserFacingException or CommandAppException or DatasetFormatException or ModelFormatException
        or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException or UnauthorizedAccessException;

    private static Exception? Outermost(List<Exception> chain, Func<Exception, bool> match) => chain.FirstOrDefault(match);

    private static IEnumerable<Exception> Chain(Exception error)
    {
        var pending = new Stack<Exception>([error]);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 64)
        {
            var e = pending.Pop();
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.Reverse())
                {
                    pending.Push(inner);
                }
            }
            else if (e.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }

    private static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
