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
                    if (binary.RightOperand.ConstantValue.HasValue && ConditionValue.FromConstant(binary.RightOperand.ConstantValue.Value) is { } right && KeyOf(binary.LeftOperand) is { } leftKey)
                    {
                        return state.Assume(leftKey, new ValueTest(kind, right), truth);
                    }

                    if (binary.LeftOperand.ConstantValue.HasValue && ConditionValue.FromConstant(binary.LeftOperand.ConstantValue.Value) is { } left && KeyOf(binary.RightOperand) is { } rightKey)
                    {
                        return state.Assume(rightKey, new ValueTest(Mirror(kind), left), truth);
                    }

                    return state;

                case IIsNullOperation isNull:
                    if (KeyOf(isNull.Operand) is { } nullKey && state.Locks.Guards.Any(g => g.Key.Equals(nullKey)))
                    {
                        // A guard returned by an acquiring call is never null.
                        return truth ? null : state;
                    }

                    return state;

                case IIsPatternOperation { Pattern: IConstantPatternOperation constantPattern } pattern
                    when constantPattern.Value.ConstantValue.HasValue && ConditionValue.FromConstant(constantPattern.Value.ConstantValue.Value) is { } patternValue && KeyOf(pattern.Value) is { } patternKey:
                    return state.Assume(patternKey, new ValueTest(BinaryOperatorKind.Equals, patternValue), truth);

                case IIsPatternOperation { Pattern: INegatedPatternOperation { Pattern: IConstantPatternOperation negatedConstant } } negatedPattern
                    when negatedConstant.Value.ConstantValue.HasValue && ConditionValue.FromConstant(negatedConstant.Value.ConstantValue.Value) is { } negatedValue && KeyOf(negatedPattern.Value) is { } negatedKey:
                    return state.Assume(negatedKey, new ValueTest(BinaryOperatorKind.Equals, negatedValue), !truth);

                default:
                    return KeyOf(condition) is { } key ? state.Assume(key, ValueTest.IsTrue, truth) : state;
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
