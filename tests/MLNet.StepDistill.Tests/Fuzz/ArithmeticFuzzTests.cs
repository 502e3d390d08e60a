using System.Numerics;
using System.Text;
using MLNet.StepDistill.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>10,000 seeded expressions (well-formed and mutated) evaluated by the library and by an independent exact reference.</summary>
public sealed class ArithmeticFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Ten_thousand_expressions_agree_exactly_with_an_independent_reference()
    {
        var rng = new Random(1210);
        int agreedValues = 0, agreedRejections = 0;
        var disagreements = new List<string>();
        for (var i = 0; i < 10_000; i++)
        {
            var expression = Expression(rng, depth: 0);
            if (rng.Next(10) < 3)
            {
                expression = Mutate(expression, rng);
            }

            var expected = ExactArithmeticReference.Evaluate(expression);
            bool ok;
            BigInteger num, den;
            try
            {
                ok = ArithmeticEvaluator.TryEvaluateExact(expression, out num, out den, out _);
            }
            catch (Exception ex)
            {
                disagreements.Add($"{expression}: threw {ex.GetType().Name}: {ex.Message}");
                continue;
            }

            if (expected is { } value && ok && value.Num == num && value.Den == den)
            {
                agreedValues++;
                Assert.True(ArithmeticEvaluator.ExpressionsMatch(expression, expression));
            }
            else if (expected is null && !ok)
            {
                agreedRejections++;
            }
            else if (disagreements.Count < 10)
            {
                disagreements.Add($"{expression}: library {(ok ? $"{num}/{den}" : "rejects")}, reference {(expected is { } e ? $"{e.Num}/{e.Den}" : "rejects")}");
            }
        }

        output.WriteLine($"FUZZ arithmetic: 10000 cases, {agreedValues} equal exact values, {agreedRejections} rejected by both, " +
            $"{10_000 - agreedValues - agreedRejections} disagreements or exceptions");
        Assert.True(disagreements.Count == 0, string.Join(Environment.NewLine, disagreements));
        Assert.True(agreedValues > 5000, $"only {agreedValues} expressions evaluated; the generator is too hostile to test values");
    }

    private static string Expression(Random rng, int depth)
    {
        if (depth > 4 || rng.Next(3) == 0)
        {
            return Number(rng);
        }

        return rng.Next(6) switch
        {
            0 => $"( {Expression(rng, depth + 1)} )",
            1 => $"-{Expression(rng, depth + 1)}",
            _ => $"{Expression(rng, depth + 1)} {"+-*/"[rng.Next(4)]} {Expression(rng, depth + 1)}",
        };
    }

    private static string Number(Random rng)
    {
        var digits = rng.Next(8) == 0 ? rng.Next(15, 40) : rng.Next(1, 4);
        var text = new StringBuilder();
        for (var i = 0; i < digits; i++)
        {
            text.Append((char)('0' + rng.Next(i == 0 && rng.Next(4) == 0 ? 1 : 10)));
        }

        if (rng.Next(3) == 0)
        {
            text.Insert(rng.Next(text.Length + 1), '.');
        }

        return text.ToString();
    }

    private static string Mutate(string expression, Random rng)
    {
        const string alphabet = "0123456789.+-*/() xe";
        var text = new StringBuilder(expression);
        var at = rng.Next(text.Length + 1);
        switch (rng.Next(3))
        {
            case 0: text.Insert(at, alphabet[rng.Next(alphabet.Length)]); break;
            case 1 when at < text.Length: text.Remove(at, 1); break;
            default: if (at < text.Length) { text[at] = alphabet[rng.Next(alphabet.Length)]; } break;
        }

        return text.ToString();
    }
}
