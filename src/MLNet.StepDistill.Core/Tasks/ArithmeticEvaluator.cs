using System.Globalization;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Evaluates arithmetic expressions such as SVAMP's equations, <c>"( 10.0 - ( 6.0 + 3.0 ) )"</c>: numbers (integers
/// and decimals), <c>+ - * /</c> with the usual precedence, unary minus and plus, and parentheses. Nothing else is
/// accepted and no code is ever run. Every failure (bad syntax, division by zero, a non-finite result, nesting deeper
/// than <see cref="MaxDepth"/>) is reported as a result, never thrown.
/// </summary>
public static class ArithmeticEvaluator
{
    /// <summary>The deepest nesting of parentheses and unary signs accepted (deeper input fails instead of overflowing the stack).</summary>
    public const int MaxDepth = 200;

    /// <summary>The default relative tolerance of <see cref="ValuesMatch"/>.</summary>
    public const double DefaultRelativeTolerance = 1e-4;

    /// <summary>Evaluates <paramref name="expression"/>; false with a reason in <paramref name="error"/> when it cannot be evaluated.</summary>
    public static bool TryEvaluate(string? expression, out double value, out string? error)
    {
        value = double.NaN;
        if (string.IsNullOrWhiteSpace(expression))
        {
            error = "empty expression";
            return false;
        }

        var parser = new Parser(expression);
        var result = parser.ParseAll();
        if (parser.Error is not null)
        {
            error = parser.Error;
            return false;
        }

        if (!double.IsFinite(result))
        {
            error = "the result is not a finite number";
            return false;
        }

        value = result;
        error = null;
        return true;
    }

    /// <summary>
    /// True when two values are equal within a relative tolerance:
    /// <c>|a - b| &lt;= tolerance * max(1, |a|, |b|)</c> (so near zero it is an absolute tolerance).
    /// </summary>
    public static bool ValuesMatch(double a, double b, double relativeTolerance = DefaultRelativeTolerance) =>
        Math.Abs(a - b) <= relativeTolerance * Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(b)));

    /// <summary>True when both expressions evaluate and their values match (<see cref="ValuesMatch"/>).</summary>
    public static bool ExpressionsMatch(string? a, string? b, double relativeTolerance = DefaultRelativeTolerance) =>
        TryEvaluate(a, out var x, out _) && TryEvaluate(b, out var y, out _) && ValuesMatch(x, y, relativeTolerance);

    /// <summary>Recursive descent; the first error stops parsing (every method returns NaN from then on).</summary>
    private sealed class Parser(string text)
    {
        private int _pos;
        private int _depth;

        public string? Error { get; private set; }

        public double ParseAll()
        {
            var value = Sum();
            SkipSpace();
            if (Error is null && _pos < text.Length)
            {
                Fail(text[_pos] == ')' ? $"unbalanced ')' at position {_pos + 1}" : $"unexpected '{text[_pos]}' at position {_pos + 1}");
            }

            return value;
        }

        private double Sum()
        {
            var value = Product();
            while (Error is null)
            {
                SkipSpace();
                bool minus;
                if (TryTake('+'))
                {
                    minus = false;
                }
                else if (TryTake('-'))
                {
                    minus = true;
                }
                else
                {
                    break;
                }

                var right = Product();
                value = minus ? value - right : value + right;
            }

            return value;
        }

        private double Product()
        {
            var value = Signed();
            while (Error is null)
            {
                SkipSpace();
                if (TryTake('*'))
                {
                    value *= Signed();
                }
                else if (TryTake('/'))
                {
                    var at = _pos;
                    var divisor = Signed();
                    if (Error is null && divisor == 0)
                    {
                        return Fail($"division by zero at position {at}");
                    }

                    value /= divisor;
                }
                else
                {
                    break;
                }
            }

            return value;
        }

        private double Signed()
        {
            SkipSpace();
            if (Error is not null)
            {
                return double.NaN;
            }

            var negate = TryTake('-');
            if (negate || TryTake('+'))
            {
                if (!Enter())
                {
                    return double.NaN;
                }

                var operand = Signed();
                _depth--;
                return negate ? -operand : operand;
            }

            return Primary();
        }

        private double Primary()
        {
            SkipSpace();
            if (_pos >= text.Length)
            {
                return Fail("the expression ends where a number or '(' was expected");
            }

            if (TryTake('('))
            {
                var open = _pos;
                if (!Enter())
                {
                    return double.NaN;
                }

                var value = Sum();
                _depth--;
                SkipSpace();
                if (Error is null && !TryTake(')'))
                {
                    return Fail(_pos >= text.Length ? $"unbalanced '(' at position {open}" : $"expected ')' at position {_pos + 1}, found '{text[_pos]}'");
                }

                return value;
            }

            return Number();
        }

        private double Number()
        {
            var start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            {
                _pos++;
            }

            if (_pos < text.Length && text[_pos] == '.')
            {
                _pos++;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    _pos++;
                }
            }

            var token = text.AsSpan(start, _pos - start);
            if (token.Length == 0 || token is ".")
            {
                _pos = start;
                return Fail($"unexpected '{text[start]}' at position {start + 1}; expected a number or '('");
            }

            return double.Parse(token, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        }

        private bool Enter()
        {
            if (++_depth > MaxDepth)
            {
                Fail($"nested deeper than {MaxDepth} levels");
                return false;
            }

            return true;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private bool TryTake(char c)
        {
            var taken = _pos < text.Length && text[_pos] == c;
            if (taken)
            {
                _pos++;
            }

            return taken;
        }

        private double Fail(string message)
        {
            Error ??= message;
            return double.NaN;
        }
    }
}
