using System.Numerics;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Evaluates arithmetic expressions such as SVAMP's equations, <c>"( 10.0 - ( 6.0 + 3.0 ) )"</c>: numbers (integers
/// and decimals), <c>+ - * /</c> with the usual precedence, unary minus and plus, and parentheses. Nothing else is
/// accepted and no code is ever run. The arithmetic is exact (rationals of <see cref="BigInteger"/>s), so cancellation
/// is exact (<c>9007199254740993 - 9007199254740992</c> is 1), a divisor that is exactly zero (<c>0.1 + 0.2 - 0.3</c>)
/// is a division by zero, and values beyond a double's range still compare. Every failure (bad syntax, division by
/// zero, nesting deeper than <see cref="MaxDepth"/>, a number longer than <see cref="MaxNumberDigits"/> digits, an
/// expression longer than <see cref="MaxLength"/>) is reported as a result, never thrown.
/// </summary>
public static class ArithmeticEvaluator
{
    /// <summary>The deepest nesting of parentheses and unary signs accepted (deeper input fails instead of overflowing the stack).</summary>
    public const int MaxDepth = 200;

    /// <summary>The most digits one number may have (before and after the decimal point together).</summary>
    public const int MaxNumberDigits = 1000;

    /// <summary>The longest expression accepted, in characters (this bounds the size of every exact intermediate value).</summary>
    public const int MaxLength = 10_000;

    /// <summary>The default relative tolerance of <see cref="ValuesMatch"/> and <see cref="ExpressionsMatch"/>.</summary>
    public const double DefaultRelativeTolerance = 1e-4;

    /// <summary>
    /// Evaluates <paramref name="expression"/> exactly and gives the nearest double; false with a reason in
    /// <paramref name="error"/> when it cannot be evaluated or the exact value is beyond a double's range.
    /// </summary>
    public static bool TryEvaluate(string? expression, out double value, out string? error)
    {
        value = double.NaN;
        if (!TryEvaluateExact(expression, out var numerator, out var denominator, out error))
        {
            return false;
        }

        var result = ToDouble(numerator, denominator);
        if (!double.IsFinite(result))
        {
            error = "the result is too large for a double (it is exact; ExpressionsMatch still compares it)";
            return false;
        }

        value = result;
        return true;
    }

    /// <summary>
    /// Evaluates <paramref name="expression"/> exactly: the value is <paramref name="numerator"/> / <paramref name="denominator"/>,
    /// in lowest terms with a positive denominator. False with a reason in <paramref name="error"/> when it cannot be evaluated.
    /// </summary>
    public static bool TryEvaluateExact(string? expression, out BigInteger numerator, out BigInteger denominator, out string? error)
    {
        numerator = BigInteger.Zero;
        denominator = BigInteger.One;
        if (string.IsNullOrWhiteSpace(expression))
        {
            error = "empty expression";
            return false;
        }

        if (expression.Length > MaxLength)
        {
            error = $"the expression is {expression.Length} characters long; the limit is {MaxLength}";
            return false;
        }

        var parser = new Parser(expression);
        var result = parser.ParseAll();
        if (parser.Error is not null)
        {
            error = parser.Error;
            return false;
        }

        (numerator, denominator) = (result.Numerator, result.Denominator);
        error = null;
        return true;
    }

    /// <summary>
    /// True when two values are equal within a relative tolerance:
    /// <c>|a - b| &lt;= tolerance * max(1, |a|, |b|)</c> (so near zero it is an absolute tolerance).
    /// </summary>
    public static bool ValuesMatch(double a, double b, double relativeTolerance = DefaultRelativeTolerance) =>
        Math.Abs(a - b) <= relativeTolerance * Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(b)));

    /// <summary>
    /// True when both expressions evaluate and their exact values match within the relative tolerance of
    /// <see cref="ValuesMatch"/>, computed exactly: <c>|a - b| &lt;= tolerance * max(1, |a|, |b|)</c>.
    /// </summary>
    public static bool ExpressionsMatch(string? a, string? b, double relativeTolerance = DefaultRelativeTolerance)
    {
        if (!TryEvaluateExact(a, out var an, out var ad, out _) || !TryEvaluateExact(b, out var bn, out var bd, out _))
        {
            return false;
        }

        if (!double.IsFinite(relativeTolerance) || relativeTolerance < 0)
        {
            return an == bn && ad == bd;
        }

        var x = new Rational(an, ad);
        var y = new Rational(bn, bd);
        var difference = (x - y).Abs();
        var scale = Rational.Max(Rational.One, Rational.Max(x.Abs(), y.Abs()));
        return difference.CompareTo(Rational.FromDouble(relativeTolerance) * scale) <= 0;
    }

    /// <summary>The double nearest <paramref name="numerator"/> / <paramref name="denominator"/> (infinite beyond the range).</summary>
    private static double ToDouble(BigInteger numerator, BigInteger denominator)
    {
        if (numerator.IsZero)
        {
            return 0;
        }

        var magnitude = BigInteger.Abs(numerator);
        var shift = 64 - (int)(magnitude.GetBitLength() - denominator.GetBitLength());
        var quotient = shift >= 0 ? (magnitude << shift) / denominator : magnitude / (denominator << -shift);
        var value = Math.ScaleB((double)quotient, -shift);
        return numerator.Sign < 0 ? -value : value;
    }

    /// <summary>An exact rational in lowest terms with a positive denominator.</summary>
    private readonly struct Rational : IComparable<Rational>
    {
        public static readonly Rational Zero = new(BigInteger.Zero, BigInteger.One);
        public static readonly Rational One = new(BigInteger.One, BigInteger.One);

        public Rational(BigInteger numerator, BigInteger denominator)
        {
            if (denominator.Sign < 0)
            {
                (numerator, denominator) = (-numerator, -denominator);
            }

            var gcd = BigInteger.GreatestCommonDivisor(numerator, denominator);
            if (!gcd.IsOne && !gcd.IsZero)
            {
                numerator /= gcd;
                denominator /= gcd;
            }

            Numerator = numerator;
            Denominator = denominator;
        }

        public BigInteger Numerator { get; }

        public BigInteger Denominator { get; }

        public bool IsZero => Numerator.IsZero;

        public static Rational operator +(Rational a, Rational b) => a.Denominator == b.Denominator
            ? new(a.Numerator + b.Numerator, a.Denominator)
            : new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);

        public static Rational operator -(Rational a, Rational b) => a + -b;

        public static Rational operator -(Rational a) => new(-a.Numerator, a.Denominator);

        public static Rational operator *(Rational a, Rational b) => new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

        public static Rational operator /(Rational a, Rational b) => new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);

        public static Rational Max(Rational a, Rational b) => a.CompareTo(b) >= 0 ? a : b;

        /// <summary>The exact value of a finite double (mantissa x 2^exponent).</summary>
        public static Rational FromDouble(double value)
        {
            var bits = BitConverter.DoubleToInt64Bits(value);
            var negative = bits < 0;
            var exponent = (int)((bits >> 52) & 0x7FF);
            var mantissa = bits & 0xFFFFFFFFFFFFFL;
            if (exponent == 0)
            {
                exponent = 1;
            }
            else
            {
                mantissa |= 1L << 52;
            }

            exponent -= 1075;
            BigInteger numerator = negative ? -mantissa : mantissa;
            return exponent >= 0 ? new(numerator << exponent, BigInteger.One) : new(numerator, BigInteger.One << -exponent);
        }

        public Rational Abs() => new(BigInteger.Abs(Numerator), Denominator);

        public int CompareTo(Rational other) => (Numerator * other.Denominator).CompareTo(other.Numerator * Denominator);
    }

    /// <summary>Recursive descent; the first error stops parsing (every method returns zero from then on and the error stands).</summary>
    private sealed class Parser(string text)
    {
        private int pos;
        private int depth;

        public string? Error { get; private set; }

        public Rational ParseAll()
        {
            var value = Sum();
            SkipSpace();
            if (Error is null && pos < text.Length)
            {
                Fail(text[pos] == ')' ? $"unbalanced ')' at position {pos + 1}" : $"unexpected '{text[pos]}' at position {pos + 1}");
            }

            return value;
        }

        private Rational Sum()
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

        private Rational Product()
        {
            var value = Signed();
            while (Error is null)
            {
                SkipSpace();
                if (TryTake('*'))
                {
                    value = value * Signed();
                }
                else if (TryTake('/'))
                {
                    var at = pos;
                    var divisor = Signed();
                    if (Error is not null)
                    {
                        return Rational.Zero;
                    }

                    if (divisor.IsZero)
                    {
                        return Fail($"division by zero at position {at} (the divisor is exactly 0)");
                    }

                    value = value / divisor;
                }
                else
                {
                    break;
                }
            }

            return value;
        }

        private Rational Signed()
        {
            SkipSpace();
            if (Error is not null)
            {
                return Rational.Zero;
            }

            var negate = TryTake('-');
            if (negate || TryTake('+'))
            {
                if (!Enter())
                {
                    return Rational.Zero;
                }

                var operand = Signed();
                depth--;
                return negate ? -operand : operand;
            }

            return Primary();
        }

        private Rational Primary()
        {
            SkipSpace();
            if (pos >= text.Length)
            {
                return Fail("the expression ends where a number or '(' was expected");
            }

            if (TryTake('('))
            {
                var open = pos;
                if (!Enter())
                {
                    return Rational.Zero;
                }

                var value = Sum();
                depth--;
                SkipSpace();
                if (Error is null && !TryTake(')'))
                {
                    return Fail(pos >= text.Length ? $"unbalanced '(' at position {open}" : $"expected ')' at position {pos + 1}, found '{text[pos]}'");
                }

                return value;
            }

            return Number();
        }

        private Rational Number()
        {
            var start = pos;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            {
                pos++;
            }

            if (pos < text.Length && text[pos] == '.')
            {
                pos++;
                while (pos < text.Length && char.IsAsciiDigit(text[pos]))
                {
                    pos++;
                }
            }

            var token = text.AsSpan(start, pos - start);
            if (token.Length == 0 || token is ".")
            {
                pos = start;
                return Fail($"unexpected '{text[start]}' at position {start + 1}; expected a number or '('");
            }

            var point = token.IndexOf('.');
            var digits = point < 0 ? token.Length : token.Length - 1;
            if (digits > MaxNumberDigits)
            {
                pos = start;
                return Fail($"the number at position {start + 1} has {digits} digits; the limit is {MaxNumberDigits}");
            }

            var integer = point < 0 ? token : token[..point];
            var fraction = point < 0 ? ReadOnlySpan<char>.Empty : token[(point + 1)..];
            var numerator = BigInteger.Zero;
            foreach (var c in integer)
            {
                numerator = numerator * 10 + (c - '0');
            }

            foreach (var c in fraction)
            {
                numerator = numerator * 10 + (c - '0');
            }

            return new Rational(numerator, BigInteger.Pow(10, fraction.Length));
        }

        private bool Enter()
        {
            if (++depth > MaxDepth)
            {
                Fail($"nested deeper than {MaxDepth} levels");
                return false;
            }

            return true;
        }

        private void SkipSpace()
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos]))
            {
                pos++;
            }
        }

        private bool TryTake(char c)
        {
            var taken = pos < text.Length && text[pos] == c;
            if (taken)
            {
                pos++;
            }

            return taken;
        }

        private Rational Fail(string message)
        {
            Error ??= message;
            return Rational.Zero;
        }
    }
}
