using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// Allocation flags by known bits (SPEC §7.11): each bit is known set (<see cref="One"/>), a copy of the same bit of
    /// one flags parameter of the method being walked (<see cref="Param"/>), unknown (<see cref="Unknown"/>), or known
    /// clear (every other bit). <c>Gfp.Atomic | (field &amp; Gfp.Memalloc)</c> has its may-sleep bits known clear; a
    /// helper's <c>gfp | Gfp.Zero</c> has them as its parameter's, decided at each call.
    /// </summary>
    internal readonly struct FlagBits : System.IEquatable<FlagBits>
    {
        public FlagBits(ulong one, ulong unknown, ulong param, int paramOrdinal)
        {
            One = one;
            Unknown = unknown & ~one;
            Param = paramOrdinal < 0 ? 0 : param & ~one & ~unknown;
            ParamOrdinal = Param == 0 ? -1 : paramOrdinal;
        }

        public ulong One { get; }
        public ulong Unknown { get; }
        public ulong Param { get; }
        public int ParamOrdinal { get; }

        public static FlagBits Constant(ulong bits) => new FlagBits(bits, 0, 0, -1);

        public static FlagBits AllUnknown { get; } = new FlagBits(0, ulong.MaxValue, 0, -1);

        public static FlagBits Parameter(int ordinal, ulong knownOne, ulong knownZero) =>
            new FlagBits(knownOne, 0, ~knownOne & ~knownZero, ordinal);

        public ulong Zero => ~(One | Unknown | Param);

        /// <summary>These flags with <paramref name="mask"/>'s bits cleared (a <c>memalloc</c> scope).</summary>
        public FlagBits Clear(ulong mask) => new FlagBits(One & ~mask, Unknown & ~mask, Param & ~mask, ParamOrdinal);

        public static FlagBits Or(FlagBits a, FlagBits b)
        {
            var one = a.One | b.One;
            var unknown = (a.Unknown | b.Unknown | ParamConflict(a, b, a.Param | b.Param)) & ~one;
            var param = (a.Param | b.Param) & ~one & ~unknown;
            return new FlagBits(one, unknown, param, a.ParamOrdinal >= 0 ? a.ParamOrdinal : b.ParamOrdinal);
        }

        public static FlagBits And(FlagBits a, FlagBits b)
        {
            var zero = a.Zero | b.Zero;
            var one = a.One & b.One;
            // A parameter bit and'ed with a set bit stays the parameter's; with another parameter's bit, or with an unknown one, it is unknown.
            var param = ((a.Param & b.One) | (b.Param & a.One) | (a.Param & b.Param & ~ParamConflict(a, b, ulong.MaxValue))) & ~zero;
            var unknown = ~zero & ~one & ~param;
            return new FlagBits(one, unknown, param, a.ParamOrdinal >= 0 ? a.ParamOrdinal : b.ParamOrdinal);
        }

        public static FlagBits Xor(FlagBits a, FlagBits b)
        {
            var known = (a.One | a.Zero) & (b.One | b.Zero);
            var one = (a.One ^ b.One) & known;
            return new FlagBits(one, ~known, 0, -1);
        }

        public FlagBits Not() => new FlagBits(Zero, Unknown | Param, 0, -1);

        /// <summary>Bits both take from parameters, but from different ones: unknown.</summary>
        private static ulong ParamConflict(FlagBits a, FlagBits b, ulong bits) =>
            a.ParamOrdinal >= 0 && b.ParamOrdinal >= 0 && a.ParamOrdinal != b.ParamOrdinal ? a.Param & b.Param & bits : 0;

        public bool Equals(FlagBits other) => One == other.One && Unknown == other.Unknown && Param == other.Param && ParamOrdinal == other.ParamOrdinal;
        public override bool Equals(object? obj) => obj is FlagBits other && Equals(other);
        public override int GetHashCode() => (One.GetHashCode() * 31 + Unknown.GetHashCode()) * 31 + Param.GetHashCode();

        /// <summary>
        /// The known bits of a flags expression in the state at hand: constants, the walked method's own flags parameters
        /// (with the bits its flag tests have decided on this path), locals of known value, and <c>| &amp; ^ ~</c> over them.
        /// Anything else (a field, a call's result) is unknown.
        /// </summary>
        public static FlagBits Of(IOperation? operation, FlowState state, IMethodSymbol? walked)
        {
            if (operation is null)
            {
                return AllUnknown;
            }

            if (operation.ConstantValue.HasValue)
            {
                return AllocationFlagsModel.ToBits(operation.ConstantValue.Value) is { } bits ? Constant(bits) : AllUnknown;
            }

            switch (operation)
            {
                case IConversionOperation { OperatorMethod: null } conversion:
                    return Of(conversion.Operand, state, walked);
                case IParenthesizedOperation parenthesized:
                    return Of(parenthesized.Operand, state, walked);
                case IParameterReferenceOperation parameter when walked is not null && SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol?.OriginalDefinition, walked.OriginalDefinition):
                    var known = state.Context.ParameterBits(parameter.Parameter.Ordinal);
                    return Parameter(parameter.Parameter.Ordinal, known.One, known.Zero);
                case ILocalReferenceOperation local when state.Values.Of(ValueKey.Local(local.Local)) is { Kind: 1 } value:
                    return Constant(unchecked((ulong)value.Value));
                case IFlowCaptureReferenceOperation capture when state.Values.Of(ValueKey.Capture(capture.Id)) is { Kind: 1 } captured:
                    return Constant(unchecked((ulong)captured.Value));
                case IBinaryOperation { OperatorMethod: null } binary:
                    var left = Of(binary.LeftOperand, state, walked);
                    var right = Of(binary.RightOperand, state, walked);
                    return binary.OperatorKind switch
                    {
                        BinaryOperatorKind.Or => Or(left, right),
                        BinaryOperatorKind.And => And(left, right),
                        BinaryOperatorKind.ExclusiveOr => Xor(left, right),
                        _ => AllUnknown,
                    };
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.BitwiseNegation, OperatorMethod: null } negation:
                    return Of(negation.Operand, state, walked).Not();
                default:
                    return AllUnknown;
            }
        }

        /// <summary>
        /// A flag test on one of the walked method's flags parameters: <c>(gfp &amp; M) == 0</c>, <c>!= 0</c>, <c>== M</c>,
        /// <c>gfp.HasFlag(M)</c>. Gives the parameter and the bits the test decides on the branch where it is <paramref name="truth"/>.
        /// </summary>
        public static (int Ordinal, ulong One, ulong Zero)? Test(IOperation condition, bool truth, IMethodSymbol? walked, AllocationFlagsModel flags)
        {
            switch (condition)
            {
                case IBinaryOperation { OperatorMethod: null, OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison:
                    var equals = comparison.OperatorKind == BinaryOperatorKind.Equals;
                    var (masked, constant) = comparison.RightOperand.ConstantValue.HasValue
                        ? (comparison.LeftOperand, comparison.RightOperand)
                        : (comparison.RightOperand, comparison.LeftOperand);
                    if (!constant.ConstantValue.HasValue || AllocationFlagsModel.ToBits(constant.ConstantValue.Value) is not { } value)
                    {
                        return null;
                    }

                    if (Strip(masked) is IBinaryOperation { OperatorKind: BinaryOperatorKind.And, OperatorMethod: null } and &&
                        MaskedParameter(and, walked, flags) is { } tested)
                    {
                        return Decide(tested.Ordinal, tested.Mask, value, equals == truth);
                    }

                    if (Strip(masked) is IParameterReferenceOperation whole && IsFlagsParameter(whole, walked, flags) && equals == truth)
                    {
                        return (whole.Parameter.Ordinal, value, ~value);
                    }

                    return null;
                case IInvocationOperation { TargetMethod.Name: "HasFlag", Instance: { } instance } hasFlag when hasFlag.Arguments.Length == 1 &&
                    Strip(instance) is IParameterReferenceOperation p && IsFlagsParameter(p, walked, flags) &&
                    hasFlag.Arguments[0].Value is var argument && Strip(argument).ConstantValue.HasValue && AllocationFlagsModel.ToBits(Strip(argument).ConstantValue.Value) is { } bits:
                    // HasFlag(M): every bit of M set.
                    return truth ? (p.Parameter.Ordinal, bits, 0UL) : IsSingleBit(bits) ? (p.Parameter.Ordinal, 0UL, bits) : null;
                default:
                    return null;
            }
        }

        /// <summary>What "<c>(p &amp; mask) == value</c>" (or its negation) says about p's bits.</summary>
        private static (int, ulong, ulong)? Decide(int ordinal, ulong mask, ulong value, bool equal)
        {
            if (equal)
            {
                return (ordinal, value & mask, mask & ~value);
            }

            // (p & mask) != value: only a one-bit mask decides its bit.
            return IsSingleBit(mask) ? (ordinal, (value & mask) == 0 ? mask : 0, (value & mask) == 0 ? 0 : mask) : null;
        }

        private static bool IsSingleBit(ulong bits) => bits != 0 && (bits & (bits - 1)) == 0;

        private static (int Ordinal, ulong Mask)? MaskedParameter(IBinaryOperation and, IMethodSymbol? walked, AllocationFlagsModel flags)
        {
            var left = Strip(and.LeftOperand);
            var right = Strip(and.RightOperand);
            if (left is IParameterReferenceOperation p && IsFlagsParameter(p, walked, flags) && right.ConstantValue.HasValue && AllocationFlagsModel.ToBits(right.ConstantValue.Value) is { } mask)
            {
                return (p.Parameter.Ordinal, mask);
            }

            if (right is IParameterReferenceOperation q && IsFlagsParameter(q, walked, flags) && left.ConstantValue.HasValue && AllocationFlagsModel.ToBits(left.ConstantValue.Value) is { } mask2)
            {
                return (q.Parameter.Ordinal, mask2);
            }

            return null;
        }

        private static bool IsFlagsParameter(IParameterReferenceOperation parameter, IMethodSymbol? walked, AllocationFlagsModel flags) =>
            walked is not null && SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol?.OriginalDefinition, walked.OriginalDefinition) &&
            flags.IsFlagsType(parameter.Parameter.Type);

        private static IOperation Strip(IOperation operation) => FlowEngine.StripConversions(operation)!;

        /// <summary>The argument operation passed for <paramref name="ordinal"/> at a call site (null for one it cannot see).</summary>
        public static IOperation? ArgumentOf(IOperation site, int ordinal)
        {
            ImmutableArray<IArgumentOperation> arguments = site switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };

            foreach (var argument in arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return argument.Value;
                }
            }

            return null;
        }
    }
}
