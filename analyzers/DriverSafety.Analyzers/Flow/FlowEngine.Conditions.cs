using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        /// <summary>
        /// The state on the branch where <paramref name="condition"/> evaluates to <paramref name="truth"/>, or null when
        /// that branch cannot be taken. Decides pending try-acquisitions (<c>if (ret != 0) return ret;</c>), known
        /// constants (the lock statement's <c>lockTaken</c>) and guard null checks. Short-circuit operators arrive here
        /// already split into separate branches by the CFG.
        /// </summary>
        private FlowState? Refine(CfgInfo info, IOperation condition, FlowState state, bool truth)
        {
            condition = StripConversions(condition)!;
            switch (condition)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return Refine(info, not.Operand, state, !truth);

                case { ConstantValue: { HasValue: true, Value: bool constant } }:
                    return constant == truth ? state : null;

                case IBinaryOperation binary when Comparison(binary.OperatorKind) is { } kind:
                    if (binary.RightOperand.ConstantValue.HasValue && ConditionValue.FromConstant(binary.RightOperand.ConstantValue.Value) is { } right && KeyOf(binary.LeftOperand) is { } leftKey)
                    {
                        return Compare(state, leftKey, kind, right, truth);
                    }

                    if (binary.LeftOperand.ConstantValue.HasValue && ConditionValue.FromConstant(binary.LeftOperand.ConstantValue.Value) is { } left && KeyOf(binary.RightOperand) is { } rightKey)
                    {
                        return Compare(state, rightKey, Mirror(kind), left, truth);
                    }

                    return state;

                case IIsNullOperation isNull:
                    if (KeyOf(isNull.Operand) is { } nullKey && state.Guards.Any(g => g.Key.Equals(nullKey)))
                    {
                        // A guard returned by an acquiring call is never null.
                        return truth ? null : state;
                    }

                    return state;

                case IIsPatternOperation { Pattern: IConstantPatternOperation constantPattern } pattern
                    when constantPattern.Value.ConstantValue.HasValue && ConditionValue.FromConstant(constantPattern.Value.ConstantValue.Value) is { } patternValue && KeyOf(pattern.Value) is { } patternKey:
                    return Compare(state, patternKey, BinaryOperatorKind.Equals, patternValue, truth);

                default:
                    return KeyOf(condition) is { } key ? Compare(state, key, BinaryOperatorKind.Equals, ConditionValue.Bool(true), truth) : state;
            }
        }

        /// <summary>Applies "(<paramref name="key"/> <paramref name="kind"/> <paramref name="constant"/>) == <paramref name="truth"/>" to the facts about the key.</summary>
        private static FlowState? Compare(FlowState state, ValueKey key, BinaryOperatorKind kind, ConditionValue constant, bool truth)
        {
            var known = state.Known.FirstOrDefault(k => k.Key.Equals(key));
            if (known is not null)
            {
                return Holds(known.Value, kind, constant) is { } holds && holds != truth ? null : state;
            }

            foreach (var pending in state.Pending.Where(p => p.Key.Equals(key)).ToArray())
            {
                var success = pending.Success;
                var successPossible = Holds(success, kind, constant) != !truth;
                if (!successPossible)
                {
                    state = state.With(pending: state.Pending.Remove(pending));
                    continue;
                }

                if (Pins(success, kind, constant, truth))
                {
                    state = state.With(pending: state.Pending.Remove(pending));
                    foreach (var lockPath in pending.Locks)
                    {
                        if (state.Find(lockPath) is not { Maybe: false })
                        {
                            state = state.AddLock(new HeldLock(lockPath, pending.Shared, false, HoldOrigin.Acquired, pending.Site, pending.LockKind, false));
                        }
                    }
                }
            }

            if ((kind == BinaryOperatorKind.Equals && truth) || (kind == BinaryOperatorKind.NotEquals && !truth))
            {
                state = state.WithKnown(key, constant);
            }

            return state;
        }

        /// <summary>True when the comparison's outcome leaves the success value as the only possible value of the key.</summary>
        private static bool Pins(ConditionValue success, BinaryOperatorKind kind, ConditionValue constant, bool truth)
        {
            if ((kind == BinaryOperatorKind.Equals && truth) || (kind == BinaryOperatorKind.NotEquals && !truth))
            {
                return constant.Equals(success);
            }

            if (success.Kind == 0)
            {
                // A bool has one other value: the comparison pins success when it rules that value out.
                var other = ConditionValue.Bool(success.Value == 0);
                return Holds(other, kind, constant) is { } holds && holds != truth;
            }

            return false;
        }

        private static bool? Holds(ConditionValue value, BinaryOperatorKind kind, ConditionValue constant)
        {
            if (value.Kind != constant.Kind)
            {
                return kind switch
                {
                    BinaryOperatorKind.Equals => false,
                    BinaryOperatorKind.NotEquals => true,
                    _ => null,
                };
            }

            return kind switch
            {
                BinaryOperatorKind.Equals => value.Value == constant.Value,
                BinaryOperatorKind.NotEquals => value.Value != constant.Value,
                BinaryOperatorKind.LessThan => value.Value < constant.Value,
                BinaryOperatorKind.LessThanOrEqual => value.Value <= constant.Value,
                BinaryOperatorKind.GreaterThan => value.Value > constant.Value,
                BinaryOperatorKind.GreaterThanOrEqual => value.Value >= constant.Value,
                _ => null,
            };
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
