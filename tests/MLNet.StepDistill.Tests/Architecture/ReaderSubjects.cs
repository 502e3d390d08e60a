using System.ComponentModel;
using MarkerAlias = MLNet.StepDistill.Tests.Architecture.ReaderSubjects.Target.Marker;

// Subjects for NamespaceReferenceReaderTests: each type in Users uses Target in one way only, none with a using of
// Target; the reader must see every one of them.
namespace MLNet.StepDistill.Tests.Architecture.ReaderSubjects.Target
{
    public sealed class Marker
    {
        public int Value { get; init; } = 1;
    }

    public sealed class MarkerException : Exception;
}

namespace MLNet.StepDistill.Tests.Architecture.ReaderSubjects.Users
{
    public static class PartlyQualifiedCatch
    {
        public static bool Run(Action action)
        {
            try
            {
                action();
                return true;
            }
            catch (Target.MarkerException)
            {
                return false;
            }
        }
    }

    public static class AliasTypeof
    {
        public static Type Run() => typeof(MarkerAlias);
    }

    [TypeConverter(typeof(Target.Marker))]
    public sealed class AttributeArgument;

    public static class InLambda
    {
        public static Func<object> Run() => () => new Target.Marker();
    }

    public static class InAsyncMethod
    {
        public static async Task<int> Run()
        {
            await Task.Yield();
            return new Target.Marker().Value;
        }
    }

    public static class GenericArgument
    {
        public static int Run() => new List<Target.Marker>().Count;
    }

    public static class SignatureOnly
    {
        public static void Run(Target.Marker? marker)
        {
        }
    }

    public static class TypeTest
    {
        public static bool Run(object item) => item is Target.Marker;
    }

    public static class NoUse
    {
        public static int Run() => 42;
    }
}
