using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow.Domains
{
    /// <summary>A comparison a branch condition makes with a constant: <c>ret == -EDEADLK</c>, <c>ok</c> (== true).</summary>
    internal readonly struct ValueTest
    {
        public ValueTest(BinaryOperatorKind kind, ConditionValue constant)
        {
            Kind = kind;
            Constant = constant;
        }

        public BinaryOperatorKind Kind { get; }
        public ConditionValue Constant { get; }

        public static ValueTest IsTrue { get; } = new ValueTest(BinaryOperatorKind.Equals, ConditionValue.Bool(true));

        /// <summary>Whether <paramref name="value"/> passes the test (null when it cannot be told: an ordering of unlike kinds).</summary>
        public bool? Holds(ConditionValue value)
        {
            if (value.Kind != Constant.Kind)
            {
                return Kind switch
                {
                    BinaryOperatorKind.Equals => false,
                    BinaryOperatorKind.NotEquals => true,
                    _ => null,
                };
            }

            return Kind switch
            {
                BinaryOperatorKind.Equals => value.Value == Constant.Value,
                BinaryOperatorKind.NotEquals => value.Value != Constant.Value,
                BinaryOperatorKind.LessThan => value.Value < Constant.Value,
                BinaryOperatorKind.LessThanOrEqual => value.Value <= Constant.Value,
                BinaryOperatorKind.GreaterThan => value.Value > Constant.Value,
                BinaryOperatorKind.GreaterThanOrEqual => value.Value >= Constant.Value,
                _ => null,
            };
        }

        /// <summary>
        /// True when the outcome <paramref name="truth"/> leaves <paramref name="value"/> as the only value possible
        /// (equality with it; for a bool, ruling out the other bool).
        /// </summary>
        public bool Pins(ConditionValue value, bool truth)
        {
            if ((Kind == BinaryOperatorKind.Equals && truth) || (Kind == BinaryOperatorKind.NotEquals && !truth))
            {
                return Constant.Equals(value);
            }

            if (value.Kind == 0)
            {
                return Holds(value.Negated()) is { } holds && holds != truth;
            }

            return false;
        }

        /// <summary>The one value the outcome leaves (equality, or a bool's other value), if any.</summary>
        public ConditionValue? Determined(bool truth)
        {
            if ((Kind == BinaryOperatorKind.Equals && truth) || (Kind == BinaryOperatorKind.NotEquals && !truth))
            {
                return Constant;
            }

            if (Constant.Kind == 0 && (Kind == BinaryOperatorKind.Equals || Kind == BinaryOperatorKind.NotEquals))
            {
                return Constant.Negated();
            }

            return null;
        }
    }

    /// <summary>A value known at this point (a local assigned a constant, the lock statement's <c>lockTaken</c>).</summary>
    internal sealed class KnownValue : System.IEquatable<KnownValue>
    {
        public KnownValue(ValueKey key, ConditionValue value)
        {
            Key = key;
            Value = value;
        }

        public ValueKey Key { get; }
        public ConditionValue Value { get; }

        public bool Equals(KnownValue? other) => other is not null && Key.Equals(other.Key) && Value.Equals(other.Value);
        public override bool Equals(object? obj) => obj is KnownValue other && Equals(other);
        public override int GetHashCode() => Key.GetHashCode() ^ Value.GetHashCode();
    }

    /// <summary>The values domain: constants known for locals, captures and call results.</summary>
    internal sealed class KnownValues
    {
        public static KnownValues Empty { get; } = new KnownValues(ImmutableArray<KnownValue>.Empty);

        public KnownValues(ImmutableArray<KnownValue> known) => Known = known;

        public ImmutableArray<KnownValue> Known { get; }

        public ConditionValue? Of(ValueKey key)
        {
            foreach (var known in Known)
            {
                if (known.Key.Equals(key))
                {
                    return known.Value;
                }
            }

            return null;
        }

        public KnownValues With(ValueKey key, ConditionValue value) =>
            new KnownValues(Known.RemoveAll(k => k.Key.Equals(key)).Add(new KnownValue(key, value)));
    }

    /// <summary>Joins keep the values both sides agree on; a loop's back edge joins like a branch (values are not the loop's to keep).</summary>
    internal sealed class ValueDomain : Domain<KnownValues>
    {
        public override KnownValues EmptyValue => KnownValues.Empty;

        public override KnownValues Join(KnownValues left, KnownValues right, MergeContext merge)
        {
            if (left.Known.IsEmpty || Equal(left, right))
            {
                return left;
            }

            var kept = left.Known.Where(right.Known.Contains).ToImmutableArray();
            return kept.Length == left.Known.Length ? left : new KnownValues(kept);
        }

        public override KnownValues LoopBackEdge(KnownValues entry, KnownValues backEdge, MergeContext merge) => Join(entry, backEdge, merge);

        /// <summary>Nothing is known any more: the top of the domain, stable under every join.</summary>
        public override object Widen(object value) => KnownValues.Empty;

        public override bool Equal(KnownValues left, KnownValues right) => Sets.Equal(left.Known, right.Known);

        public override int Hash(KnownValues value) => value.Known.Length;

        public override KnownValues Forget(KnownValues value, ValueKey key) => value.Of(key) is null ? value : new KnownValues(value.Known.RemoveAll(k => k.Key.Equals(key)));

        public override KnownValues Bind(KnownValues value, ValueKey from, ValueKey to, bool negate)
        {
            value = Forget(value, to);
            var source = value.Of(from);
            if (source is not { } known)
            {
                return value;
            }

            if (negate)
            {
                if (known.Kind != 0)
                {
                    return value;
                }

                known = known.Negated();
            }

            return value.With(to, known);
        }

        public override KnownValues DropOperationFacts(KnownValues value) => Without(value, k => k.IsOperation);

        private static KnownValues Without(KnownValues value, System.Func<ValueKey, bool> keyed)
        {
            foreach (var known in value.Known)
            {
                if (keyed(known.Key))
                {
                    return new KnownValues(value.Known.RemoveAll(k => keyed(k.Key)));
                }
            }

            return value;
        }

        public override KnownValues? Assume(KnownValues value, FlowState state, ValueKey key, ValueTest test, bool truth)
        {
            if (value.Of(key) is { } known)
            {
                return test.Holds(known) is { } holds && holds != truth ? null : value;
            }

            return test.Determined(truth) is { } determined ? value.With(key, determined) : value;
        }
    }

    /// <summary>Order-insensitive equality of small fact lists.</summary>
    internal static class Sets
    {
        public static bool Equal<T>(ImmutableArray<T> a, ImmutableArray<T> b)
            where T : System.IEquatable<T>
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            foreach (var item in a)
            {
                var found = false;
                foreach (var other in b)
                {
                    if (item.Equals(other))
                    {
                        found = true;
                        break;
                    }
                }

                if (!found)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
