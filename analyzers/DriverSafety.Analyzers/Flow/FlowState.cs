using System;
using System.Collections.Immutable;
using DriverSafety.Analyzers.Flow.Domains;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// The abstract state at a program point: one immutable value per registered family domain
    /// (<see cref="DomainRegistry.All"/>). The engine joins, compares and refines states domain by domain; a domain whose
    /// value is the same object on both sides costs nothing at a join.
    /// </summary>
    internal sealed class FlowState : IEquatable<FlowState>
    {
        private readonly ImmutableArray<object> _values;

        private FlowState(ImmutableArray<object> values) => _values = values;

        public static FlowState Empty { get; } = CreateEmpty();

        /// <summary>The lock family's facts: held locks, pending try-locks, guards.</summary>
        public LockSet Locks => (LockSet)_values[DomainRegistry.Locks.Slot];

        /// <summary>Values known at this point (constants of locals and captures).</summary>
        public KnownValues Values => (KnownValues)_values[DomainRegistry.Values.Slot];

        /// <summary>The execution-context family's facts: base context, raised depths, flag masks, flags-parameter bits.</summary>
        public ContextState Context => (ContextState)_values[DomainRegistry.Context.Slot];

        public FlowState WithContext(ContextState context) => With(DomainRegistry.Context, context);
        /// <summary>The lifetime family's facts: objects' states and the resources begun in the body.</summary>
        public ObjectSet Objects => (ObjectSet)_values[DomainRegistry.Objects.Slot];

        public object Get(Domain domain) => _values[domain.Slot];

        public FlowState With(Domain domain, object value) =>
            ReferenceEquals(_values[domain.Slot], value) ? this : new FlowState(_values.SetItem(domain.Slot, value));

        public FlowState WithLocks(LockSet locks) => With(DomainRegistry.Locks, locks);

        public FlowState WithValues(KnownValues values) => With(DomainRegistry.Values, values);

        /// <summary>Convenience for the lock family: the hold of <paramref name="lockPath"/> (held, or held on some paths only), if any.</summary>
        public HeldLock? Find(Contracts.AccessPath lockPath) => Locks.Find(lockPath);

        public FlowState Forget(ValueKey key) => Map((domain, value) => domain.Forget(value, key));

        public FlowState Bind(ValueKey from, ValueKey to, bool negate = false) => Map((domain, value) => domain.Bind(value, from, to, negate));

        public FlowState DropOperationFacts() => Map((domain, value) => domain.DropOperationFacts(value));

        /// <summary>The state where "<paramref name="key"/> <paramref name="test"/>" is <paramref name="truth"/>, or null when no path can get there.</summary>
        public FlowState? Assume(ValueKey key, ValueTest test, bool truth)
        {
            var state = this;
            foreach (var domain in DomainRegistry.All)
            {
                var refined = domain.Assume(state.Get(domain), state, key, test, truth);
                if (refined is null)
                {
                    return null;
                }

                state = state.With(domain, refined);
            }

            return state;
        }

        /// <summary>The state where the member read "<paramref name="test"/>" is <paramref name="truth"/>, or null when no path can get there.</summary>
        public FlowState? AssumeMember(MemberRead read, ValueTest test, bool truth)
        {
            var state = this;
            foreach (var domain in DomainRegistry.All)
            {
                var refined = domain.AssumeMember(state.Get(domain), state, read, test, truth);
                if (refined is null)
                {
                    return null;
                }

                state = state.With(domain, refined);
            }

            return state;
        }

        /// <summary>The state after a store into a field, property or element.</summary>
        public FlowState StoreMember(MemberStore store)
        {
            var state = this;
            foreach (var domain in DomainRegistry.All)
            {
                state = state.With(domain, domain.StoreMember(state.Get(domain), state, store));
            }

            return state;
        }

        /// <summary>The state on entry to a body, each domain applying the body's own contract of its family.</summary>
        public FlowState Enter(BodyContext body, Contracts.ContractProvider contracts)
        {
            var state = this;
            foreach (var domain in DomainRegistry.All)
            {
                state = state.With(domain, domain.Enter(state.Get(domain), body, contracts));
            }

            return state;
        }

        /// <summary>The join of two states at a forward merge.</summary>
        public static FlowState Join(FlowState left, FlowState right, MergeContext merge) =>
            ReferenceEquals(left, right) ? left : Combine(left, right, merge, loop: false);

        /// <summary>A loop head: each domain decides what a back edge brings (locks: the entry state, after reporting any difference).</summary>
        public static FlowState LoopBackEdge(FlowState entry, FlowState backEdge, MergeContext merge) =>
            ReferenceEquals(entry, backEdge) && merge.Mismatches is null ? entry : Combine(entry, backEdge, merge, loop: true);

        /// <summary>Combines two states domain by domain; a domain whose values are the same object costs nothing, and no state is built when nothing changes.</summary>
        private static FlowState Combine(FlowState left, FlowState right, MergeContext merge, bool loop)
        {
            ImmutableArray<object>.Builder? builder = null;
            foreach (var domain in DomainRegistry.All)
            {
                var a = left._values[domain.Slot];
                var b = right._values[domain.Slot];
                if (ReferenceEquals(a, b))
                {
                    continue;
                }

                var combined = loop ? domain.LoopBackEdge(a, b, merge) : domain.Join(a, b, merge);
                if (!ReferenceEquals(combined, a))
                {
                    builder ??= left._values.ToBuilder();
                    builder[domain.Slot] = combined;
                }
            }

            return builder is null ? left : new FlowState(builder.MoveToImmutable());
        }

        /// <summary>Every domain widened (a block that reached its visit cap): joins from here on cannot climb forever.</summary>
        public FlowState Widen() => Map((domain, value) => domain.Widen(value));

        public bool Equals(FlowState? other)
        {
            if (other is null)
            {
                return false;
            }

            if (ReferenceEquals(this, other))
            {
                return true;
            }

            foreach (var domain in DomainRegistry.All)
            {
                if (!domain.ValueEquals(_values[domain.Slot], other._values[domain.Slot]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is FlowState other && Equals(other);

        public override int GetHashCode()
        {
            var hash = 17;
            foreach (var domain in DomainRegistry.All)
            {
                hash = hash * 31 + domain.ValueHash(_values[domain.Slot]);
            }

            return hash;
        }

        private FlowState Map(Func<Domain, object, object> map)
        {
            ImmutableArray<object>.Builder? builder = null;
            foreach (var domain in DomainRegistry.All)
            {
                var value = _values[domain.Slot];
                var mapped = map(domain, value);
                if (!ReferenceEquals(mapped, value))
                {
                    builder ??= _values.ToBuilder();
                    builder[domain.Slot] = mapped;
                }
            }

            return builder is null ? this : new FlowState(builder.MoveToImmutable());
        }

        private static FlowState CreateEmpty()
        {
            var builder = ImmutableArray.CreateBuilder<object>(DomainRegistry.All.Length);
            foreach (var domain in DomainRegistry.All)
            {
                builder.Add(domain.Empty);
            }

            return new FlowState(builder.MoveToImmutable());
        }
    }
}
