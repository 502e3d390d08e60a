using System.Numerics;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>
/// An exact evaluator written apart from the library's, for the fuzz suite to compare against: a tokenizer, the
/// shunting-yard algorithm to postfix, and a stack machine over (numerator, denominator) pairs of BigIntegers. Same
/// grammar: decimal numbers, + - * /, prefix + and -, parentheses, white space; a divisor that is exactly 0 is an error.
/// </summary>
internal static class ExactArithmeticReference
{
    private enum Kind { Number, Binary, Unary, Open, Close }

    private readonly record struct Token(Kind Kind, char Op, BigInteger Num, BigInteger Den);

    /// <summary>The exact value in lowest terms (positive denominator), or null when the text is not an expression or divides by zero.</summary>
    public static (BigInteger Num, BigInteger Den)? Evaluate(string text)
    {
        var tokens = Tokenize(text);
        if (tokens is null)
        {
            return null;
        }

        // Shunting-yard: prefix signs bind tightest (right to left), then * /, then + - (left to right).
        var output = new List<Token>();
        var ops = new Stack<Token>();
        static int Precedence(Token t) => t.Kind == Kind.Unary ? 3 : t.Op is '*' or '/' ? 2 : 1;
        foreach (var token in tokens)
        {
            switch (token.Kind)
            {
                case Kind.Number:
                    output.Add(token);
                    break;
                case Kind.Unary:
                case Kind.Open:
                    ops.Push(token);
                    break;
                case Kind.Binary:
                    while (ops.Count > 0 && ops.Peek().Kind != Kind.Open && Precedence(ops.Peek()) >= Precedence(token))
                    {
                        output.Add(ops.Pop());
                    }

                    ops.Push(token);
                    break;
                case Kind.Close:
                    while (ops.Count > 0 && ops.Peek().Kind != Kind.Open)
                    {
                        output.Add(ops.Pop());
                    }

                    if (ops.Count == 0)
                    {
                        return null;
                    }

                    ops.Pop();
                    break;
            }
        }

        while (ops.Count > 0)
        {
            var op = ops.Pop();
            if (op.Kind == Kind.Open)
            {
                return null;
            }

            output.Add(op);
        }

        var stack = new Stack<(BigInteger Num, BigInteger Den)>();
        foreach (var token in output)
        {
            if (token.Kind == Kind.Number)
            {
                stack.Push((token.Num, token.Den));
                continue;
            }

            if (token.Kind == Kind.Unary)
            {
                var (n, d) = stack.Pop();
                stack.Push(token.Op == '-' ? (-n, d) : (n, d));
                continue;
            }

            var (bn, bd) = stack.Pop();
            var (an, ad) = stack.Pop();
            (BigInteger, BigInteger) result;
            switch (token.Op)
            {
                case '+': result = (an * bd + bn * ad, ad * bd); break;
                case '-': result = (an * bd - bn * ad, ad * bd); break;
                case '*': result = (an * bn, ad * bd); break;
                default:
                    if (bn.IsZero)
                    {
                        return null;
                    }

                    result = (an * bd, ad * bn);
                    break;
            }

            stack.Push(result);
        }

        var (num, den) = stack.Pop();
        if (den.Sign < 0)
        {
            (num, den) = (-num, -den);
        }

        var gcd = BigInteger.GreatestCommonDivisor(num, den);
        return gcd.IsZero || gcd.IsOne ? (num, den) : (num / gcd, den / gcd);
    }

    /// <summary>Tokens with unary and binary signs told apart, checked to alternate operand / operator; null on any error.</summary>
    private static List<Token>? Tokenize(string text)
    {
        var tokens = new List<Token>();
        var expectOperand = true;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiDigit(c) || c == '.')
            {
                if (!expectOperand)
                {
                    return null;
                }

                var start = i;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                var intDigits = text[start..i];
                var fracDigits = "";
                if (i < text.Length && text[i] == '.')
                {
                    var f = ++i;
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }

                    fracDigits = text[f..i];
                }

                if (intDigits.Length + fracDigits.Length == 0)
                {
                    return null;
                }

                var num = BigInteger.Parse("0" + intDigits + fracDigits, System.Globalization.CultureInfo.InvariantCulture);
                tokens.Add(new Token(Kind.Number, ' ', num, BigInteger.Pow(10, fracDigits.Length)));
                expectOperand = false;
            }
            else if (c is '+' or '-' or '*' or '/')
            {
                if (expectOperand)
                {
                    if (c is '*' or '/')
                    {
                        return null;
                    }

                    tokens.Add(new Token(Kind.Unary, c, 0, 1));
                }
                else
                {
                    tokens.Add(new Token(Kind.Binary, c, 0, 1));
                    expectOperand = true;
                }

                i++;
            }
            else if (c == '(')
            {
                if (!expectOperand)
                {
                    return null;
                }

                tokens.Add(new Token(Kind.Open, c, 0, 1));
                i++;
            }
            else if (c == ')')
            {
                if (expectOperand)
                {
                    return null;
                }

                tokens.Add(new Token(Kind.Close, c, 0, 1));
                i++;
            }
            else
            {
                return null;
            }
        }

        return expectOperand ? null : tokens;
    }
}
