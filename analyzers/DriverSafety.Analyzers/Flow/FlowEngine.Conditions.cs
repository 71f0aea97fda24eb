using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow.Domains;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        /// <summary>
        /// The state on the branch where <paramref name="condition"/> evaluates to <paramref name="truth"/>, or null when
        /// that branch cannot be taken. Each domain refines its facts about the tested value (pending try-acquisitions,
        /// known constants); short-circuit operators and <c>?:</c> arrive here already split into separate branches by the CFG.
        /// </summary>
        private FlowState? Refine(CfgInfo info, IOperation condition, FlowState state, bool truth)
        {
            condition = StripConversions(condition)!;
            if (FlagBits.Test(condition, truth, _body.Symbol, _contracts.Context.Flags) is { } flagTest)
            {
                // A flag test on the method's own flags parameter: the branch knows those bits (§7.11).
                return state.Context.Learn(flagTest.Ordinal, flagTest.One, flagTest.Zero) is { } learnt ? state.WithContext(learnt) : null;
            }

            switch (condition)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not:
                    return Refine(info, not.Operand, state, !truth);

                case { ConstantValue: { HasValue: true, Value: bool constant } }:
                    return constant == truth ? state : null;

                case IBinaryOperation { OperatorMethod: null } binary when Comparison(binary.OperatorKind) is { } kind:
                    if (binary.RightOperand.ConstantValue.HasValue && ConditionValue.FromConstant(binary.RightOperand.ConstantValue.Value) is { } right && !binary.LeftOperand.ConstantValue.HasValue)
                    {
                        return AssumeOn(info, binary.LeftOperand, new ValueTest(kind, right), truth, state);
                    }

                    if (binary.LeftOperand.ConstantValue.HasValue && ConditionValue.FromConstant(binary.LeftOperand.ConstantValue.Value) is { } left && !binary.RightOperand.ConstantValue.HasValue)
                    {
                        return AssumeOn(info, binary.RightOperand, new ValueTest(Mirror(kind), left), truth, state);
                    }

                    return state;

                case IIsNullOperation isNull:
                    if (KeyOf(isNull.Operand) is { } nullKey && state.Locks.Guards.Any(g => g.Key.Equals(nullKey)))
                    {
                        // A guard returned by an acquiring call is never null.
                        return truth ? null : state;
                    }

                    return AssumeOn(info, isNull.Operand, new ValueTest(BinaryOperatorKind.Equals, ConditionValue.Null), truth, state);

                case IIsPatternOperation { Pattern: IConstantPatternOperation constantPattern } pattern
                    when constantPattern.Value.ConstantValue.HasValue && ConditionValue.FromConstant(constantPattern.Value.ConstantValue.Value) is { } patternValue:
                    return AssumeOn(info, pattern.Value, new ValueTest(BinaryOperatorKind.Equals, patternValue), truth, state);

                case IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation negatedConstant } } negatedPattern
                    when negatedConstant.Value.ConstantValue.HasValue && ConditionValue.FromConstant(negatedConstant.Value.ConstantValue.Value) is { } negatedValue:
                    return AssumeOn(info, negatedPattern.Value, new ValueTest(BinaryOperatorKind.Equals, negatedValue), !truth, state);

                case IIsPatternOperation { Pattern: IRecursivePatternOperation or IDeclarationPatternOperation { MatchesNull: false } or ITypePatternOperation } typePattern
                    when typePattern.Value.Type is { IsValueType: false } || typePattern.Value.Type?.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T:
                    // `x is { } v`, `x is T v`: non-null where it matches; where it does not, null only if nothing else could fail.
                    if (truth)
                    {
                        return AssumeOn(info, typePattern.Value, new ValueTest(BinaryOperatorKind.NotEquals, ConditionValue.Null), true, state);
                    }

                    return MatchesAnyNonNull(typePattern) ? AssumeOn(info, typePattern.Value, new ValueTest(BinaryOperatorKind.Equals, ConditionValue.Null), true, state) : state;

                default:
                    return AssumeOn(info, condition, ValueTest.IsTrue, truth, state);
            }
        }

        /// <summary>
        /// Refines on "<paramref name="operand"/> <paramref name="test"/>": the facts hung off its key (a local, a capture, a
        /// call's result) and, where it is a member read (<c>obj.P</c>, <c>obj.IsX()</c>), the facts about that member.
        /// </summary>
        private FlowState? AssumeOn(CfgInfo info, IOperation operand, ValueTest test, bool truth, FlowState state)
        {
            operand = StripConversions(operand)!;
            FlowState? result = KeyOf(operand) is { } key ? state.Assume(key, test, truth) : state;
            if (result is not null && MemberReadOf(info, operand) is { } read)
            {
                result = result.AssumeMember(read, test, truth);
            }

            return result;
        }

        private MemberRead? MemberReadOf(CfgInfo info, IOperation operand) => operand switch
        {
            IFieldReferenceOperation { Field.IsStatic: false } field => new MemberRead(field.Field, PathOf(info, field.Instance), KeyOf(field.Instance), _contracts),
            IPropertyReferenceOperation { Property.IsStatic: false } property when property.Arguments.IsEmpty =>
                new MemberRead(property.Property, PathOf(info, property.Instance), KeyOf(property.Instance), _contracts),
            IInvocationOperation { TargetMethod.IsStatic: false } invocation => new MemberRead(invocation.TargetMethod, invocation.Instance is null ? AccessPath.This : PathOf(info, invocation.Instance), KeyOf(invocation.Instance), _contracts),
            _ => null,
        };

        /// <summary>A type or recursive pattern that every non-null value of the tested type matches (<c>is { } v</c>, <c>is T v</c> of its own type).</summary>
        private static bool MatchesAnyNonNull(IIsPatternOperation pattern)
        {
            var input = pattern.Value.Type;
            switch (pattern.Pattern)
            {
                case IRecursivePatternOperation recursive:
                    return recursive.PropertySubpatterns.IsEmpty && recursive.DeconstructionSubpatterns.IsEmpty &&
                        (recursive.MatchedType is null || SymbolEqualityComparer.Default.Equals(recursive.MatchedType, input));
                case IDeclarationPatternOperation declaration:
                    return declaration.MatchedType is null || SymbolEqualityComparer.Default.Equals(declaration.MatchedType, input);
                case ITypePatternOperation type:
                    return SymbolEqualityComparer.Default.Equals(type.MatchedType, input);
                default:
                    return false;
            }
        }

        private static BinaryOperatorKind? Comparison(BinaryOperatorKind kind) => kind switch
        {
            BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
                or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual => kind,
            _ => null,
        };

        private static BinaryOperatorKind Mirror(BinaryOperatorKind kind) => kind switch
        {
            BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
            BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
            BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
            BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
            _ => kind,
        };
    }
}
